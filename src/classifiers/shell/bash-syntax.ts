// The narrow boundary around mvdan-sh (a Go parser compiled to JavaScript, no
// type declarations): its nodes are typed here by the few fields we read.
// mvdan-sh is used because it is a real bash parser that tells incomplete
// input (open quote, `if` without `fi`) from invalid input.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface BashNode {
  readonly [field: string]: unknown;
}

interface GoError {
  Error(): string;
}

interface SyntaxModule {
  NewParser(...options: unknown[]): { Parse(text: string, name: string): BashNode };
  NodeType(node: BashNode): string;
  Walk(node: BashNode, visit: (node: BashNode | null) => boolean): void;
  IsIncomplete(error: unknown): boolean;
  Variant(lang: unknown): unknown;
  LangBash: unknown;
}

const syntax = (require('mvdan-sh') as { syntax: SyntaxModule }).syntax;

/** Redirection operators by mvdan-sh's numbering (measured: `cat > f` is 54, ...). */
export const REDIRECT = {
  out: 54,
  append: 55,
  in: 56,
  readWrite: 57,
  dupIn: 58,
  dupOut: 59,
  clobber: 60,
  heredoc: 61,
  dashHeredoc: 62,
  hereString: 63,
  allOut: 64,
  allAppend: 65,
} as const;

/** Binary command operators: `&&`, `||`, `|`, `|&`. */
export const BINARY = { and: 10, or: 11, pipe: 12, pipeAll: 13 } as const;

export type ParseResult =
  | { readonly kind: 'ok'; readonly file: BashNode }
  | { readonly kind: 'incomplete'; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string };

function goMessage(error: unknown): string {
  if (error !== null && typeof error === 'object' && typeof (error as GoError).Error === 'function') return (error as GoError).Error();
  return error instanceof Error ? error.message : String(error);
}

/** Parses a command line as bash would; never throws. */
export function parseBash(text: string): ParseResult {
  try {
    const parser = syntax.NewParser(syntax.Variant(syntax.LangBash));
    const file = parser.Parse(text, '');
    // mvdan-sh accepts a final unescaped backslash at end of input; an interactive bash waits for the next line.
    if (/(^|[^\\])(\\\\)*\\$/.test(text)) return { kind: 'incomplete', message: 'line continues after a trailing backslash' };
    return { kind: 'ok', file };
  } catch (error) {
    let incomplete = false;
    try {
      incomplete = syntax.IsIncomplete(error);
    } catch {
      incomplete = false;
    }
    return { kind: incomplete ? 'incomplete' : 'invalid', message: goMessage(error) };
  }
}

export function nodeType(node: BashNode): string {
  return syntax.NodeType(node);
}

export function walk(node: BashNode, visit: (node: BashNode) => boolean): void {
  syntax.Walk(node, (n) => (n === null ? true : visit(n)));
}

/**
 * True when an unquoted brace expansion (`{a,b}`, `{1..3}`) may be in the word.
 * Judged on the unquoted literal parts (mvdan-sh's SplitBraces rewrites the
 * tree in place, which its own Walk then rejects); conservative on purpose.
 */
export function hasBraceExpansion(word: BashNode): boolean {
  const unquoted = list(word['Parts'])
    .map((p) => (nodeType(p) === 'Lit' ? text(p, 'Value').replace(/\\./gs, '') : '\u0000'))
    .join('');
  const open = unquoted.indexOf('{');
  return open >= 0 && unquoted.indexOf('}', open) > open && (unquoted.includes(',') || unquoted.includes('..') || unquoted.includes('\u0000'));
}

/** A Go slice or a JavaScript array of nodes, as mvdan-sh hands them out. */
export function list(value: unknown): BashNode[] {
  if (Array.isArray(value)) return value as BashNode[];
  return [];
}

export function child(node: BashNode, field: string): BashNode | null {
  const v = node[field];
  return v !== null && typeof v === 'object' ? (v as BashNode) : null;
}

export function text(node: BashNode, field: string): string {
  const v = node[field];
  return typeof v === 'string' ? v : '';
}

export function num(node: BashNode, field: string): number {
  const v = node[field];
  return typeof v === 'number' ? v : -1;
}
