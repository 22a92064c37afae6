import { isRecord, list, str, unwrap, type AstRecord } from './ast.js';
import type { AnalysisContext } from './analysis-context.js';
import { splitAtToken } from './sql-parser.js';
import { StatementFacts } from './statement-facts.js';

/** PL/pgSQL statements that run a SQL string built at run time. */
const DYNAMIC_STATEMENTS = new Set(['PLpgSQL_stmt_dynexecute', 'PLpgSQL_stmt_dynfors']);

/** How PL/pgSQL asked the SQL parser to read an embedded expression (PostgreSQL's RawParseMode). */
const enum ParseMode {
  Default = 0,
  TypeName = 1,
  Expression = 2,
  Assign1 = 3,
  Assign2 = 4,
  Assign3 = 5,
}

/**
 * `DO` block: the body is parsed as PL/pgSQL and every embedded SQL statement
 * and expression is classified like a top-level one. Dynamic SQL (`EXECUTE`),
 * another language, or a body that does not parse cannot be analysed: critical.
 */
export function analyzeDo(body: AstRecord, ctx: AnalysisContext): StatementFacts {
  const facts = new StatementFacts();
  facts.kind('do');
  facts.raise('medium');
  let source: string | undefined;
  let language = 'plpgsql';
  for (const arg of list(body, 'args')) {
    const d = unwrap(arg);
    if (!d || d[0] !== 'DefElem') continue;
    const value = unwrap(d[1]['arg']);
    const text = value && value[0] === 'String' ? str(value[1], 'sval') ?? '' : undefined;
    if (str(d[1], 'defname') === 'as') source = text;
    if (str(d[1], 'defname') === 'language' && text !== undefined) language = text.toLowerCase();
  }
  if (source === undefined || language !== 'plpgsql' || ctx.depth >= ctx.maxDepth) {
    facts.flag('dynamic_sql', 'critical');
    if (language !== 'plpgsql') facts.flag(`language:${language}`);
    return facts;
  }
  let tree: unknown;
  try {
    tree = ctx.parser.parsePlPgSQL(`DO ${dollarQuote(source)}`);
  } catch {
    facts.flag('dynamic_sql', 'critical');
    return facts;
  }
  walkPlPgSQL(tree, facts, ctx);
  return facts;
}

/** Quotes the body with a dollar tag that does not occur in it, so it parses back to the same text. */
function dollarQuote(source: string): string {
  let tag = '$airlock$';
  for (let i = 0; source.includes(tag); i++) tag = `$airlock${i}$`;
  return `${tag}${source}${tag}`;
}

/** Classifies every embedded statement and expression of a parsed PL/pgSQL tree (a DO block or a function). */
export function walkPlPgSQL(tree: unknown, facts: StatementFacts, ctx: AnalysisContext): void {
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const c of node) stack.push(c);
      continue;
    }
    if (!isRecord(node)) continue;
    for (const key in node) {
      const child = node[key];
      if (DYNAMIC_STATEMENTS.has(key) || key === 'dynquery') facts.flag('dynamic_sql', 'critical');
      if (key === 'PLpgSQL_expr' && isRecord(child)) {
        analyzeEmbedded(child, facts, ctx);
        continue;
      }
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

function analyzeEmbedded(expr: AstRecord, facts: StatementFacts, ctx: AnalysisContext): void {
  const query = str(expr, 'query') ?? '';
  const mode = typeof expr['parseMode'] === 'number' ? expr['parseMode'] : ParseMode.Default;
  let sql: string | undefined;
  if (mode === ParseMode.Default) sql = query;
  else if (mode === ParseMode.Expression) sql = `SELECT ${query}`;
  else if (mode === ParseMode.Assign1 || mode === ParseMode.Assign2 || mode === ParseMode.Assign3) {
    // `target := expression`: the expression, and the target too, whose subscripts are expressions
    // evaluated at run time (`a[(SELECT wipe())] := 1`); a target read as an expression is harmless.
    try {
      const parts = splitAtToken(query, ctx.parser.scan(query), (t) => t.text === ':=' || t.text === '=');
      sql = parts === undefined || parts.before === '' ? undefined : `SELECT ${parts.before}, ${parts.after}`;
    } catch {
      sql = undefined;
    }
  } else if (mode === ParseMode.TypeName) return;
  if (sql === undefined) {
    facts.flag('dynamic_sql', 'critical');
    return;
  }
  let statements;
  try {
    statements = ctx.parser.parse(sql);
  } catch {
    facts.flag('dynamic_sql', 'critical');
    return;
  }
  // An IF condition or an assignment is not a SELECT the user wrote: keep its findings, not its kind.
  const kinds = mode === ParseMode.Default;
  for (const s of statements) facts.absorb(ctx.analyze(s.stmt, { ...ctx, depth: ctx.depth + 1, text: s.text }), { kinds });
}
