import type { AirlockConfig } from '../config/schema.js';
import type { RequirementSpec } from '../config/sections/policy.js';
import type { PolicyDecision, Requirement } from './requirement.js';
import { toRequirement, type RequirementDefaults } from './requirement-spec.js';
import { NO_RISK_SIGNALS, type RiskAssessment } from './risk-assessor.js';
import { RISK_LEVELS, type RiskLevel } from './risk-level.js';
import { unmodelledDecision } from './unmodelled-findings.js';
import { compileRuleMatch, type PolicyInput, type RuleMatcher } from './rule-matcher.js';

interface CompiledRule {
  readonly id: string;
  readonly matches: RuleMatcher;
  readonly risk?: RiskLevel;
  readonly require?: Requirement;
}

export interface PolicyEngineOptions {
  readonly policy: AirlockConfig['policy'];
  readonly approvals: AirlockConfig['approvals'];
}

/**
 * Maps an action to a requirement. Rules run in order: a rule with `risk`
 * sets the level later rules and the defaults see; the first matching rule
 * with `require` decides. With no deciding rule, the default for the final
 * risk level applies. Risk signals then raise the requirement.
 */
export class PolicyEngine {
  private readonly rules: readonly CompiledRule[];
  private readonly defaults: Readonly<Record<RiskLevel, Requirement>>;
  private readonly requirementDefaults: RequirementDefaults;

  constructor(options: PolicyEngineOptions) {
    this.requirementDefaults = {
      approvalTimeoutMs: options.approvals.timeout,
      stepUpTimeoutMs: options.approvals.step_up_timeout,
    };
    const convert = (spec: RequirementSpec) => toRequirement(spec, this.requirementDefaults);
    this.rules = options.policy.rules.map((rule) => ({
      id: rule.id,
      matches: compileRuleMatch(rule.match),
      ...(rule.risk ? { risk: rule.risk } : {}),
      ...(rule.require !== undefined ? { require: convert(rule.require) } : {}),
    }));
    const d = options.policy.defaults;
    this.defaults = { low: convert(d.low), medium: convert(d.medium), high: convert(d.high), critical: convert(d.critical) };
  }

  evaluate(input: PolicyInput, signals: RiskAssessment = NO_RISK_SIGNALS): PolicyDecision {
    const unmodelled = unmodelledDecision(input.classification.facts.flags);
    if (unmodelled) return unmodelled;
    let risk = input.classification.risk;
    let requirement: Requirement | undefined;
    const rules: string[] = [];
    for (const rule of this.rules) {
      if (!rule.matches(input, risk)) continue;
      rules.push(rule.id);
      if (rule.risk) risk = rule.risk;
      if (rule.require) {
        requirement = rule.require;
        break;
      }
    }
    if (!requirement) {
      requirement = this.defaults[risk];
      rules.push(`default:${risk}`);
    }
    for (let i = 0; i < signals.raise; i++) requirement = this.raise(requirement);
    return { risk, requirement, rules: [...rules, ...signals.rules], reasons: signals.reasons };
  }

  /** One level up: allow -> step_up -> approval (the high default) -> approval with approver MFA. */
  raise(requirement: Requirement): Requirement {
    switch (requirement.kind) {
      case 'allow':
        return { kind: 'step_up', timeoutMs: this.requirementDefaults.stepUpTimeoutMs };
      case 'step_up': {
        const high = this.firstApprovalDefault();
        return high;
      }
      case 'approval':
        return requirement.mfa ? requirement : { ...requirement, mfa: true };
      case 'deny':
        return requirement;
    }
  }

  private firstApprovalDefault(): Requirement {
    for (const level of RISK_LEVELS) {
      const candidate = this.defaults[level];
      if (candidate.kind === 'approval') return candidate;
    }
    return { kind: 'deny', reason: 'risk signals require approval but no approval default is configured' };
  }
}
