// The pgbench database on the real PostgreSQL: created and initialised once at the wanted scale.
import { run, runOk } from './processes.js';
import { BENCH_DATABASE, UPSTREAM } from './services.js';

const PSQL = ['-h', UPSTREAM.host, '-p', String(UPSTREAM.port), '-U', UPSTREAM.user, '-X', '-A', '-t', '-q'];

export async function psql(database: string, sql: string): Promise<string> {
  return (await runOk('psql', [...PSQL, '-d', database, '-c', sql])).trim();
}

/** Creates `airlock_bench` and runs `pgbench -i -s <scale>` unless it is already initialised at that scale. */
export async function ensureBenchDatabase(scale: number, log: (line: string) => void): Promise<void> {
  const exists = await psql('postgres', `SELECT 1 FROM pg_database WHERE datname = '${BENCH_DATABASE}'`);
  if (exists !== '1') {
    log(`creating database ${BENCH_DATABASE}`);
    await psql('postgres', `CREATE DATABASE ${BENCH_DATABASE}`);
  }
  const probe = await run('psql', [...PSQL, '-d', BENCH_DATABASE, '-c', 'SELECT (SELECT count(*) FROM pgbench_branches) || \',\' || (SELECT count(*) FROM pgbench_accounts)']);
  const [branches, accounts] = probe.code === 0 ? probe.stdout.trim().split(',').map(Number) : [0, 0];
  if (branches === scale && accounts === scale * 100_000) {
    log(`${BENCH_DATABASE} already initialised at scale ${scale}`);
    return;
  }
  log(`initialising ${BENCH_DATABASE}: pgbench -i -s ${scale}`);
  await runOk('pgbench', ['-i', '-s', String(scale), '-q', '-h', UPSTREAM.host, '-p', String(UPSTREAM.port), '-U', UPSTREAM.user, BENCH_DATABASE]);
}

export async function serverVersion(): Promise<string> {
  return psql('postgres', 'SHOW server_version');
}
