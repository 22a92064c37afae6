// The shape of one benchmark run's results (bench/results/<date>-<host>.json).
import type { ClassifierResult } from './classifier-micro.js';
import type { CpuBreakdown } from './cpu-breakdown.js';
import type { MachineInfo } from './machine.js';
import type { PinnedResult } from './pinned.js';
import type { ProfileResult } from './profile.js';
import type { ScaleResult } from './scale.js';
import type { StartupResult } from './startup-time.js';

export interface RunRecord {
  readonly workload: string;
  readonly target: string;
  readonly round: number;
  readonly tps: number;
  readonly pgbenchLatencyAvgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly transactions: number;
  readonly failed: number;
  /** CPU the proxy process used per transaction during the run, µs (absent for direct). */
  readonly proxyCpuUserUs?: number;
  readonly proxyCpuSysUs?: number;
  readonly error?: string;
}

export interface CellSummary {
  readonly workload: string;
  readonly target: string;
  /** Mean TPS over the rounds. */
  readonly tps: number;
  readonly tpsRounds: readonly number[];
  /** Over every logged transaction of every round, ms. */
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly transactions: number;
  readonly failed: number;
  readonly tpsVsDirect: number;
  readonly tpsVsPgbouncer: number;
  /** Latency added over direct, ms (avg / p50 / p99). */
  readonly addedAvgMs: number;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
  /** Proxy CPU per transaction over the rounds, µs (NaN for direct). */
  readonly proxyCpuUserUs: number;
  readonly proxyCpuSysUs: number;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly command: string;
  readonly options: Record<string, unknown>;
  readonly machine: MachineInfo;
  readonly targets: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  readonly workloads: ReadonlyArray<{ readonly name: string; readonly description: string; readonly command: string }>;
  readonly runs: readonly RunRecord[];
  readonly summary: readonly CellSummary[];
  readonly classifier: ClassifierResult | null;
  /** One profiled workload (results written before several were profiled). */
  readonly profile?: ProfileResult | null;
  /** Every profiled workload (--profile-workload a,b). */
  readonly profiles?: readonly ProfileResult[];
  /** Latency with PostgreSQL and pgbench on CPU 0 and the proxy on CPU 1, one client (absent in older results). */
  readonly pinned?: PinnedResult | null;
  /** perf-sampled CPU per transaction by bucket, kernel included (absent in older results). */
  readonly cpuBreakdown?: readonly CpuBreakdown[];
  readonly scale: ScaleResult | null;
  readonly startup: StartupResult | null;
  readonly approvalRoundtrip: { readonly file: string; readonly data: unknown } | null;
  readonly errors: readonly string[];
}
