import type { Classification } from '../../gate/action.js';
import { maxRisk } from '../../policy/risk-level.js';
import { mergeClassifications } from './merge-classifications.js';
import type { StatementDetails } from './statement-details.js';
import { type StatementEntry, type StatementRegistry, unknownStatement } from './statement-registry.js';

export interface GatedCommand {
  readonly command: string;
  readonly classification: Classification;
}

/**
 * What a SQL-level EXECUTE really runs: the command shown to approvers gets
 * one line per prepared statement it executes, and the classification takes
 * the riskiest of them. Statements prepared earlier in the same query string
 * count too. A name never seen prepared is gated as high risk.
 */
export function expandExecute(
  text: string,
  classification: Classification,
  details: StatementDetails,
  registry: StatementRegistry,
  prepareEntry: (text: string) => StatementEntry,
): GatedCommand {
  if (details.execute.length === 0) return { command: text, classification };
  const lines = [text];
  const all = [classification];
  for (const name of details.execute) {
    const local = details.prepare.find((p) => p.name === name);
    const entry = local ? prepareEntry(local.text) : (registry.statement(name) ?? unknownStatement('statement', name));
    lines.push(`-- ${name}: ${entry.text}`);
    all.push(entry.classification);
  }
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
