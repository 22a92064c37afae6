import type { StaticWord } from './static-word.js';

/**
 * Programs that run another command given in their arguments. For each: the
 * options that take a value (so the value is not mistaken for the command),
 * and how many leading operands come before the command.
 */
interface Wrapper {
  readonly valued: ReadonlySet<string>;
  readonly operands?: number;
  /** `env NAME=value cmd`: leading assignments are skipped. */
  readonly assignments?: boolean;
}

const WRAPPERS: Readonly<Record<string, Wrapper>> = {
  sudo: { valued: new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T', '--user', '--group', '--chdir', '--host', '--prompt', '--role', '--type', '--other-user', '--close-from', '--command-timeout']) },
  doas: { valued: new Set(['-u', '-C']) },
  env: { valued: new Set(['-u', '-C', '--unset', '--chdir']), assignments: true },
  nice: { valued: new Set(['-n', '--adjustment']) },
  ionice: { valued: new Set(['-c', '-n', '-t', '-p', '-P', '-u', '--class', '--classdata']) },
  timeout: { valued: new Set(['-s', '-k', '--signal', '--kill-after']), operands: 1 },
  nohup: { valued: new Set() },
  time: { valued: new Set(['-f', '-o', '--format', '--output']) },
  command: { valued: new Set() },
  builtin: { valued: new Set() },
  exec: { valued: new Set(['-a']) },
  stdbuf: { valued: new Set(['-i', '-o', '-e']) },
  chrt: { valued: new Set() , operands: 1 },
  taskset: { valued: new Set(), operands: 1 },
  setsid: { valued: new Set() },
  unbuffer: { valued: new Set() },
  busybox: { valued: new Set() },
  chroot: { valued: new Set(['--userspec', '--groups']), operands: 1 },
  xargs: { valued: new Set(['-a', '-d', '-E', '-e', '-I', '-i', '-L', '-l', '-n', '-P', '-s', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--replace', '--max-lines', '--eof']) },
  watch: { valued: new Set(['-n', '-d', '--interval']) },
  strace: { valued: new Set(['-e', '-o', '-p', '-s', '-u']) },
  flock: { valued: new Set(['-w', '-E', '--timeout']), operands: 1 },
};

export function isWrapper(name: string): boolean {
  return Object.hasOwn(WRAPPERS, name);
}

export interface Unwrapped {
  /** The wrappers peeled off, outermost first. */
  readonly wrappers: readonly string[];
  /** The command that finally runs (may be empty: `sudo -v`, `command -v x`). */
  readonly argv: readonly StaticWord[];
  /** A wrapper's argument that could not be read statically, or a wrapper mode that runs a shell. */
  readonly opaque?: string;
}

export function programName(value: string): string {
  return value.split('/').pop() ?? value;
}

/** Peels `sudo -u x env A=1 nice -n 5 rm -rf /` down to `rm -rf /`. */
export function unwrap(argv: readonly StaticWord[]): Unwrapped {
  const wrappers: string[] = [];
  let rest = argv;
  for (let depth = 0; depth < 16; depth++) {
    const head = rest[0];
    if (!head || head.value === null) break;
    const name = programName(head.value);
    const spec = WRAPPERS[name];
    if (!spec) break;
    wrappers.push(name);
    let i = 1;
    let operands = spec.operands ?? 0;
    while (i < rest.length) {
      const w = rest[i];
      if (!w || w.value === null) return { wrappers, argv: rest.slice(i), opaque: `${name} argument ${w?.raw ?? ''}` };
      const v = w.value;
      if (v === '--') {
        i++;
        break;
      }
      if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
        i++;
        continue;
      }
      if (v.startsWith('-') && v.length > 1 && operands === (spec.operands ?? 0)) {
        if (name === 'env' && (v === '-S' || v.startsWith('--split-string'))) return { wrappers, argv: [], opaque: 'env -S splits a string into a command' };
        if ((name === 'sudo' || name === 'doas') && (v === '-s' || v === '-i' || v === '--shell' || v === '--login')) {
          return { wrappers, argv: [{ value: 'sh', raw: v }, ...rest.slice(i + 1)] };
        }
        if (name === 'command' && (v === '-v' || v === '-V')) return { wrappers, argv: [] };
        const eq = v.indexOf('=');
        const flag = eq > 0 ? v.slice(0, eq) : v;
        i += spec.valued.has(flag) && eq < 0 ? 2 : 1;
        continue;
      }
      if (operands > 0) {
        operands--;
        i++;
        continue;
      }
      break;
    }
    rest = rest.slice(i);
    // `watch 'rm -rf x'` hands its one argument to `sh -c`.
    if (name === 'watch' && rest.length === 1 && rest[0]) rest = [{ value: 'sh', raw: 'watch' }, { value: '-c', raw: '-c' }, rest[0]];
  }
  return { wrappers, argv: rest };
}
