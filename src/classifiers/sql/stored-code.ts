import type { Classification } from '../../model/action.js';
import { isRecord, list, unwrap } from './ast.js';
import type { AnalysisContext } from './analysis-context.js';
import { walkPlPgSQL } from './do-block.js';
import type { SqlParser } from './sql-parser.js';
import { analyzeStatement } from './statement-analysis.js';
import { StatementFacts } from './statement-facts.js';

/** Nesting inside stored code beyond this is not analysed (critical), as for DO blocks. */
const MAX_DEPTH = 8;

/**
 * Code stored in the database that a statement can run without naming it: a
 * function's body, a rule's actions. Classified as if it ran now (its writes
 * count), with the names it uses kept for the catalog to resolve in turn.
 */
export type StoredCode =
  /** SQL statements: a LANGUAGE sql body (`prosrc`), or the inside of a BEGIN ATOMIC body. */
  | { readonly form: 'sql'; readonly text: string }
  /** `CREATE FUNCTION ... LANGUAGE plpgsql` as pg_get_functiondef prints it. */
  | { readonly form: 'plpgsql'; readonly definition: string }
  /** `CREATE RULE ...` as pg_get_ruledef prints it: its actions run with the statement that fires it. */
  | { readonly form: 'rule'; readonly definition: string };

/** `classifySql` classifies SQL text as a statement sent now (the classifier's own, passed in to keep the modules apart). */
export function classifyStoredCode(parser: SqlParser, code: StoredCode, classifySql: (text: string) => Classification): Classification {
  if (code.form === 'sql') return classifySql(code.text);
  const facts = new StatementFacts();
  const ctx: AnalysisContext = { parser, text: code.definition, depth: 1, maxDepth: MAX_DEPTH, analyze: analyzeStatement };
  try {
    if (code.form === 'plpgsql') {
      walkPlPgSQL(parser.parsePlPgSQL(code.definition), facts, ctx);
    } else {
      for (const statement of parser.parse(code.definition)) {
        const rule = unwrap(statement.stmt);
        if (!rule || rule[0] !== 'RuleStmt') throw new Error('not a rule');
        for (const action of list(rule[1], 'actions')) {
          if (isRecord(action)) facts.absorb(analyzeStatement(action, { ...ctx, text: statement.text }));
        }
      }
    }
  } catch {
    facts.flag('stored_code_unparseable', 'critical');
  }
  return {
    risk: facts.risk,
    facts: {
      kinds: facts.kinds,
      objects: [...facts.objects],
      flags: [...facts.flags].sort(),
      details: facts.refs.empty ? {} : { references: facts.refs.toJSON() },
    },
  };
}
