import type { AirlockConfig } from '../config/schema.js';
import type { RequirementSpec } from '../config/sections/policy.js';
import type { PolicyDecision, Requirement } from '../model/requirement.js';
import { toRequirement, type RequirementDefaults } from './requirement-spec.js';
import { NO_RISK_SIGNALS, type RiskAssessment } from './risk-assessor.js';
import { RISK_LEVELS, type RiskLevel } from '../model/risk-level.js';
import { unmodelledDecision } from './unmodelled-findings.js';
import { compileRuleMatch, type PolicyInput, type RuleMatcher } from './rule-matcher.js';

interface CompiledRule {
  readonly id: string;
  readonly matches: RuleMatcher;
  readonly risk?: RiskLevel;
  readonly require?: Requirement;
  readonly maxRows?: number;
}

/** Flags that say a write's row count is unknown from its text, and that it was already measured. */
const ROWS_UNBOUNDED = 'rows_unbounded';
const WRITE_BY_KEY = 'write_by_key';
const MEASURED = 'rows_measured';

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
  private readonly anyRuleMaxRows: boolean;
  private readonly maxRowsDefaults: Readonly<Record<RiskLevel, number | null>>;

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
      ...(rule.max_rows !== undefined ? { maxRows: rule.max_rows } : {}),
    }));
    this.anyRuleMaxRows = this.rules.some((r) => r.maxRows !== undefined);
    this.maxRowsDefaults = options.policy.max_rows;
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
    // A write measured over its row limit (or that could not be measured) is held for approvers whatever
    // a rule allowed for the statement itself: otherwise the rule that allowed it would allow it again.
    if ((requirement.kind === 'allow' || requirement.kind === 'step_up') && input.classification.facts.flags.includes(MEASURED)) {
      requirement = this.firstApprovalDefault();
      rules.push('airlock:max-rows');
    }
    return { risk, requirement, rules: [...rules, ...signals.rules], reasons: signals.reasons };
  }

  /**
   * How many rows an allowed write may touch before it commits, or undefined
   * when it is not measured: its text bounds it (VALUES, a unique key), it
   * was measured already, or no limit applies. The first matching rule with
   * `max_rows` wins over the default for the risk level. For a read, the rows
   * it may return, set by rules only.
   */
  rowLimit(input: PolicyInput): number | undefined {
    const flags = input.classification.facts.flags;
    if (flags.includes(MEASURED)) return undefined;
    const write = flags.includes(ROWS_UNBOUNDED);
    if (write && flags.includes(WRITE_BY_KEY)) return undefined;
    // Reads are capped only where a rule says so (the rows returned: an unbounded SELECT * of a large table).
    const read = !write && !flags.includes('writes') && input.classification.facts.kinds.includes('select');
    if (!write && !(read && this.anyRuleMaxRows)) return undefined;
    let risk = input.classification.risk;
    if (this.anyRuleMaxRows) {
      for (const rule of this.rules) {
        if (!rule.matches(input, risk)) continue;
        if (rule.risk) risk = rule.risk;
        if (rule.maxRows !== undefined) return rule.maxRows;
      }
    }
    return write ? (this.maxRowsDefaults[risk] ?? undefined) : undefined;
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
