import type { SqlParser } from './sql-parser.js';
import type { StatementFacts } from './statement-facts.js';

/** What analysing one statement needs: the parser, its own text, and a way back in for nested statements. */
export interface AnalysisContext {
  readonly parser: SqlParser;
  /** Source text of the statement (PREPARE reports the prepared text). */
  readonly text: string;
  /** Nesting through DO / PREPARE / EXPLAIN; past `maxDepth` a statement counts as unanalysable. */
  readonly depth: number;
  readonly maxDepth: number;
  analyze(stmt: unknown, ctx: AnalysisContext): StatementFacts;
}
