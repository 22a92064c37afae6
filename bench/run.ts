// Entry of `npm run bench` (via bench/run): throughput, latency and proxy CPU of
// every workload against every target (interleaved), latency with the proxy
// pinned to its own core, scale, start-up time, the classification cache and
// CPU profiles; results to bench/results/ and bench/RESULTS.md.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runClassifierMicro } from './lib/classifier-micro.js';
import { runCpuBreakdown } from './lib/cpu-breakdown.js';
import { ensureBenchDatabase } from './lib/database.js';
import { machineInfo } from './lib/machine.js';
import type { RunSample } from './lib/pgbench.js';
import { PINNED_TARGETS, PINNED_WORKLOADS, runPinned } from './lib/pinned.js';
import { profileAirlock, type ProfileResult } from './lib/profile.js';
import { renderMarkdown } from './lib/report.js';
import type { BenchResults, CellSummary, RunRecord } from './lib/results.js';
import { runScale } from './lib/scale.js';
import { writeReportKeepingSections } from './lib/results-sections.js';
import { cpuTimeMs } from './lib/processes.js';
import { startPgBouncer, type Service, type ServiceContext } from './lib/services.js';
import { SampleBuffer, mean } from './lib/stats.js';
import { measureStartup } from './lib/startup-time.js';
import { SERVICE_STARTERS, TARGETS, defaultTargets, type ServiceKind } from './lib/targets.js';
import { WORKLOADS } from './lib/workloads.js';

const USAGE = `usage: npm run bench -- [options]
  --duration SEC        seconds per pgbench run (default 20)
  --rounds N            rounds over the interleaved targets, throughput and pinned steps (default 2)
  --clients N / --threads N   pgbench -c / -j (default 8 / 2)
  --targets a,b         subset of: ${TARGETS.map((t) => t.name).join(', ')}
                        (default: all; airlock-baseline only with AIRLOCK_BENCH_BASELINE=DIR)
  --workloads a,b       subset of: ${WORKLOADS.map((w) => w.name).join(', ')}
  --pinned-duration SEC seconds per pgbench run of the pinned step (default 10): PostgreSQL and
                        pgbench on CPU 0, the proxy on CPU 1, pgbench -c 1 -j 1, targets
                        ${PINNED_TARGETS.join(', ')}, workloads ${PINNED_WORKLOADS.join(', ')}
                        (those of --workloads)
  --idle N / --held N   scale test sessions (default 5000 / 1000)
  --startup-runs N      start-up measurements (default 5)
  --profile-workload a,b  workloads run with Airlock under --cpu-prof, one profile each
                        (default select-prepared,tpcb-simple)
  --breakdown-workloads a,b  workloads of the CPU breakdown step: perf record -g of PgBouncer, the Node
                        relay and Airlock, every sample's stack put in a bucket, µs per transaction
                        (default select-prepared,tpcb-simple; needs perf, Debian package linux-perf)
  --skip throughput,pinned,breakdown,profile,scale,startup,classifier
  --no-write            print, but do not write bench/results or bench/RESULTS.md`;

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    targets: { type: 'string' },
    workloads: { type: 'string' },
    idle: { type: 'string', default: '5000' },
    held: { type: 'string', default: '1000' },
    'startup-runs': { type: 'string', default: '5' },
    'pinned-duration': { type: 'string', default: '10' },
    'breakdown-workloads': { type: 'string', default: 'select-prepared,tpcb-simple' },
    'profile-workload': { type: 'string', default: 'select-prepared,tpcb-simple' },
    skip: { type: 'string', default: '' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`--${name}: expected a positive integer, got ${text}\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}
function subset<T extends { name: string }>(all: readonly T[], list: string | undefined, what: string, fallback: readonly T[] = all): T[] {
  if (!list) return [...fallback];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!all.some((x) => x.name === n)) {
      process.stderr.write(`--${what}: unknown ${n}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return all.filter((x) => names.includes(x.name));
}

const PGBENCH_SCALE = 10;
const durationSec = positiveInt('duration', values.duration);
const rounds = positiveInt('rounds', values.rounds);
const clients = positiveInt('clients', values.clients);
const threads = positiveInt('threads', values.threads);
const idle = positiveInt('idle', values.idle);
const held = positiveInt('held', values.held);
const startupRuns = positiveInt('startup-runs', values['startup-runs']);
const pinnedDurationSec = positiveInt('pinned-duration', values['pinned-duration']);
const skip = new Set((values.skip ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const targets = subset(TARGETS, values.targets, 'targets', defaultTargets());
const workloads = subset(WORKLOADS, values.workloads, 'workloads');
const profiledWorkloads = subset(WORKLOADS, values['profile-workload'], 'profile-workload');
const breakdownWorkloads = subset(WORKLOADS, values['breakdown-workloads'], 'breakdown-workloads');
const pinnedWorkloads = workloads.filter((w) => (PINNED_WORKLOADS as readonly string[]).includes(w.name));

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
const ctx: ServiceContext = { repoRoot, workDir };
const command = process.env['BENCH_COMMAND'] ?? `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim();
const started = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
};
const errors: string[] = [];

async function throughput(): Promise<{ runs: RunRecord[]; summary: CellSummary[] }> {
  const needed = new Set(targets.map((t) => t.service).filter((s): s is ServiceKind => s !== null));
  const services = new Map<ServiceKind, Service>();
  const runs: RunRecord[] = [];
  const pooled = new Map<string, { samples: SampleBuffer; tps: number[]; transactions: number; failed: number }>();
  try {
    for (const kind of needed) {
      log(`starting ${kind}`);
      services.set(kind, await SERVICE_STARTERS[kind](ctx));
    }
    const options = { clients, threads, durationSec };
    for (const workload of workloads) {
      for (let round = 0; round < rounds; round++) {
        // Rotate the order every round so no target always runs first (warm caches) or last.
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as (typeof targets)[number]);
        for (const target of order) {
          log(`${workload.name} round ${round + 1}/${rounds}: ${target.name}`);
          await workload.reset?.();
          const key = `${workload.name}|${target.name}`;
          const cell = pooled.get(key) ?? { samples: new SampleBuffer(), tps: [], transactions: 0, failed: 0 };
          pooled.set(key, cell);
          let sample: RunSample;
          const service = target.service ? (services.get(target.service) ?? null) : null;
          let cpuBefore: Awaited<ReturnType<typeof cpuTimeMs>> = null;
          try {
            cpuBefore = service ? await cpuTimeMs(service.process.pid) : null;
            sample = await workload.run(target.connection(service), options);
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            errors.push(`${workload.name} / ${target.name} round ${round + 1}: ${message}`);
            log(`  failed: ${message}`);
            runs.push({ workload: workload.name, target: target.name, round: round + 1, tps: Number.NaN, pgbenchLatencyAvgMs: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN, transactions: 0, failed: 0, error: message });
            continue;
          }
          const cpuAfter = service ? await cpuTimeMs(service.process.pid) : null;
          const cpu = cpuBefore && cpuAfter && sample.transactions > 0
            ? { proxyCpuUserUs: ((cpuAfter.userMs - cpuBefore.userMs) * 1000) / sample.transactions, proxyCpuSysUs: ((cpuAfter.sysMs - cpuBefore.sysMs) * 1000) / sample.transactions }
            : null;
          const s = sample.latencies.summary();
          const cpuNote = cpu ? `, proxy CPU ${cpu.proxyCpuUserUs.toFixed(1)} + ${cpu.proxyCpuSysUs.toFixed(1)} µs/tx (user + sys)` : '';
          log(`  ${sample.tps.toFixed(0)} tps, avg ${sample.latencyAvgMs.toFixed(3)} ms, p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms${cpuNote}`);
          runs.push({ workload: workload.name, target: target.name, round: round + 1, tps: sample.tps, pgbenchLatencyAvgMs: sample.latencyAvgMs, p50Ms: s.p50, p99Ms: s.p99, transactions: sample.transactions, failed: sample.failed, ...(cpu ?? {}) });
          cell.samples.append(sample.latencies);
          cell.tps.push(sample.tps);
          cell.transactions += sample.transactions;
          cell.failed += sample.failed;
        }
      }
    }
  } finally {
    for (const [kind, service] of services) {
      log(`stopping ${kind}`);
      await service.stop();
    }
  }
  const summary: CellSummary[] = [];
  for (const workload of workloads) {
    const base = (name: string) => {
      const cell = pooled.get(`${workload.name}|${name}`);
      return cell && cell.tps.length > 0 ? { tps: mean(cell.tps), lat: cell.samples.summary() } : null;
    };
    const direct = base('direct');
    const bouncer = base('pgbouncer');
    for (const target of targets) {
      const cell = pooled.get(`${workload.name}|${target.name}`);
      if (!cell || cell.tps.length === 0) continue;
      const lat = cell.samples.summary();
      const tps = mean(cell.tps);
      const cpuRuns = runs.filter((r) => r.workload === workload.name && r.target === target.name && r.proxyCpuUserUs !== undefined);
      const cpuMean = (pick: (r: RunRecord) => number) => (cpuRuns.length > 0 ? mean(cpuRuns.map(pick)) : Number.NaN);
      summary.push({
        workload: workload.name,
        target: target.name,
        tps,
        tpsRounds: cell.tps,
        avgMs: lat.mean,
        p50Ms: lat.p50,
        p90Ms: lat.p90,
        p99Ms: lat.p99,
        p999Ms: lat.p999,
        transactions: cell.transactions,
        failed: cell.failed,
        tpsVsDirect: direct ? tps / direct.tps : Number.NaN,
        tpsVsPgbouncer: bouncer ? tps / bouncer.tps : Number.NaN,
        addedAvgMs: direct ? lat.mean - direct.lat.mean : Number.NaN,
        addedP50Ms: direct ? lat.p50 - direct.lat.p50 : Number.NaN,
        addedP99Ms: direct ? lat.p99 - direct.lat.p99 : Number.NaN,
        proxyCpuUserUs: cpuMean((r) => r.proxyCpuUserUs ?? Number.NaN),
        proxyCpuSysUs: cpuMean((r) => r.proxyCpuSysUs ?? Number.NaN),
      });
    }
  }
  return { runs, summary };
}

function latestApprovalRoundtrip(): BenchResults['approvalRoundtrip'] {
  const dir = join(repoRoot, 'bench/results');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /^approval-roundtrip-.*\.json$/.test(f)).sort();
  } catch {
    return null;
  }
  const file = files.at(-1);
  if (!file) return null;
  try {
    return { file: `bench/results/${file}`, data: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown };
  } catch (err) {
    errors.push(`could not read bench/results/${file}: ${String(err)}`);
    return null;
  }
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
  if (skip.has(name)) {
    log(`skipping ${name}`);
    return null;
  }
  try {
    return await fn();
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    errors.push(`${name}: ${message.split('\n')[0]}`);
    log(`${name} failed: ${message}`);
    return null;
  }
}

async function main(): Promise<void> {
  log(`work directory ${workDir}`);
  await ensureBenchDatabase(PGBENCH_SCALE, log);
  const machine = await machineInfo(repoRoot);
  log(`machine: ${machine.cpuCount} x ${machine.cpuModel}, load ${machine.loadAverageAtStart}`);

  const classifier = await step('classifier', () => runClassifierMicro(repoRoot));
  const tp = (await step('throughput', throughput)) ?? { runs: [], summary: [] };
  const pinned = await step('pinned', () => {
    log(`pinned latency: PostgreSQL and pgbench on CPU 0, the proxy on CPU 1, one client, ${pinnedDurationSec} s per run`);
    return runPinned(ctx, { durationSec: pinnedDurationSec, rounds, workloads: pinnedWorkloads }, log);
  });
  const breakdown = await step('breakdown', () => runCpuBreakdown(ctx, { workloads: breakdownWorkloads, clients, threads, durationSec }, log));
  const profiles = await step('profile', async () => {
    if (profiledWorkloads.length === 0) throw new Error('no workload to profile');
    const done: ProfileResult[] = [];
    for (const profiled of profiledWorkloads) {
      log(`profiling Airlock (--cpu-prof) under ${profiled.name}`);
      try {
        done.push(await profileAirlock(ctx, profiled, { clients, threads, durationSec }));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        errors.push(`profile ${profiled.name}: ${message.split('\n')[0]}`);
        log(`profile ${profiled.name} failed: ${message}`);
      }
    }
    return done;
  });
  const scale = await step('scale', async () => {
    const pgbouncer = await startPgBouncer(ctx);
    try {
      return await runScale(ctx, pgbouncer, { idle, held, concurrency: 100, observeSec: 10 }, log);
    } finally {
      await pgbouncer.stop();
    }
  });
  const startup = await step('startup', () => {
    log(`start-up time, ${startupRuns} runs`);
    return measureStartup(ctx, startupRuns);
  });

  const date = new Date().toISOString().slice(0, 10);
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    command,
    options: {
      durationSec,
      rounds,
      clients,
      threads,
      pgbenchScale: PGBENCH_SCALE,
      idle,
      held,
      startupRuns,
      pinnedDurationSec,
      profileWorkloads: profiledWorkloads.map((w) => w.name),
      breakdownWorkloads: breakdownWorkloads.map((w) => w.name),
      skip: [...skip],
      targets: targets.map((t) => t.name),
      workloads: workloads.map((w) => w.name),
    },
    machine,
    targets: targets.map((t) => ({ name: t.name, description: t.description })),
    workloads: workloads.map((w) => ({ name: w.name, description: w.description, command: w.command({ clients, threads, durationSec }) })),
    runs: tp.runs,
    summary: tp.summary,
    classifier,
    pinned,
    cpuBreakdown: breakdown ?? [],
    profiles: profiles ?? [],
    scale,
    startup,
    approvalRoundtrip: latestApprovalRoundtrip(),
    errors,
  };
  const markdown = renderMarkdown(results);
  if (values['no-write']) {
    process.stdout.write(markdown);
  } else {
    const dir = join(repoRoot, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${date}-${machine.hostname}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    writeReportKeepingSections(join(repoRoot, 'bench/RESULTS.md'), markdown);
    log(`wrote ${relative(repoRoot, file)} and bench/RESULTS.md`);
  }
  if (profiles && profiles.length > 0) for (const p of profiles) log(`CPU profile (${p.workload}) kept at ${p.file} (not in the repository)`);
  else rmSync(workDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
