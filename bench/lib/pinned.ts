// Latency with the proxy on its own core: PostgreSQL (postmaster and every
// backend) and pgbench on CPU 0, the proxy (PgBouncer, the Node relay, Airlock;
// the same pinning for each) on CPU 1, one client, so a transaction's latency
// is the path through the proxy and not queueing behind other clients.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { run } from './processes.js';
import { SERVICE_STARTERS, TARGETS, type ServiceKind } from './targets.js';
import type { Service, ServiceContext } from './services.js';
import { SampleBuffer, mean } from './stats.js';
import type { Workload } from './workloads.js';

export const PINNED_TARGETS = ['direct', 'pgbouncer', 'node-relay', 'airlock'] as const;
export const PINNED_WORKLOADS = ['select-prepared', 'select-simple'] as const;
/** PostgreSQL and pgbench. */
export const DATABASE_CPU = '0';
/** The proxy. */
export const PROXY_CPU = '1';

export interface PinnedRun {
  readonly workload: string;
  readonly target: string;
  readonly round: number;
  readonly tps: number;
  readonly transactions: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPUs allowed, read back from /proc after the run: the proxy's threads, and PostgreSQL's processes (union). */
  readonly proxyCpus?: string;
  readonly postgresCpus: string;
  readonly error?: string;
}

export interface PinnedCell {
  readonly workload: string;
  readonly target: string;
  readonly transactions: number;
  readonly tps: number;
  /** Over every logged transaction of every round, µs. */
  readonly avgUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Minus direct's (pinned), µs. */
  readonly addedP50Us: number;
  readonly addedP99Us: number;
}

export interface PinnedResult {
  readonly clients: 1;
  readonly durationSec: number;
  readonly rounds: number;
  readonly command: string;
  /** What the step set and read back (taskset / /proc/PID/task/TID/status Cpus_allowed_list). */
  readonly affinity: {
    readonly pgbench: string;
    readonly postgres: { readonly processes: number; readonly cpus: string };
    readonly proxies: Readonly<Record<string, { readonly pid: number; readonly threads: number; readonly cpus: string }>>;
    readonly restoredTo: string;
  };
  readonly runs: readonly PinnedRun[];
  readonly summary: readonly PinnedCell[];
}

export interface PinnedOptions {
  readonly durationSec: number;
  readonly rounds: number;
  readonly workloads: readonly Workload[];
}

function allCpus(): string {
  return `0-${Math.max(0, cpus().length - 1)}`;
}

/** PIDs of the PostgreSQL server: processes named postgres owned by the postgres user (PgBouncer, also run as postgres, is named pgbouncer). */
export function postgresPids(): number[] {
  let uid: number | null = null;
  try {
    uid = statSync('/var/lib/postgresql').uid;
  } catch {
    uid = null;
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (uid !== null && statSync(`/proc/${entry}`).uid !== uid) continue;
      pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The CPUs every thread of a process may run on (a list of the distinct Cpus_allowed_list values), and its thread count. */
export function threadAffinity(pid: number): { cpus: string; threads: number } | null {
  try {
    const lists = new Set<string>();
    let threads = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
        if (match?.[1]) lists.add(match[1]);
        threads++;
      } catch {
        // thread gone
      }
    }
    return { cpus: [...lists].sort().join(' / '), threads };
  } catch {
    return null;
  }
}

/** taskset -a -p -c LIST PID (every thread). Throws when taskset fails and the process still exists. */
async function pin(pid: number, cpuList: string): Promise<void> {
  const r = await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)]);
  if (r.code !== 0 && threadAffinity(pid) !== null) throw new Error(`taskset -a -p -c ${cpuList} ${pid} failed: ${r.stderr.trim()}`);
}

async function pinPostgres(cpuList: string): Promise<{ processes: number; cpus: string }> {
  const pids = postgresPids();
  if (pids.length === 0) throw new Error('no PostgreSQL processes found (comm "postgres")');
  for (const pid of pids) await pin(pid, cpuList);
  return postgresAffinity();
}

function postgresAffinity(): { processes: number; cpus: string } {
  const lists = new Set<string>();
  const pids = postgresPids();
  for (const pid of pids) {
    const a = threadAffinity(pid);
    if (a) for (const l of a.cpus.split(' / ')) lists.add(l);
  }
  return { processes: pids.length, cpus: [...lists].sort().join(' / ') };
}

/** Synchronous, for exit and signal handlers: every PostgreSQL process back to every CPU. */
export function restorePostgresAffinitySync(): void {
  const list = allCpus();
  for (const pid of postgresPids()) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
}

export async function runPinned(ctx: ServiceContext, options: PinnedOptions, log: (line: string) => void): Promise<PinnedResult> {
  if (cpus().length < 2) throw new Error(`the pinned step needs two CPUs (this machine has ${cpus().length})`);
  if (options.workloads.length === 0) throw new Error(`none of ${PINNED_WORKLOADS.join(', ')} is among the chosen workloads`);
  const targets = PINNED_TARGETS.map((name) => {
    const t = TARGETS.find((x) => x.name === name);
    if (!t) throw new Error(`no target ${name}`);
    return t;
  });
  const services = new Map<ServiceKind, Service>();
  const runs: PinnedRun[] = [];
  const pooled = new Map<string, { samples: SampleBuffer; tps: number[]; transactions: number }>();
  const wo = { clients: 1, threads: 1, durationSec: options.durationSec, cpuList: DATABASE_CPU };
  const proxies: Record<string, { pid: number; threads: number; cpus: string }> = {};
  let postgres = { processes: 0, cpus: '' };

  // Ctrl-C or a kill while PostgreSQL is pinned: put it back, stop what this step started, then die of the signal.
  const onSignal = (signal: NodeJS.Signals): void => {
    restorePostgresAffinitySync();
    for (const s of services.values()) s.process.child.kill('SIGTERM');
    process.kill(process.pid, signal);
  };
  const onExit = (): void => restorePostgresAffinitySync();
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = (): void => {
      for (const [s, h] of handlers) process.removeListener(s, h);
      onSignal(signal);
    };
    return [signal, handler] as const;
  });
  process.on('exit', onExit);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    for (const target of targets) {
      if (!target.service || services.has(target.service)) continue;
      log(`pinned: starting ${target.service}`);
      const service = await SERVICE_STARTERS[target.service](ctx);
      services.set(target.service, service);
      await pin(service.process.pid, PROXY_CPU);
      const a = threadAffinity(service.process.pid);
      if (!a || a.cpus !== PROXY_CPU) throw new Error(`${target.service} (pid ${service.process.pid}): affinity ${a?.cpus ?? 'unreadable'} after pinning to CPU ${PROXY_CPU}`);
      proxies[target.service] = { pid: service.process.pid, ...a };
      log(`pinned: ${target.service} pid ${service.process.pid}, ${a.threads} threads on CPU ${a.cpus}`);
    }
    postgres = await pinPostgres(DATABASE_CPU);
    if (postgres.cpus !== DATABASE_CPU) throw new Error(`PostgreSQL affinity ${postgres.cpus} after pinning to CPU ${DATABASE_CPU}`);
    log(`pinned: ${postgres.processes} PostgreSQL processes on CPU ${postgres.cpus}; pgbench under taskset -c ${DATABASE_CPU}`);

    for (const workload of options.workloads) {
      for (let round = 0; round < options.rounds; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as (typeof targets)[number]);
        for (const target of order) {
          log(`pinned ${workload.name} round ${round + 1}/${options.rounds}: ${target.name}`);
          const service = target.service ? (services.get(target.service) ?? null) : null;
          const key = `${workload.name}|${target.name}`;
          const cell = pooled.get(key) ?? { samples: new SampleBuffer(), tps: [], transactions: 0 };
          pooled.set(key, cell);
          try {
            await workload.reset?.();
            const sample = await workload.run(target.connection(service), wo);
            const s = sample.latencies.summary();
            const proxyCpus = service ? threadAffinity(service.process.pid)?.cpus : undefined;
            const pg = postgresAffinity();
            log(`  ${sample.tps.toFixed(0)} tps, p50 ${(s.p50 * 1000).toFixed(0)} µs, p99 ${(s.p99 * 1000).toFixed(0)} µs (proxy on CPU ${proxyCpus ?? '-'}, PostgreSQL on CPU ${pg.cpus})`);
            runs.push({
              workload: workload.name,
              target: target.name,
              round: round + 1,
              tps: sample.tps,
              transactions: sample.transactions,
              p50Us: s.p50 * 1000,
              p99Us: s.p99 * 1000,
              ...(proxyCpus === undefined ? {} : { proxyCpus }),
              postgresCpus: pg.cpus,
            });
            cell.samples.append(sample.latencies);
            cell.tps.push(sample.tps);
            cell.transactions += sample.transactions;
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            log(`  failed: ${message}`);
            runs.push({ workload: workload.name, target: target.name, round: round + 1, tps: Number.NaN, transactions: 0, p50Us: Number.NaN, p99Us: Number.NaN, postgresCpus: '', error: message });
          }
        }
      }
    }
  } finally {
    restorePostgresAffinitySync();
    const after = postgresAffinity();
    log(`pinned: PostgreSQL affinity restored to ${after.cpus} (${after.processes} processes)`);
    for (const [kind, service] of services) {
      log(`pinned: stopping ${kind}`);
      await service.stop();
    }
    process.removeListener('exit', onExit);
    for (const [s, h] of handlers) process.removeListener(s, h);
  }

  const summary: PinnedCell[] = [];
  for (const workload of options.workloads) {
    const direct = pooled.get(`${workload.name}|direct`);
    const directLat = direct && direct.samples.length > 0 ? direct.samples.summary() : null;
    for (const target of targets) {
      const cell = pooled.get(`${workload.name}|${target.name}`);
      if (!cell || cell.samples.length === 0) continue;
      const lat = cell.samples.summary();
      summary.push({
        workload: workload.name,
        target: target.name,
        transactions: cell.transactions,
        tps: mean(cell.tps),
        avgUs: lat.mean * 1000,
        p50Us: lat.p50 * 1000,
        p99Us: lat.p99 * 1000,
        addedP50Us: directLat ? (lat.p50 - directLat.p50) * 1000 : Number.NaN,
        addedP99Us: directLat ? (lat.p99 - directLat.p99) * 1000 : Number.NaN,
      });
    }
  }
  const first = options.workloads[0];
  return {
    clients: 1,
    durationSec: options.durationSec,
    rounds: options.rounds,
    command: first ? first.command(wo).replace(/^pgbench/, `taskset -c ${DATABASE_CPU} pgbench`) : '',
    affinity: { pgbench: DATABASE_CPU, postgres, proxies, restoredTo: allCpus() },
    runs,
    summary,
  };
}
