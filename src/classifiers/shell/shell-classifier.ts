import type { Classification } from '../../model/action.js';
import { type RiskLevel, maxRisk } from '../../model/risk-level.js';
import type { CommandClassifier } from '../command-classifier.js';
import { REDIRECT, parseBash } from './bash-syntax.js';
import { programName, unwrap } from './command-wrappers.js';
import { type Cwds, judgePath } from './path-resolution.js';
import { assessProgram, isInterpreter } from './program-risk.js';
import { collectCommands, isWriteRedirect } from './simple-commands.js';
import type { StaticWord } from './static-word.js';

/** What a shell line needs from the SQL classifier (`psql -c '...'`); injected so protocols stay apart. */
export interface SqlRisk {
  classify(sql: string): Classification;
}

export interface ShellClassifier extends CommandClassifier {
  /** Classifies with relative paths resolved against the session's tracked working directory. */
  classifyIn(command: string, cwd: string | null): Classification;
  /** `incomplete` when bash would wait for more input (open quote, here-doc, `if` without `fi`). */
  completeness(command: string): 'complete' | 'incomplete' | 'invalid';
}

const MAX_NESTING = 4;
/** Variables that change what later lines run or how they are split and found. */
const STATE_VARIABLES = new Set(['PATH', 'IFS', 'BASH_ENV', 'ENV', 'PROMPT_COMMAND', 'PS1', 'PS0', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'HOME']);
const VARIABLE_SETTERS = new Set(['read', 'printf', 'unset', 'mapfile', 'readarray', 'getopts', 'export', 'declare', 'typeset', 'readonly', 'local']);
/** Longer input is refused rather than parsed: no one types a 64 KiB command line. */
const MAX_LINE_BYTES = 64 * 1024;
/** Arguments that make a shell or interpreter take its program from standard input. */
const STDIN_SCRIPT = new Set(['-s', '-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);
const REMOTE_FETCH = new Set(['curl', 'wget', 'nc', 'ncat', 'socat', 'base64', 'xxd', 'openssl', 'gzip', 'zcat', 'gunzip', 'rev', 'tr']);

class Findings {
  risk: RiskLevel = 'low';
  cwds: Cwds;
  constructor(cwd: string | null) {
    this.cwds = [cwd];
  }
  readonly kinds = new Set<string>();
  readonly objects = new Set<string>();
  readonly flags = new Set<string>();
  raise(risk: RiskLevel, flag?: string): void {
    this.risk = maxRisk(this.risk, risk);
    if (flag) this.flags.add(flag);
  }
}

/** The directories `cd`, `pushd` and `popd` in a line may move to; null when not knowable. */
function directoryChanges(commands: readonly (readonly StaticWord[])[], cwds: Cwds): (string | null)[] {
  const out: (string | null)[] = [];
  for (const argv of commands) {
    const name = argv[0]?.value;
    if (name !== 'cd' && name !== 'pushd' && name !== 'popd') continue;
    const dir = argv.slice(1).find((w) => w.value === null || !w.value.startsWith('-'));
    if (name === 'popd' || !dir || dir.value === null || dir.value === '-' || dir.value.startsWith('~')) {
      out.push(null);
      continue;
    }
    for (const j of judgePath(dir.value, cwds).resolved) out.push(j);
    if (!dir.value.startsWith('/') && cwds.includes(null)) out.push(null);
  }
  return out;
}

export function createShellClassifier(options: { sql?: SqlRisk } = {}): ShellClassifier {
  const classifyArgv = (argv: readonly StaticWord[], f: Findings, depth: number, ctx: { piped: boolean; upstream: readonly string[]; heredoc: boolean; unknownOperands?: boolean }): void => {
    const un = unwrap(argv);
    for (const w of un.wrappers) f.kinds.add(w);
    if (un.opaque) f.raise('high', 'dynamic_wrapper_argument');
    const head = un.argv[0];
    if (!head) return;
    if (head.value === null) {
      f.raise('high', head.reason === 'escape_encoding' ? 'encoded_command' : 'dynamic_command');
      return;
    }
    const name = programName(head.value);
    if (head.value.includes('/') && !head.value.startsWith('/')) f.raise('medium', 'local_script');
    f.kinds.add(name);
    const args = un.argv.slice(1);
    const a = assessProgram(name, args, f.cwds);
    f.raise(a.risk);
    for (const flag of a.flags) f.flags.add(flag);
    for (const o of a.objects) f.objects.add(o);
    // Arguments that arrive from stdin (`xargs`) or from a file search (`find -exec {}`) are unknown objects.
    if (un.wrappers.includes('xargs') || ctx.unknownOperands) f.raise(a.risk === 'medium' ? 'high' : a.risk, un.wrappers.includes('xargs') ? 'xargs_arguments' : undefined);
    const readsStdinCode =
      isInterpreter(name) &&
      a.nestedScript === undefined &&
      a.sql === undefined &&
      !a.flags.includes('inline_code') &&
      (args.every((w) => (w.value ?? '').startsWith('-')) || args.some((w) => w.value !== null && STDIN_SCRIPT.has(w.value)));
    if (readsStdinCode && ctx.piped) f.raise(ctx.upstream.some((p) => REMOTE_FETCH.has(p)) ? 'critical' : 'high', 'pipe_to_interpreter');
    if (readsStdinCode && ctx.heredoc) f.raise('high', 'heredoc_to_interpreter');
    if (a.sql !== undefined) {
      if (options.sql) {
        const sql = options.sql.classify(a.sql);
        f.raise(sql.risk);
        for (const k of sql.facts.kinds) f.kinds.add(`sql:${k}`);
        for (const o of sql.facts.objects) f.objects.add(o);
        for (const fl of sql.facts.flags) f.flags.add(fl);
      } else f.raise('high', 'sql_not_classified');
    }
    if (a.nestedScript !== undefined) {
      if (depth >= MAX_NESTING) f.raise('high', 'nesting_too_deep');
      else classifyText(a.nestedScript, f, depth + 1);
    }
    if (a.nestedArgv) {
      if (depth >= MAX_NESTING) f.raise('high', 'nesting_too_deep');
      else classifyArgv(a.nestedArgv, f, depth + 1, { piped: false, upstream: [], heredoc: false, unknownOperands: a.flags.includes('find_exec') });
    }
  };

  const classifyText = (command: string, f: Findings, depth: number): void => {
    // Control characters other than tab and newline never reach a shell unseen.
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(command)) {
      f.raise('critical', 'control_characters');
      return;
    }
    const parsed = parseBash(command);
    if (parsed.kind !== 'ok') {
      f.raise('critical', parsed.kind === 'incomplete' ? 'incomplete' : 'unparseable');
      return;
    }
    const line = collectCommands(parsed.file, command);
    f.cwds = [...f.cwds, ...directoryChanges(line.commands.map((c) => unwrap(c.argv).argv), f.cwds)];
    for (const c of line.constructs) f.raise('high', c);
    for (const name of line.assignedInExpressions) {
      if (name === null) f.raise('high', 'dynamic_assignment');
      else if (STATE_VARIABLES.has(name)) f.raise('high', 'shell_state');
    }
    for (const flag of line.arithmeticFlags) f.raise(flag === 'dynamic_arithmetic' ? 'medium' : 'high', flag);
    for (const r of line.redirections) {
      if (!isWriteRedirect(r.op)) continue;
      const target = r.target.value;
      if (target === null) {
        f.raise('high', 'dynamic_redirect');
        continue;
      }
      if (target === '/dev/null' || target === '/dev/stdout' || target === '/dev/stderr') continue;
      // `2>&1`, `>&2`, `>&-` duplicate or close descriptors; `>& file` writes a file.
      if (r.op === REDIRECT.dupOut && /^(\d+-?|-)$/.test(target)) continue;
      const j = judgePath(target, f.cwds);
      for (const p of j.resolved) f.objects.add(p);
      f.raise(j.risk ?? (j.unknown ? 'medium' : 'low'), 'writes_file');
      if (j.unknown) f.flags.add('unknown_cwd');
      if (j.traversal) f.raise('high', 'dotdot_path');
    }
    for (const c of line.commands) {
      if (c.argv.length === 0) {
        if (c.assignments.some((n) => STATE_VARIABLES.has(n))) f.raise('high', 'shell_state');
        continue;
      }
      if (c.argv[0]?.value === 'export' || c.argv[0]?.value === 'declare' || c.argv[0]?.value === 'typeset' || c.argv[0]?.value === 'readonly' || c.argv[0]?.value === 'local') {
        if (c.assignments.some((n) => STATE_VARIABLES.has(n))) f.raise('high', 'shell_state');
      }
      if (c.assignments.some((n) => STATE_VARIABLES.has(n))) f.raise('high', 'shell_state');
      // `read PATH`, `printf -v IFS`, `unset PATH`, `mapfile`: builtins that set variables named in their arguments.
      if (VARIABLE_SETTERS.has(c.argv[0]?.value ?? '') && c.argv.slice(1).some((w) => w.value === null || STATE_VARIABLES.has(w.value))) f.raise('high', 'shell_state');
      classifyArgv(c.argv, f, depth, { piped: c.pipedInput, upstream: c.upstream, heredoc: c.heredocInput });
    }
  };

  const classifyIn = (command: string, cwd: string | null): Classification => {
    const f = new Findings(cwd);
    if (Buffer.byteLength(command, 'utf8') > MAX_LINE_BYTES) {
      f.raise('critical', 'too_long');
      return { risk: f.risk, facts: { kinds: [], objects: [], flags: [...f.flags] } };
    }
    try {
      classifyText(command, f, 0);
    } catch {
      f.raise('critical', 'unparseable');
    }
    return { risk: f.risk, facts: { kinds: [...f.kinds], objects: [...f.objects], flags: [...f.flags] } };
  };

  return {
    protocol: 'shell',
    classify: (command) => classifyIn(command, null),
    classifyIn,
    completeness: (command) => {
      const r = parseBash(command);
      return r.kind === 'ok' ? 'complete' : r.kind;
    },
  };
}
