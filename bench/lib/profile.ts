// Runs Airlock under --cpu-prof through one workload and summarizes where its CPU time went.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeProfile, type ProfileSummary } from '../profile-top.js';
import { startAirlock, type ServiceContext } from './services.js';
import { TARGETS } from './targets.js';
import type { Workload, WorkloadRunOptions } from './workloads.js';

export interface ProfileResult {
  readonly workload: string;
  readonly tps: number;
  /** Transactions pgbench completed during the profiled run (absent in results written before it was recorded). */
  readonly transactions?: number;
  /** Where the .cpuprofile was left (a temp dir; never committed). */
  readonly file: string;
  readonly summary: ProfileSummary;
}

export async function profileAirlock(ctx: ServiceContext, workload: Workload, options: WorkloadRunOptions): Promise<ProfileResult> {
  const dir = join(ctx.workDir, `cpu-profile-${workload.name}`);
  mkdirSync(dir, { recursive: true });
  const airlock = await startAirlock(ctx, { name: `airlock-profiled-${workload.name}`, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir] });
  let tps = Number.NaN;
  let transactions = 0;
  let fromUs = 0;
  let toUs = 0;
  try {
    const target = TARGETS.find((t) => t.name === 'airlock');
    if (!target) throw new Error('no airlock target');
    await workload.reset?.();
    // The profile's clock is CLOCK_MONOTONIC µs, as hrtime here: keep only the samples of the pgbench run (not start-up or shutdown).
    fromUs = Number(process.hrtime.bigint() / 1000n);
    const sample = await workload.run(target.connection(airlock), options);
    toUs = Number(process.hrtime.bigint() / 1000n);
    tps = sample.tps;
    transactions = sample.transactions;
  } finally {
    await airlock.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  return { workload: workload.name, tps, transactions, file: join(dir, file), summary: summarizeProfile(join(dir, file), 25, ctx.repoRoot, toUs > fromUs ? { fromUs, toUs } : undefined) };
}
