// The pgbench load generator and its parser: TPS and average from its summary,
// percentiles from its per-transaction log (--log), never from averages.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { libpqEnv, type ConnectionParams } from './targets.js';
import { run } from './processes.js';
import { SampleBuffer } from './stats.js';

export interface PgbenchOptions {
  readonly clients: number;
  readonly threads: number;
  readonly durationSec: number;
  /** Extra pgbench arguments that define the workload (-S, -M prepared, ...). */
  readonly args: readonly string[];
  /** Run pgbench under `taskset -c LIST` (e.g. "0"): the pinned-latency step. */
  readonly cpuList?: string;
}

export interface RunSample {
  readonly tps: number;
  /** pgbench's own "latency average", ms. */
  readonly latencyAvgMs: number;
  readonly transactions: number;
  readonly failed: number;
  readonly connectMs: number;
  /** Per-transaction latencies in ms, from the log files. */
  readonly latencies: SampleBuffer;
  readonly command: string;
}

export function pgbenchCommand(options: PgbenchOptions): string[] {
  // -n: no vacuum through the proxy (pgbench would TRUNCATE pgbench_history, which a policy holds); the harness vacuums directly.
  return ['-n', '-c', String(options.clients), '-j', String(options.threads), '-T', String(options.durationSec), ...options.args];
}

export async function runPgbench(connection: ConnectionParams, options: PgbenchOptions): Promise<RunSample> {
  const logDir = mkdtempSync(join(tmpdir(), 'airlock-pgbench-'));
  const args = [...pgbenchCommand(options), '--log', `--log-prefix=${join(logDir, 'tx')}`];
  try {
    const [command, argv] = options.cpuList === undefined ? ['pgbench', args] : ['taskset', ['-c', options.cpuList, 'pgbench', ...args]];
    const result = await run(command, argv, { env: { ...process.env, ...libpqEnv(connection) }, cwd: logDir });
    if (result.code !== 0) throw new Error(`pgbench ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const summary = parseSummary(result.stdout);
    const latencies = readLatencies(logDir);
    const prefix = options.cpuList === undefined ? '' : `taskset -c ${options.cpuList} `;
    return { ...summary, latencies, command: `${prefix}pgbench ${pgbenchCommand(options).join(' ')}` };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

export function parseSummary(stdout: string): Pick<RunSample, 'tps' | 'latencyAvgMs' | 'transactions' | 'failed' | 'connectMs'> {
  const number = (pattern: RegExp, what: string, fallback?: number): number => {
    const match = pattern.exec(stdout);
    if (!match) {
      if (fallback !== undefined) return fallback;
      throw new Error(`pgbench output has no ${what}:\n${stdout}`);
    }
    return Number(match[1]);
  };
  return {
    tps: number(/^tps = ([\d.]+) \(without initial connection time\)/m, 'tps'),
    latencyAvgMs: number(/^latency average = ([\d.]+) ms/m, 'latency average'),
    transactions: number(/^number of transactions actually processed: (\d+)/m, 'transaction count'),
    failed: number(/^number of failed transactions: (\d+)/m, 'failed transactions', 0),
    connectMs: number(/^initial connection time = ([\d.]+) ms/m, 'connection time', Number.NaN),
  };
}

/** Lines are "client_id tx_no time_us script_no epoch epoch_us"; failed transactions carry a word instead of a time. */
function readLatencies(dir: string): SampleBuffer {
  const samples = new SampleBuffer();
  for (const file of readdirSync(dir)) {
    if (!file.startsWith('tx.')) continue;
    const text = readFileSync(join(dir, file), 'latin1');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      // third field
      const a = text.indexOf(' ', start);
      const b = a < 0 ? -1 : text.indexOf(' ', a + 1);
      const c = b < 0 ? -1 : text.indexOf(' ', b + 1);
      if (c > 0 && c < end) {
        const micros = Number(text.slice(b + 1, c));
        if (Number.isFinite(micros)) samples.push(micros / 1000);
      }
      start = end + 1;
    }
  }
  return samples;
}
