import type { Classification } from '../../model/action.js';
import { maxRisk } from '../../model/risk-level.js';
import { mergeClassifications } from './merge-classifications.js';
import { type Prediction, UNCERTAIN } from './protocol-state.js';
import { type StatementEffects, readStatementEffects } from './statement-details.js';
import type { GatedCommand } from './statement-gate.js';
import { type StatementEntry, unknownStatement } from './statement-registry.js';


/**
 * What a SQL-level EXECUTE really runs: the command shown to approvers gets
 * one line per prepared statement it executes, and the classification takes
 * the riskiest of them. Statements are followed in order, as the server runs
 * them: a PREPARE or DEALLOCATE earlier in the same string changes what a
 * later EXECUTE finds (if the earlier one fails, the later one never runs);
 * a name the string does not define is looked up in what the server holds.
 * A name never seen prepared is gated as high risk.
 */
/** EXECUTE of a statement that is itself an EXECUTE ...: followed this deep, then unknown. */
const MAX_DEPTH = 4;

export function expandExecute(
  text: string,
  classification: Classification,
  statements: readonly StatementEffects[],
  lookup: (name: string) => Prediction,
  prepareEntry: (text: string) => StatementEntry,
): GatedCommand | typeof UNCERTAIN {
  if (!executesByName(statements)) return { command: text, classification };
  const local = new Map<string, StatementEntry | null>();
  let cleared = false;
  const lines = [text];
  const all = [classification];
  const follow = (statement: StatementEffects, depth: number): boolean => {
    for (const name of statement.executes ?? []) {
      const own = local.get(name);
      const found = own !== undefined ? own : cleared ? undefined : lookup(name);
      if (found === UNCERTAIN) return false;
      const entry = found ?? unknownStatement('statement', name);
      lines.push(`-- ${name}: ${entry.text}`);
      all.push(entry.classification);
      // What the executed statement does runs here too (a Parse can hold EXECUTE, PREPARE, DEALLOCATE).
      for (const inner of readStatementEffects(entry.classification)) {
        if (depth >= MAX_DEPTH) all.push(unknownStatement('statement', name).classification);
        else if (!follow(inner, depth + 1)) return false;
      }
    }
    const effect = statement.effect;
    if (effect?.op === 'prepare') local.set(effect.name, prepareEntry(effect.text));
    else if (effect?.op === 'deallocate') local.set(effect.name, null);
    else if (effect?.op === 'deallocate_all' || effect?.op === 'discard_all') {
      local.clear();
      cleared = true;
    }
    return true;
  };
  for (const statement of statements) if (!follow(statement, 0)) return UNCERTAIN;
  const merged = mergeClassifications(all);
  // A lone EXECUTE runs exactly its prepared statement (parameters are values, not SQL):
  // its own context-free risk ("some prepared statement") gives way to what it runs.
  const { kinds, flags } = classification.facts;
  if (kinds.length === 1 && kinds[0] === 'execute' && !flags.includes('multi_statement')) {
    let risk: Classification['risk'] = 'low';
    for (const executed of all.slice(1)) risk = maxRisk(risk, executed.risk);
    return { command: lines.join('\n'), classification: { ...merged, risk } };
  }
  return { command: lines.join('\n'), classification: merged };
}

/** Whether any statement runs a prepared statement by name (a plain loop: this runs for every statement). */
function executesByName(statements: readonly StatementEffects[]): boolean {
  for (let i = 0; i < statements.length; i++) {
    const executes = (statements[i] as StatementEffects).executes;
    if (executes !== undefined && executes.length > 0) return true;
  }
  return false;
}
