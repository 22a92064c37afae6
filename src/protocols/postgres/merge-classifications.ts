import type { Classification } from '../../model/action.js';
import { maxRisk } from '../../model/risk-level.js';

function union(target: string[], seen: Set<string>, values: readonly string[]): void {
  for (const value of values) {
    if (seen.has(value)) continue;
    seen.add(value);
    target.push(value);
  }
}

/**
 * One classification for several statements gated together (an extended
 * protocol batch, EXECUTE of a prepared statement): the riskiest level and
 * the union of kinds, objects and flags. A single input is returned as is.
 */
export function mergeClassifications(list: readonly Classification[]): Classification {
  if (list.length === 1) return list[0] as Classification;
  let risk: Classification['risk'] = 'low';
  const kinds: string[] = [];
  const objects: string[] = [];
  const flags: string[] = [];
  const seenKinds = new Set<string>();
  const seenObjects = new Set<string>();
  const seenFlags = new Set<string>();
  const statements: unknown[] = [];
  for (const item of list) {
    risk = maxRisk(risk, item.risk);
    union(kinds, seenKinds, item.facts.kinds);
    union(objects, seenObjects, item.facts.objects);
    union(flags, seenFlags, item.facts.flags);
    if (item.facts.details) statements.push(item.facts.details);
  }
  return { risk, facts: { kinds, objects, flags, details: { statements } } };
}
