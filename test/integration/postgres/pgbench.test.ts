import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { direct, spawnProgram } from '../../support/pg-clients.js';
import { type ProxyHarness, defaultTargets, startProxy } from '../../support/pg-proxy.js';
import { POSTGRES, requirePostgres } from '../../support/services.js';

const DATABASE = 'airlock_pgbench';

function tps(output: string): number {
  const match = /tps = ([\d.]+)/.exec(output);
  return match ? Number(match[1]) : NaN;
}

describe('pgbench through the proxy', () => {
  let harness: ProxyHarness;

  before(async () => {
    await direct(async (c) => {
      const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount;
      if (!exists) await c.query(`CREATE DATABASE ${DATABASE}`);
    }).catch(() => undefined);
    // Every statement is allowed (pgbench -i drops and truncates), but each one still goes through the gate.
    harness = await startProxy({
      targets: [...defaultTargets(), { name: 'bench', protocol: 'postgres', upstream: { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: DATABASE } }],
    });
  });
  after(() => harness?.close());

  it('initialises with pgbench -i (COPY included)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const init = await spawnProgram('pgbench', ['-i', '-s', '1', '-q'], harness.env({ PGDATABASE: 'bench' })).done;
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /done in/);
    assert.ok(harness.gate.checks.some((a) => /^copy /i.test(a.command) || a.command.includes('pgbench_accounts')));
  });

  for (const mode of ['simple', 'extended', 'prepared'] as const) {
    it(`runs pgbench -M ${mode} -c 4 -j 2 for 3 seconds without failures`, async (t) => {
      if (!(await requirePostgres(t))) return;
      const args = ['-M', mode, '-c', '4', '-j', '2', '-T', '3', '-n'];
      const run = await spawnProgram('pgbench', args, harness.env({ PGDATABASE: 'bench' })).done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /number of failed transactions: 0/);
      const proxied = tps(run.stdout);
      assert.ok(proxied > 0);
      const base = await spawnProgram('pgbench', args, { ...process.env, PGHOST: POSTGRES.host, PGPORT: String(POSTGRES.port), PGUSER: POSTGRES.user, PGDATABASE: DATABASE }).done;
      t.diagnostic(`pgbench ${args.join(' ')}: ${proxied.toFixed(0)} tps through Airlock, ${tps(base.stdout).toFixed(0)} tps direct`);
    });
  }
});
