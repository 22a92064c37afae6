import type { RuleMatch } from '../config/sections/policy.js';
import type { Action } from '../model/action.js';
import { compileGlobs, type NameMatcher } from './glob.js';
import { riskRank, type RiskLevel } from '../model/risk-level.js';

/** The parts of an action that rules can see. */
export type PolicyInput = Pick<Action, 'principal' | 'protocol' | 'target' | 'classification'>;

export type RuleMatcher = (input: PolicyInput, currentRisk: RiskLevel) => boolean;

function anyMatches(values: readonly string[], matcher: NameMatcher): boolean {
  for (const value of values) if (matcher(value)) return true;
  return false;
}

/** Compiles a rule's `match` block once; every condition given must hold. */
export function compileRuleMatch(match: RuleMatch): RuleMatcher {
  const checks: RuleMatcher[] = [];
  if (match.protocols) {
    const protocols = new Set<string>(match.protocols);
    checks.push((input) => protocols.has(input.protocol));
  }
  if (match.targets) {
    const targets = compileGlobs(match.targets);
    checks.push((input) => targets(input.target));
  }
  if (match.groups) {
    const groups = new Set(match.groups);
    checks.push((input) => input.principal.groups.some((g) => groups.has(g)));
  }
  if (match.not_groups) {
    const groups = new Set(match.not_groups);
    checks.push((input) => !input.principal.groups.some((g) => groups.has(g)));
  }
  if (match.kinds) {
    const kinds = compileGlobs(match.kinds.map((k) => k.toLowerCase()));
    checks.push((input) => input.classification.facts.kinds.some((k) => kinds(k.toLowerCase())));
  }
  if (match.objects) {
    const objects = compileGlobs(match.objects);
    checks.push((input) => anyMatches(input.classification.facts.objects, objects));
  }
  if (match.flags) {
    const flags = compileGlobs(match.flags);
    checks.push((input) => anyMatches(input.classification.facts.flags, flags));
  }
  if (match.risk) {
    const levels = new Set<string>(typeof match.risk === 'string' ? [match.risk] : match.risk);
    checks.push((_input, risk) => levels.has(risk));
  }
  if (match.min_risk) {
    const min = riskRank(match.min_risk);
    checks.push((_input, risk) => riskRank(risk) >= min);
  }
  return (input, risk) => {
    for (const check of checks) if (!check(input, risk)) return false;
    return true;
  };
}
