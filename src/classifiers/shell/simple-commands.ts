import { BINARY, type BashNode, REDIRECT, child, list, nodeType, num, parseBash, text, walk } from './bash-syntax.js';
import { type StaticWord, staticWord } from './static-word.js';

/** One simple command as bash will run it: its words, assignments and redirections. */
export interface SimpleCommand {
  readonly argv: readonly StaticWord[];
  readonly assignments: readonly string[];
  /** Reads its standard input from a pipe. */
  readonly pipedInput: boolean;
  /** Programs earlier in the same pipeline (static names only). */
  readonly upstream: readonly string[];
  /** Gets a here-document or here-string on standard input. */
  readonly heredocInput: boolean;
}

export interface Redirection {
  readonly op: number;
  readonly target: StaticWord;
}

export interface CommandLine {
  readonly commands: readonly SimpleCommand[];
  readonly redirections: readonly Redirection[];
  /** Constructs that change the shell's own state or hide code: `f() {...}`, `coproc`, `declare -n`, `exec <file`. */
  readonly constructs: readonly string[];
  /**
   * Variables assigned outside plain assignments: arithmetic (`(( PATH=0 ))`,
   * `let`, `$(( ))`, array subscripts, `++`) and `${VAR:=default}`. null: the
   * name is only known when the line runs.
   */
  readonly assignedInExpressions: readonly (string | null)[];
  /** Arithmetic whose text is only known when the line runs (`$(( $n ))`): bash may assign from it. */
  readonly arithmeticFlags: readonly string[];
}

const WRITE_OPS = new Set<number>([REDIRECT.out, REDIRECT.append, REDIRECT.readWrite, REDIRECT.clobber, REDIRECT.allOut, REDIRECT.allAppend, REDIRECT.dupOut]);
const HEREDOC_OPS = new Set<number>([REDIRECT.heredoc, REDIRECT.dashHeredoc, REDIRECT.hereString]);
/** Redirections that name the descriptor they change by default: input ones fd 0, the rest fd 1 (`&>` also 2). */
const INPUT_OPS = new Set<number>([REDIRECT.in, REDIRECT.readWrite, REDIRECT.dupIn]);
/** Arithmetic assignment operators by mvdan-sh's numbering (measured): `+=` ... `>>=` are 44-53, `=` is 74; `++`/`--` are 36/37. */
const ARITHMETIC_ASSIGN = new Set<number>([44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 74]);
const ARITHMETIC_STEP = new Set<number>([36, 37]);
/** `${VAR=default}` and `${VAR:=default}` assign when VAR is unset (or empty). */
const PARAM_ASSIGN = new Set<number>([74, 75]);

export function isWriteRedirect(op: number): boolean {
  return WRITE_OPS.has(op);
}

interface Pos {
  Offset(): number;
}

function span(n: BashNode): string {
  try {
    return `${(n['Pos'] as () => Pos).call(n).Offset()}-${(n['End'] as () => Pos).call(n).Offset()}`;
  } catch {
    return '?';
  }
}

/** The variable an arithmetic assignment writes: `X` of `X=1`, `a` of `a[i]=1`; null when only known at run time. */
function arithmeticTarget(x: BashNode | null, source: string): string | null {
  if (!x) return null;
  if (nodeType(x) === 'ParamExp') return text(child(x, 'Param') ?? {}, 'Value') || null;
  const parts = list(x['Parts']);
  if (parts.length === 1) {
    const part = parts[0] as BashNode;
    if (nodeType(part) === 'Lit') return text(part, 'Value');
    if (nodeType(part) === 'ParamExp' && !child(part, 'Exp') && !child(part, 'Repl') && !child(part, 'Slice')) {
      // `a[1]` parses as a parameter with an index; `$a`/`${a}` expand first and name another variable.
      const raw = staticWord(x, source).raw;
      if (!raw.startsWith('$')) return text(child(part, 'Param') ?? {}, 'Value') || null;
    }
  }
  return null;
}

/**
 * Bash evaluates the text of an arithmetic context after quote removal and
 * expansion, so `let "IFS=1"` and `$(( "PATH=1" ))` assign too. Quoted words
 * whose text is known are parsed again as arithmetic; words with expansions
 * (`$(( $n ))`) are only known when the line runs.
 */
function wordsInArithmetic(node: BashNode, source: string, depth: number, assigned: (string | null)[], flags: Set<string> | null): void {
  walk(node, (n) => {
    if (nodeType(n) !== 'Word') return true;
    const parts = list(n['Parts']);
    if (parts.every((p) => nodeType(p) === 'Lit')) return true;
    const quoted = parts.some((p) => nodeType(p) === 'SglQuoted' || nodeType(p) === 'DblQuoted');
    const value = staticWord(n, source).value;
    if (value === null) {
      if (quoted) flags?.add('dynamic_assignment');
      else flags?.add('dynamic_arithmetic');
      if (quoted) assigned.push(null);
      return true;
    }
    if (!quoted) return true;
    const inner = parseBash(`(( ${value} ))`);
    if (inner.kind !== 'ok' || depth >= 4) {
      assigned.push(null);
      return true;
    }
    walk(inner.file, (m) => {
      if (nodeType(m) === 'BinaryArithm' && ARITHMETIC_ASSIGN.has(num(m, 'Op'))) assigned.push(arithmeticTarget(child(m, 'X'), `(( ${value} ))`));
      if (nodeType(m) === 'UnaryArithm' && ARITHMETIC_STEP.has(num(m, 'Op'))) assigned.push(arithmeticTarget(child(m, 'X'), `(( ${value} ))`));
      return true;
    });
    wordsInArithmetic(inner.file, `(( ${value} ))`, depth + 1, assigned, flags);
    return true;
  });
}

/** The descriptor a redirection changes (0, 1, 2, ...), or null for `{name}>file` (a new descriptor). */
function redirectedFd(redirect: BashNode): number | null {
  const n = child(redirect, 'N');
  const op = num(redirect, 'Op');
  if (!n) return INPUT_OPS.has(op) ? 0 : 1;
  const fd = text(n, 'Value');
  return /^\d+$/.test(fd) ? Number(fd) : null;
}

function firstWordName(stmt: BashNode, source: string): string[] {
  const names: string[] = [];
  walk(stmt, (n) => {
    if (nodeType(n) === 'CallExpr') {
      const first = list(n['Args'])[0];
      const v = first ? staticWord(first, source).value : null;
      if (v !== null) names.push(v.split('/').pop() ?? v);
    }
    return true;
  });
  return names;
}

/** Every simple command of a parsed line, including those in substitutions, subshells and functions. */
export function collectCommands(file: BashNode, source: string): CommandLine {
  const commands: SimpleCommand[] = [];
  const redirections: Redirection[] = [];
  const constructs: string[] = [];
  const assignedInExpressions: (string | null)[] = [];
  const arithmeticFlags = new Set<string>();
  // mvdan-sh hands out a fresh wrapper object on every field read, so nodes are keyed by type and span.
  const key = (n: BashNode): string => `${nodeType(n)}:${span(n)}`;
  const pipedBy = new Map<string, string[]>();
  const piped = {
    get: (n: BashNode) => pipedBy.get(key(n)),
    set: (n: BashNode, v: string[]) => pipedBy.set(key(n), v),
    delete: (n: BashNode) => pipedBy.delete(key(n)),
  };
  const heredocKeys = new Set<string>();
  const heredocStmts = { add: (n: BashNode) => heredocKeys.add(key(n)), has: (n: BashNode) => heredocKeys.has(key(n)) };

  walk(file, (n) => {
    const type = nodeType(n);
    if (type === 'BinaryCmd') {
      const op = num(n, 'Op');
      if (op === BINARY.pipe || op === BINARY.pipeAll) {
        const x = child(n, 'X');
        const y = child(n, 'Y');
        if (x && y) piped.set(y, [...(piped.get(n) ?? []), ...firstWordName(x, source)]);
      }
      const y = child(n, 'Y');
      const inherited = piped.get(n);
      // `a | b && c`: the inherited pipe reaches only the left side of a list operator.
      if (inherited && y && op !== BINARY.pipe && op !== BINARY.pipeAll) piped.delete(n);
      const x = child(n, 'X');
      if (inherited && x) piped.set(x, inherited);
    } else if (type === 'Stmt') {
      const cmd = child(n, 'Cmd');
      const up = piped.get(n);
      if (cmd && up) piped.set(cmd, up);
      // `exec <file`, `exec 1>/dev/null`: the shell itself now reads its commands from, or writes its prompt to, somewhere else.
      const args = cmd && nodeType(cmd) === 'CallExpr' ? list(cmd['Args']) : [];
      if (args.length === 1 && staticWord(args[0] as BashNode, source).value === 'exec') {
        const fds = list(n['Redirs']).map((r) => ({ fd: redirectedFd(r), all: num(r, 'Op') === REDIRECT.allOut || num(r, 'Op') === REDIRECT.allAppend }));
        if (fds.some(({ fd, all }) => all || (fd !== null && fd <= 2))) constructs.push('shell_io');
      }
      for (const r of list(n['Redirs'])) {
        const op = num(r, 'Op');
        if (HEREDOC_OPS.has(op) && cmd) heredocStmts.add(cmd);
        const word = child(r, 'Word');
        if (word && !HEREDOC_OPS.has(op)) redirections.push({ op, target: staticWord(word, source) });
      }
    } else if (type === 'Subshell' || type === 'Block') {
      const up = piped.get(n);
      if (up) for (const s of list(n['Stmts'])) piped.set(s, up);
    } else if (type === 'CallExpr') {
      const up = piped.get(n);
      commands.push({
        argv: list(n['Args']).map((w) => staticWord(w, source)),
        assignments: list(n['Assigns']).map((a) => text(child(a, 'Name') ?? {}, 'Value')),
        pipedInput: up !== undefined,
        upstream: up ?? [],
        heredocInput: heredocStmts.has(n),
      });
    } else if (type === 'Lit' && /![^\s=(]/.test(text(n, 'Value'))) {
      // Interactive bash expands `!!`, `!-1`, `!rm` from history before parsing: what runs is not what was typed.
      constructs.push('history_expansion');
    } else if (type === 'FuncDecl') {
      constructs.push('function_definition');
    } else if (type === 'CoprocClause') {
      constructs.push('coproc');
    } else if (type === 'DeclClause') {
      const variant = text(child(n, 'Variant') ?? {}, 'Value');
      const names = list(n['Args']).map((a) => text(child(a, 'Name') ?? {}, 'Value'));
      // A name reference (`declare -n x=PATH`) makes later plain assignments to x write another variable.
      const options = list(n['Args']).filter((a) => a['Naked'] === true && !child(a, 'Name'));
      if (options.some((a) => { const v = child(a, 'Value'); const o = v ? staticWord(v, source).value : null; return o === null || /^-[a-zA-Z]*n/.test(o); })) constructs.push('nameref');
      commands.push({ argv: [{ value: variant, raw: variant }], assignments: names, pipedInput: false, upstream: [], heredocInput: false });
    }
    if (type === 'ArithmCmd' || type === 'ArithmExp' || type === 'LetClause') {
      wordsInArithmetic(n, source, 0, assignedInExpressions, arithmeticFlags);
    } else if ((type === 'Assign' || type === 'ParamExp') && child(n, 'Index')) {
      // Subscripts: `a[$i]` is everyday use; quoted text is still read as arithmetic.
      wordsInArithmetic(child(n, 'Index') as BashNode, source, 0, assignedInExpressions, null);
    }
    if (type === 'BinaryArithm' && ARITHMETIC_ASSIGN.has(num(n, 'Op'))) {
      assignedInExpressions.push(arithmeticTarget(child(n, 'X'), source));
    } else if (type === 'UnaryArithm' && ARITHMETIC_STEP.has(num(n, 'Op'))) {
      assignedInExpressions.push(arithmeticTarget(child(n, 'X'), source));
    } else if (type === 'ParamExp') {
      const exp = child(n, 'Exp');
      if (exp && PARAM_ASSIGN.has(num(exp, 'Op'))) assignedInExpressions.push(text(child(n, 'Param') ?? {}, 'Value') || null);
    }
    return true;
  });
  return { commands, redirections, constructs, assignedInExpressions, arithmeticFlags: [...arithmeticFlags] };
}
