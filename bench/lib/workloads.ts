// A workload is a load generator with its arguments and parser, plus what must
// be reset before each run. Adding one (another pgbench script, a driver
// benchmark) is adding an entry here.
import { runOk } from './processes.js';
import { pgbenchCommand, runPgbench, type RunSample } from './pgbench.js';
import { BENCH_DATABASE, UPSTREAM } from './services.js';
import type { ConnectionParams } from './targets.js';

export interface WorkloadRunOptions {
  readonly clients: number;
  readonly threads: number;
  readonly durationSec: number;
  /** Pin pgbench to these CPUs (taskset -c LIST). */
  readonly cpuList?: string;
}

export interface Workload {
  readonly name: string;
  readonly description: string;
  /** Runs before every measured run, directly against PostgreSQL (not timed). */
  readonly reset?: () => Promise<void>;
  /** The load generator's command line, for the record. */
  command(options: WorkloadRunOptions): string;
  run(connection: ConnectionParams, options: WorkloadRunOptions): Promise<RunSample>;
}

/** What pgbench's own vacuum step does, done directly so the proxies never see it. */
async function vacuumTpcb(): Promise<void> {
  await runOk('psql', ['-h', UPSTREAM.host, '-p', String(UPSTREAM.port), '-U', UPSTREAM.user, '-d', BENCH_DATABASE, '-qXc', 'VACUUM pgbench_branches', '-c', 'VACUUM pgbench_tellers', '-c', 'TRUNCATE pgbench_history']);
}

function pgbenchWorkload(name: string, description: string, args: readonly string[], reset?: () => Promise<void>): Workload {
  return {
    name,
    description,
    ...(reset ? { reset } : {}),
    command: (options) => `pgbench ${pgbenchCommand({ ...options, args }).join(' ')}`,
    run: (connection, options) => runPgbench(connection, { ...options, args }),
  };
}

export const WORKLOADS: readonly Workload[] = [
  pgbenchWorkload('select-simple', 'pgbench -S -M simple (one SELECT by primary key)', ['-S', '-M', 'simple']),
  pgbenchWorkload('select-prepared', 'pgbench -S -M prepared', ['-S', '-M', 'prepared']),
  pgbenchWorkload('tpcb-simple', 'pgbench TPC-B like, -M simple (BEGIN, 3 UPDATE, SELECT, INSERT, END)', ['-M', 'simple'], vacuumTpcb),
  pgbenchWorkload('tpcb-prepared', 'pgbench TPC-B like, -M prepared', ['-M', 'prepared'], vacuumTpcb),
];
