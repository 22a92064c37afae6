import { loadModule, parsePlPgSQLSync, parseSync, scanSync } from 'libpg-query';
import { isRecord } from './ast.js';

export interface ParsedStatement {
  readonly stmt: unknown;
  /** The statement's own source text (the parser reports UTF-8 byte offsets). */
  readonly text: string;
}

export interface SqlToken {
  readonly text: string;
  /** UTF-8 byte offsets into the scanned text. */
  readonly start: number;
  readonly end: number;
  readonly isKeyword: boolean;
}

/** The real PostgreSQL parser, behind the few calls the classifier needs. All of them throw on bad input. */
export interface SqlParser {
  parse(sql: string): ParsedStatement[];
  /** Parses a `DO` statement or `CREATE FUNCTION ... LANGUAGE plpgsql` and its body. */
  parsePlPgSQL(sql: string): unknown;
  scan(sql: string): SqlToken[];
}

/** Loads the WebAssembly parser (10-15 ms) and returns the synchronous calls over it. */
export async function loadSqlParser(): Promise<SqlParser> {
  await loadModule();
  return {
    parse(sql) {
      const result: unknown = parseSync(sql);
      const stmts = isRecord(result) && Array.isArray(result['stmts']) ? result['stmts'] : [];
      if (stmts.length === 0) return [];
      const bytes = Buffer.from(sql, 'utf8');
      return stmts.map((raw: unknown) => {
        const r = isRecord(raw) ? raw : {};
        const location = typeof r['stmt_location'] === 'number' ? r['stmt_location'] : 0;
        const length = typeof r['stmt_len'] === 'number' ? r['stmt_len'] : bytes.length - location;
        return { stmt: r['stmt'], text: bytes.toString('utf8', location, location + length).trim() };
      });
    },
    parsePlPgSQL(sql) {
      return parsePlPgSQLSync(sql);
    },
    scan(sql) {
      return scanSync(sql).tokens.map((t) => ({ text: t.text, start: t.start, end: t.end, isKeyword: t.keywordKind !== 0 }));
    },
  };
}

/** Text of `tokens` after the first top-level token accepted by `isSplit`, or undefined. */
export function textAfterToken(sql: string, tokens: readonly SqlToken[], isSplit: (t: SqlToken) => boolean): string | undefined {
  return splitAtToken(sql, tokens, isSplit)?.after;
}

/** The text before and after the first top-level token (outside brackets) that `isSplit` accepts, trimmed. */
export function splitAtToken(sql: string, tokens: readonly SqlToken[], isSplit: (t: SqlToken) => boolean): { before: string; after: string } | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && isSplit(t)) {
      const bytes = Buffer.from(sql, 'utf8');
      return { before: bytes.toString('utf8', 0, t.start).trim(), after: bytes.toString('utf8', t.end).trim() };
    }
  }
  return undefined;
}
