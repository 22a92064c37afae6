import type { StaticWord } from './static-word.js';

/**
 * A command's options normalised: `-rf`, `-r -f`, `-fr` and
 * `--recursive --force` all give {r, f} when the long names are mapped.
 */
export interface Options {
  readonly short: ReadonlySet<string>;
  readonly long: ReadonlySet<string>;
  /** Arguments that are not options (after `--` everything is an operand). */
  readonly operands: readonly string[];
  /** Words whose value is not known statically. */
  readonly unknown: number;
  has(short: string, long?: string): boolean;
}

export function parseOptions(args: readonly StaticWord[], longToShort: Readonly<Record<string, string>> = {}, valued: ReadonlySet<string> = new Set()): Options {
  const short = new Set<string>();
  const long = new Set<string>();
  const operands: string[] = [];
  let unknown = 0;
  let ended = false;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]?.value ?? null;
    if (v === null) {
      unknown++;
      continue;
    }
    if (ended || v === '-' || !v.startsWith('-')) {
      operands.push(v);
      continue;
    }
    if (v === '--') {
      ended = true;
      continue;
    }
    if (v.startsWith('--')) {
      const name = v.slice(2).split('=')[0] ?? '';
      long.add(name);
      const mapped = longToShort[name];
      if (mapped) short.add(mapped);
      if (valued.has(`--${name}`) && !v.includes('=')) i++;
      continue;
    }
    for (const ch of v.slice(1)) {
      short.add(ch);
      if (valued.has(`-${ch}`)) {
        if (v.endsWith(ch)) i++;
        break;
      }
    }
  }
  return {
    short,
    long,
    operands,
    unknown,
    has: (s: string, l?: string) => short.has(s) || (l !== undefined && long.has(l)),
  };
}
