// Where a proxy's CPU goes, per transaction, kernel included: `perf record -g`
// samples the proxy process on-CPU (unlike V8's --cpu-prof, which samples wall
// time on the main thread and cannot see inside write(2)), and every sample's
// call stack is put in one bucket. Node targets run with --perf-basic-prof so
// JIT frames carry their function and file names. The buckets' shares are
// scaled to the CPU time /proc reports for the same window, divided by the
// transactions pgbench completed in it.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cpuTimeMs, run } from './processes.js';
import { startAirlock, startNodeRelay, startPgBouncer, type Service, type ServiceContext } from './services.js';
import { TARGETS } from './targets.js';
import type { Workload } from './workloads.js';

/** The buckets, in the order the report lists them. */
export const BUCKETS = [
  'socket write (syscall, kernel TCP)',
  'socket read (syscall, kernel TCP)',
  'epoll and other kernel',
  'Node streams, callbacks, buffers',
  'PostgreSQL protocol (framing, state, relay)',
  'SQL classification',
  'gate, policy, risk, metrics',
  'audit: serialize and hash',
  'audit: file write',
  'garbage collection',
  'other (runtime, libc, program)',
] as const;
export type Bucket = (typeof BUCKETS)[number];

export interface CpuBreakdown {
  readonly target: string;
  readonly workload: string;
  /** perf samples taken in the window. */
  readonly samples: number;
  readonly windowSec: number;
  /** Transactions completed in the window (pgbench's TPS over the whole run × window). */
  readonly transactions: number;
  /** Process CPU in the window per transaction, µs (/proc). */
  readonly cpuUsPerTx: number;
  readonly bucketsUsPerTx: Readonly<Record<Bucket, number>>;
}

/** Whether `perf record` works here (installed, and perf events allowed). */
export async function perfAvailable(): Promise<boolean> {
  const probe = await run('perf', ['stat', '-e', 'task-clock', '--', 'true']).catch(() => null);
  return probe !== null && probe.code === 0;
}

const SYSCALL_WRITE = /^(__GI___libc_write|__libc_write|write|writev|__writev|__GI___writev|send|__libc_send|__send|sendto|__libc_sendto|sendmsg|__libc_sendmsg)$/;
const SYSCALL_READ = /^(__GI___libc_read|__libc_read|read|readv|__readv|recv|__libc_recv|__recv|recvfrom|__libc_recvfrom|recvmsg|__libc_recvmsg)$/;

/** The bucket of one sample; `frames[0]` is the leaf, kernel frames start with "[k] ". */
export function bucketOf(frames: readonly string[]): Bucket {
  // In the kernel: the system call is named by the first user-space frame above it (libc's wrapper).
  if ((frames[0] ?? '').startsWith('[k] ')) {
    const caller = frames.find((f) => !f.startsWith('[k] ')) ?? '';
    const name = caller.replace(/\+0x[0-9a-f]+$/, '');
    if (SYSCALL_WRITE.test(name)) return frames.some((f) => f.includes('/src/audit/')) ? 'audit: file write' : 'socket write (syscall, kernel TCP)';
    if (SYSCALL_READ.test(name)) return 'socket read (syscall, kernel TCP)';
    // epoll_wait, other system calls, and interrupts or faults taken while user code ran.
    return 'epoll and other kernel';
  }
  const leaf = frames[0] ?? '';
  if (/Scaveng|GarbageCollect|MarkCompact|ConcurrentMarking|Heap::|Sweeper|heap::base|\(garbage collector\)/.test(leaf)) return 'garbage collection';
  // Innermost frame that names a part of Airlock (or of Node's stream machinery) decides.
  for (const frame of frames) {
    if (frame.includes('/src/audit/')) return 'audit: serialize and hash';
    if (frame.includes('/src/classifiers/')) return 'SQL classification';
    if (/\/src\/(gate|policy|risk|telemetry|model)\//.test(frame)) return 'gate, policy, risk, metrics';
    if (frame.includes('/src/protocols/postgres/')) return 'PostgreSQL protocol (framing, state, relay)';
    if (/node:internal\/streams|stream_base_commons|node:net|node:buffer|task_queues|node:events|node::StreamBase|LibuvStreamWrap|InternalMakeCallback|AsyncWrap|allocate_managed_buffer|uv__/.test(frame)) {
      return 'Node streams, callbacks, buffers';
    }
  }
  return 'other (runtime, libc, program)';
}

/** Samples `pid` on-CPU with call stacks for `seconds` into `file`. */
async function recordStacks(pid: number, seconds: number, file: string): Promise<void> {
  const record = await run('perf', ['record', '-F', '999', '-g', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)]);
  if (record.code !== 0) throw new Error(`perf record failed: ${record.stderr.trim().split('\n').pop() ?? ''}`);
}

/** Counts the samples of `file` by bucket. */
async function bucketStacks(file: string): Promise<Map<Bucket, number>> {
  const counts = new Map<Bucket, number>();
  const script = spawn('perf', ['script', '-i', file, '-F', 'ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let frames: string[] = [];
  const flush = (): void => {
    if (frames.length === 0) return;
    const bucket = bucketOf(frames);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    frames = [];
  };
  for await (const line of createInterface({ input: script.stdout })) {
    const trimmed = line.trim();
    if (trimmed === '') flush();
    else {
      // "ADDRESS SYMBOL+0xOFF": kernel addresses are marked so kernel frames can be told apart.
      const space = trimmed.indexOf(' ');
      const address = space > 0 ? trimmed.slice(0, space) : trimmed;
      const symbol = space > 0 ? trimmed.slice(space + 1) : '?';
      frames.push(address.startsWith('ffffffff') ? `[k] ${symbol}` : symbol);
    }
  }
  flush();
  return counts;
}

/**
 * Samples `service` while `load` runs: the window starts a third into the run
 * and lasts a third of it, so warm-up and the tail are left out. The stacks
 * are read once the load is over, so reading them costs the proxy nothing.
 */
export async function breakdownDuring(
  service: Service,
  target: string,
  workload: string,
  durationSec: number,
  file: string,
  load: () => Promise<{ tps: number }>,
): Promise<CpuBreakdown> {
  const windowSec = Math.max(2, Math.floor(durationSec / 3));
  const running = load();
  await new Promise((resolve) => setTimeout(resolve, Math.floor(durationSec / 3) * 1000));
  const before = await cpuTimeMs(service.process.pid);
  await recordStacks(service.process.pid, windowSec, file);
  const after = await cpuTimeMs(service.process.pid);
  const sample = await running;
  const counts = await bucketStacks(file);
  const transactions = sample.tps * windowSec;
  const cpuMs = before && after ? after.userMs + after.sysMs - before.userMs - before.sysMs : Number.NaN;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const cpuUsPerTx = (cpuMs * 1000) / transactions;
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b, total > 0 ? ((counts.get(b) ?? 0) / total) * cpuUsPerTx : Number.NaN])) as Record<Bucket, number>;
  return { target, workload, samples: total, windowSec, transactions, cpuUsPerTx, bucketsUsPerTx: buckets };
}

/** The proxies compared, each started fresh (Node ones with --perf-basic-prof so JIT frames have names). */
export const BREAKDOWN_TARGETS = ['pgbouncer', 'node-relay', 'airlock'] as const;

export interface BreakdownOptions {
  readonly workloads: readonly Workload[];
  readonly clients: number;
  readonly threads: number;
  readonly durationSec: number;
}

/** Every target under every workload; a target that fails is left out and reported through `log`. */
export async function runCpuBreakdown(ctx: ServiceContext, options: BreakdownOptions, log: (line: string) => void): Promise<CpuBreakdown[]> {
  if (!(await perfAvailable())) throw new Error('perf is not installed or not allowed here (Debian package linux-perf; kernel.perf_event_paranoid)');
  const dir = join(ctx.workDir, 'perf');
  mkdirSync(dir, { recursive: true });
  const results: CpuBreakdown[] = [];
  for (const workload of options.workloads) {
    for (const name of BREAKDOWN_TARGETS) {
      const target = TARGETS.find((t) => t.name === name);
      if (!target) continue;
      log(`CPU breakdown (perf): ${workload.name} through ${name}`);
      const service = name === 'pgbouncer' ? await startPgBouncer(ctx) : name === 'node-relay' ? await startNodeRelay(ctx, PERF_FLAGS) : await startAirlock(ctx, { name: 'airlock-perf', nodeFlags: PERF_FLAGS });
      try {
        await workload.reset?.();
        const file = join(dir, `${workload.name}-${name}.data`);
        results.push(await breakdownDuring(service, name, workload.name, options.durationSec, file, () => workload.run(target.connection(service), options)));
        rmSync(file, { force: true });
        rmSync(`/tmp/perf-${service.process.pid}.map`, { force: true });
      } catch (err) {
        log(`  failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await service.stop();
      }
    }
  }
  return results;
}

/** V8 writes /tmp/perf-PID.map so perf can name JIT frames (and, with it, a code log: sent nowhere). */
const PERF_FLAGS = ['--perf-basic-prof', '--logfile=/dev/null', '--no-logfile-per-isolate'];
