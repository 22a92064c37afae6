import { BINARY, type BashNode, REDIRECT, child, list, nodeType, num, text, walk } from './bash-syntax.js';
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
  /** Constructs that change the shell's own state or hide code: `f() {...}`, `coproc`. */
  readonly constructs: readonly string[];
}

const WRITE_OPS = new Set<number>([REDIRECT.out, REDIRECT.append, REDIRECT.readWrite, REDIRECT.clobber, REDIRECT.allOut, REDIRECT.allAppend, REDIRECT.dupOut]);
const HEREDOC_OPS = new Set<number>([REDIRECT.heredoc, REDIRECT.dashHeredoc, REDIRECT.hereString]);

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
      commands.push({ argv: [{ value: variant, raw: variant }], assignments: names, pipedInput: false, upstream: [], heredocInput: false });
    } else if (type === 'LetClause' || type === 'ArithmCmd' || type === 'TestClause') {
      // Arithmetic and tests run nothing but may hold substitutions, which the walk still reaches.
    }
    return true;
  });
  return { commands, redirections, constructs };
}
