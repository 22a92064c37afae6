import { constText, isRecord, list } from './ast.js';

/**
 * Settings that change how PostgreSQL reads the bytes of a statement (or what
 * an expression means) in ways the classifier cannot follow: it parses every
 * statement as UTF-8 with standard_conforming_strings on. A session that
 * changes one of them would run text that Airlock read differently, so such a
 * change is refused, except to the value the classifier already assumes.
 */
const PINNED: ReadonlyMap<string, (value: string) => boolean> = new Map([
  // off: backslashes escape inside '...', so `'\'` no longer closes the literal.
  ['standard_conforming_strings', (v: string) => TRUE_WORDS.has(v)],
  // on/safe_encoding are equivalent for the encodings Airlock accepts; off only turns `\'` into an error.
  ['backslash_quote', (v: string) => v === 'safe_encoding' || TRUE_WORDS.has(v)],
  // A client-only encoding (SJIS, BIG5, GBK, UHC, GB18030) hides `\` and `'` inside multibyte characters.
  ['client_encoding', (v: string) => isAcceptedClientEncoding(v)],
  // on: `x = NULL` becomes `x IS NULL`, which the WHERE analysis reads as matching nothing.
  ['transform_null_equals', (v: string) => FALSE_WORDS.has(v)],
]);

const TRUE_WORDS = new Set(['on', 'true', 'yes', '1', 'tru', 'tr', 't', 'y', 'ye']);
const FALSE_WORDS = new Set(['off', 'false', 'no', '0', 'of', 'f', 'fa', 'fal', 'fals', 'n']);

/** Encoding names as PostgreSQL compares them: case and punctuation ignored (clean_encoding_name). */
function cleanEncodingName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * UTF-8 and its aliases, and SQL_ASCII (bytes passed through unconverted,
 * which for the lexer is the same as UTF-8: every ASCII byte means itself).
 */
export function isAcceptedClientEncoding(value: string): boolean {
  const clean = cleanEncodingName(value);
  return clean === 'utf8' || clean === 'unicode' || clean === 'sqlascii';
}

export interface LexerSettingChange {
  readonly name: string;
  /** null: RESET / DEFAULT (back to the value the session was verified with). */
  readonly value: string | null;
}

/** Whether setting `name` to `value` leaves the classifier's reading of later statements intact. */
export function isPinnedSetting(name: string): boolean {
  return PINNED.has(name.toLowerCase());
}

export function violatesPinnedSetting(name: string, value: string | null): boolean {
  const accepts = PINNED.get(name.toLowerCase());
  if (!accepts) return false;
  // RESET and DEFAULT return to the session's start value, which the upstream reported and Airlock checked.
  if (value === null || value.toUpperCase() === 'DEFAULT') return false;
  return !accepts(value.trim().replace(/^'(.*)'$/s, '$1').toLowerCase());
}

/** Cheap pre-filter on the raw text: only statements naming such a setting are scanned. */
const MENTION = /standard_conforming|backslash_quote|client_encoding|transform_null|\bnames\b/i;

export function mentionsPinnedSetting(sql: string): boolean {
  return MENTION.test(sql);
}

/**
 * Every SET-like node in a statement, at any depth: SET / RESET, SET NAMES,
 * ALTER ROLE/DATABASE ... SET, ALTER SYSTEM SET, and a function's SET clause
 * (CREATE/ALTER FUNCTION ... SET name = value) all carry a VariableSetStmt.
 */
export function pinnedSettingChanges(stmt: unknown): LexerSettingChange[] {
  const found: LexerSettingChange[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 400) throw new Error('statement tree too deep');
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    if (!isRecord(node)) return;
    // A VariableSetStmt body: wrapped ({ VariableSetStmt: {...} }) or bare (ALTER ROLE's `setstmt`).
    const kind = node['kind'];
    if (typeof kind === 'string' && kind.startsWith('VAR_') && typeof node['name'] === 'string') {
      const setting = (node['name'] as string).toLowerCase();
      if (kind !== 'VAR_RESET_ALL' && isPinnedSetting(setting)) {
        const value = kind === 'VAR_SET_VALUE' ? list(node, 'args').map((a) => constText(a) ?? '?').join(', ') : null;
        found.push({ name: setting, value });
      }
      return;
    }
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'object' && child !== null) visit(child, depth + 1);
    }
  };
  visit(stmt, 0);
  return found;
}
