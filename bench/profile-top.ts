// Prints the functions with the most self time in a V8 .cpuprofile (node --cpu-prof).
// Usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--json] [--from-us T0 --to-us T1]
// --from-us/--to-us keep the samples taken in that window (the profile's clock: CLOCK_MONOTONIC µs,
// what process.hrtime() reads), e.g. only the load-generator run, without the process's start-up.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileEntry {
  readonly function: string;
  readonly location: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

/** Only the samples taken in [fromUs, toUs] (the profile's timestamps: CLOCK_MONOTONIC µs, as process.hrtime.bigint() / 1000n). */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export interface ProfileSummary {
  /** Length of the profile, or of the window when one was given. */
  readonly totalMs: number;
  readonly window?: ProfileWindow;
  /** Share of samples not idle (the program or GC was running). */
  readonly busyPercent: number;
  readonly top: readonly ProfileEntry[];
  /** Self time grouped by where the code lives (src/, node internals, a dependency). */
  readonly byArea: ReadonlyArray<{ readonly area: string; readonly selfPercent: number; readonly selfMs?: number }>;
}

function location(frame: CallFrame, root: string): string {
  if (frame.url === '') return '(native)';
  let path = frame.url;
  if (path.startsWith('file://')) path = relative(root, fileURLToPath(path));
  return `${path}:${frame.lineNumber + 1}`;
}

function areaOf(frame: CallFrame, root: string): string {
  const name = frame.functionName;
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  const loc = location(frame, root);
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(loc);
  if (dep) return `dependency ${dep[1]}`;
  if (loc.startsWith('dist/src/')) return loc.split('/').slice(0, 4).join('/').replace(/:\d+$/, '');
  if (loc.startsWith('node:')) return 'node internals';
  return loc === '(native)' ? 'native / builtins' : 'other';
}

export function summarizeProfile(file: string, top = 25, root = process.cwd(), window?: ProfileWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const total = window
    ? Math.max(1, Math.min(window.toUs, profile.endTime) - Math.max(window.fromUs, profile.startTime))
    : profile.endTime - profile.startTime;
  const byFunction = new Map<string, { frame: CallFrame; us: number }>();
  const byArea = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') idle += us;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const entry = byFunction.get(key) ?? { frame, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const area = areaOf(frame, root);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const entries = [...byFunction.values()]
    .filter((e) => e.frame.functionName !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      function: e.frame.functionName || '(anonymous)',
      location: location(e.frame, root),
      selfMs: e.us / 1000,
      selfPercent: (100 * e.us) / total,
    }));
  return {
    totalMs: total / 1000,
    ...(window ? { window } : {}),
    busyPercent: (100 * (total - idle)) / total,
    top: entries,
    byArea: [...byArea.entries()]
      .filter(([area]) => area !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([area, us]) => ({ area, selfPercent: (100 * us) / total, selfMs: us / 1000 })),
  };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false }, 'from-us': { type: 'string' }, 'to-us': { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--json] [--from-us T0 --to-us T1]\n');
    process.exit(2);
  }
  const window = values['from-us'] !== undefined || values['to-us'] !== undefined
    ? { fromUs: Number(values['from-us'] ?? 0), toUs: Number(values['to-us'] ?? Number.MAX_SAFE_INTEGER) }
    : undefined;
  const summary = summarizeProfile(file, Number(values.top), process.cwd(), window);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  process.stdout.write(`profile ${file}: ${summary.totalMs.toFixed(0)} ms, busy ${summary.busyPercent.toFixed(1)}%\n\n`);
  process.stdout.write(' self ms   self %  function  (location)\n');
  for (const e of summary.top) {
    process.stdout.write(`${e.selfMs.toFixed(1).padStart(8)} ${e.selfPercent.toFixed(2).padStart(7)}%  ${e.function}  (${e.location})\n`);
  }
  process.stdout.write('\nby area:\n');
  for (const a of summary.byArea) process.stdout.write(`${a.selfPercent.toFixed(2).padStart(7)}%  ${a.area}\n`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) main();
