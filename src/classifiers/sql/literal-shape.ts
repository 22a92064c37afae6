/**
 * The "shape" of a statement text: the text with the contents of its plain
 * literals cut out, so `... WHERE aid = 17` and `... WHERE aid = 42` share one
 * shape. The classifier may reuse a classification for every text of a shape,
 * but only after proving, on the first text, that the real parser saw each cut
 * literal as a constant and that the analysis never read one (see
 * literal-tracking.ts). This scanner only has to be right about where literals
 * start and end, and it is written so that within the subset it accepts that
 * never depends on the literals' contents:
 *
 * - ASCII only, printable characters and the whitespace PostgreSQL's lexer knows;
 * - no comments, no dollar signs (dollar quotes, parameters), no backslashes
 *   (escape strings, `standard_conforming_strings`), no `&` (`U&'…'`);
 * - a string literal is `'…'` with `''` as the only escape, not glued to a
 *   prefix (`E'…'`, `B'…'`, `X'…'`, `N'…'`);
 * - a number is decimal digits with at most one `.digits`, not glued to an
 *   identifier, a dot or a letter (`1e5`, `0x1F`, `1_000`, `.5`, `1.` are out);
 *   a `-` glued to it after an operator is part of it, as PostgreSQL folds it.
 *
 * Anything else returns undefined and the text is classified on its own.
 * Hand-written because it runs on every uncached statement and must cost
 * about a microsecond; the parser's own scanner is a WebAssembly call whose
 * result is decoded from JSON, dearer than the lookup it would save.
 */

/** How PostgreSQL's lexer reads the literal: ICONST (fits int4), FCONST, SCONST. */
export type LiteralKind = 'I' | 'F' | 'S';

export interface ShapeLiteral {
  /** Offset of the literal's first character (a byte offset too: the text is ASCII). */
  readonly offset: number;
  readonly kind: LiteralKind;
}

export interface LiteralShape {
  /** The text with every literal replaced by a marker that no accepted text contains. */
  readonly key: string;
  readonly literals: readonly ShapeLiteral[];
}

const MARKER = '\u0001';
const INT4_MAX = 2_147_483_647;

// Character codes (plain constants: an enum would be an object read on every character).
const CH_TAB = 9;
const CH_NEWLINE = 10;
const CH_FORM_FEED = 12;
const CH_RETURN = 13;
const CH_SPACE = 32;
const CH_DOUBLE_QUOTE = 34;
const CH_DOLLAR = 36;
const CH_AMPERSAND = 38;
const CH_QUOTE = 39;
const CH_STAR = 42;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_SLASH = 47;
const CH_ZERO = 48;
const CH_NINE = 57;
const CH_BACKSLASH = 92;
const CH_UNDERSCORE = 95;
const CH_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= CH_ZERO && c <= CH_NINE;
}

function isIdentChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isDigit(c) || c === CH_UNDERSCORE;
}

/** Printable ASCII or the whitespace PostgreSQL's lexer accepts (space, \t, \n, \r, \f). */
function isAccepted(c: number): boolean {
  return (c >= CH_SPACE && c <= CH_TILDE) || c === CH_TAB || c === CH_NEWLINE || c === CH_RETURN || c === CH_FORM_FEED;
}

/** Whether the `-` at `at` follows an operand (so it subtracts) rather than an operator or an opening. */
function followsOperand(sql: string, at: number): boolean {
  let j = at - 1;
  while (j >= 0) {
    const c = sql.charCodeAt(j);
    if (c !== CH_SPACE && c !== CH_TAB && c !== CH_NEWLINE && c !== CH_RETURN && c !== CH_FORM_FEED) break;
    j--;
  }
  if (j < 0) return false;
  const p = sql.charCodeAt(j);
  return isIdentChar(p) || p === CH_QUOTE || p === CH_DOUBLE_QUOTE || p === 41 /* ) */ || p === 93 /* ] */;
}

/** The shape of `sql`, or undefined when it has no literal or leaves the accepted subset. */
export function literalShape(sql: string): LiteralShape | undefined {
  const n = sql.length;
  const literals: ShapeLiteral[] = [];
  let key = '';
  let copied = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (!isAccepted(c) || c === CH_DOLLAR || c === CH_BACKSLASH || c === CH_AMPERSAND) return undefined;
    if ((c === CH_MINUS || c === CH_SLASH) && i + 1 < n) {
      const d = sql.charCodeAt(i + 1);
      if ((c === CH_MINUS && d === CH_MINUS) || (c === CH_SLASH && d === CH_STAR)) return undefined;
    }
    if (c === CH_DOUBLE_QUOTE) {
      // A quoted identifier is kept as written; `""` inside it is a quote.
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const d = sql.charCodeAt(i);
        if (!isAccepted(d) || d === CH_BACKSLASH || d === CH_DOLLAR) return undefined;
        i++;
        if (d === CH_DOUBLE_QUOTE) {
          if (i < n && sql.charCodeAt(i) === CH_DOUBLE_QUOTE) i++;
          else break;
        }
      }
      continue;
    }
    if (c === CH_QUOTE) {
      if (i > 0 && isIdentChar(sql.charCodeAt(i - 1))) return undefined;
      const start = i;
      i++;
      for (;;) {
        if (i >= n) return undefined;
        const d = sql.charCodeAt(i);
        if (!isAccepted(d) || d === CH_BACKSLASH) return undefined;
        i++;
        if (d === CH_QUOTE) {
          if (i < n && sql.charCodeAt(i) === CH_QUOTE) i++;
          else break;
        }
      }
      key += `${sql.slice(copied, start)}${MARKER}S`;
      copied = i;
      literals.push({ offset: start, kind: 'S' });
      continue;
    }
    if (isIdentChar(c) && !isDigit(c)) {
      i++;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
      continue;
    }
    const negated = c === CH_MINUS && i + 1 < n && isDigit(sql.charCodeAt(i + 1)) && !followsOperand(sql, i);
    if (negated || isDigit(c)) {
      if (i > 0 && sql.charCodeAt(i - 1) === CH_DOT) return undefined;
      // PostgreSQL folds a unary minus into the constant and reports the minus as its location.
      const offset = i;
      if (negated) i++;
      const start = i;
      while (i < n && isDigit(sql.charCodeAt(i))) i++;
      let kind: LiteralKind = 'I';
      if (i < n && sql.charCodeAt(i) === CH_DOT) {
        if (i + 1 >= n || !isDigit(sql.charCodeAt(i + 1))) return undefined;
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        kind = 'F';
      }
      if (i < n && (isIdentChar(sql.charCodeAt(i)) || sql.charCodeAt(i) === CH_DOT)) return undefined;
      // PostgreSQL lexes an integer that does not fit int4 as FCONST.
      if (kind === 'I' && i - start >= 10 && (i - start > 10 || Number(sql.slice(start, i)) > INT4_MAX)) kind = 'F';
      key += `${sql.slice(copied, start)}${MARKER}${kind}`;
      copied = i;
      literals.push({ offset, kind });
      continue;
    }
    if (c === CH_DOT && i + 1 < n && isDigit(sql.charCodeAt(i + 1))) return undefined;
    i++;
  }
  if (literals.length === 0) return undefined;
  return { key: key + sql.slice(copied), literals };
}
