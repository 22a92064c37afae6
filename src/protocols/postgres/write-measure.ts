import type { Classification } from '../../model/action.js';
import { maxRisk } from '../../model/risk-level.js';

/**
 * Flags of effects a rollback cannot undo (signals, files, other servers,
 * sequences, large objects), or of code whose effects Airlock cannot see
 * (dynamic SQL, bodies it could not read or resolve): such a write is not run
 * before its verdict is final, so its classifier risk stands instead of a
 * measurement.
 */
const NOT_UNDOABLE = [
  'dangerous_function',
  'function_writes',
  'copy_',
  'dynamic_sql',
  'unanalysable',
  'function_language',
  'untrusted_language',
  'unresolved_function',
  'function_depth',
  'stored_code_unparseable',
  'catalog_',
];

/**
 * Whether running it inside a savepoint and rolling back leaves nothing
 * behind. A call of a user function counts only when the target's catalog
 * resolved it: its body, triggers included, was then read and its flags are
 * among these; without a catalog its body is unknown.
 */
export function undoable(classification: Classification, resolvedByCatalog: boolean): boolean {
  for (const flag of classification.facts.flags) {
    if (!resolvedByCatalog && flag.startsWith('user_function')) return false;
    for (const prefix of NOT_UNDOABLE) if (flag.startsWith(prefix)) return false;
  }
  return true;
}

/** A single write statement whose only effects are rows, which a savepoint can take back. */
export function probeable(classification: Classification, resolvedByCatalog: boolean): boolean {
  const { flags } = classification.facts;
  return flags.includes('rows_unbounded') && !flags.includes('multi_statement') && undoable(classification, resolvedByCatalog);
}

/**
 * A write that would be measured but for how it was sent (with other
 * statements in one Query, in a batch that prepares a named statement or ends
 * in Flush): sending it another way must not skip the measurement.
 */
export function unmeasurableWrite(classification: Classification, resolvedByCatalog: boolean): boolean {
  return classification.facts.flags.includes('rows_unbounded') && undoable(classification, resolvedByCatalog);
}

/** What the policy sees for a write that could not be measured: held like one over its limit. */
export function unmeasuredClassification(classification: Classification, why: string): Classification {
  const flags = [...classification.facts.flags.filter((f) => f !== 'rows_unbounded'), 'rows_measured', 'rows_unmeasured'].sort();
  return { risk: maxRisk(classification.risk, 'high'), facts: { ...classification.facts, flags, impact: `its rows could not be measured before commit: ${why}` } };
}

/** A single read (no write anywhere in it): its rows can be counted as they are relayed. */
export function cappableRead(classification: Classification): boolean {
  const { flags, kinds } = classification.facts;
  return !flags.includes('multi_statement') && !flags.includes('writes') && kinds.includes('select');
}

/** Planning it runs no code Airlock did not read (EXPLAIN folds constants, which can call functions). */
export function estimable(classification: Classification, resolvedByCatalog: boolean): boolean {
  return undoable(classification, resolvedByCatalog);
}

/**
 * The classification of a write measured above its limit: what it would do,
 * for approvers, and a risk that the policy holds (high, as any write that
 * hits more rows than it should).
 */
export function measuredClassification(classification: Classification, rows: number, impact: string, limit: number): Classification {
  const flags = [...classification.facts.flags.filter((f) => f !== 'rows_unbounded'), 'rows_measured', 'rows_over_limit', `rows:${rows}`, `row_limit:${limit}`].sort();
  return {
    risk: maxRisk(classification.risk, 'high'),
    facts: { ...classification.facts, flags, impact },
  };
}
