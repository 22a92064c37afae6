import type { RequirementSpec } from '../config/sections/policy.js';
import type { Requirement } from '../model/requirement.js';

export interface RequirementDefaults {
  readonly approvalTimeoutMs: number;
  readonly stepUpTimeoutMs: number;
}

/** Turns a requirement as written in YAML into the engine's Requirement. */
export function toRequirement(spec: RequirementSpec, defaults: RequirementDefaults): Requirement {
  if (spec === 'allow') return { kind: 'allow' };
  if (spec === 'deny') return { kind: 'deny' };
  if (spec === 'step_up') return { kind: 'step_up', timeoutMs: defaults.stepUpTimeoutMs };
  if ('deny' in spec) return { kind: 'deny', reason: spec.deny };
  if ('step_up' in spec) return { kind: 'step_up', timeoutMs: spec.step_up.timeout ?? defaults.stepUpTimeoutMs };
  const a = spec.approval;
  const timeoutMs = a.timeout ?? defaults.approvalTimeoutMs;
  if (a.all) return { kind: 'approval', mode: 'all', quorums: a.all.map((q) => ({ group: q.approvers, count: q.count })), timeoutMs, mfa: a.mfa };
  if (a.any) return { kind: 'approval', mode: 'any', quorums: a.any.map((q) => ({ group: q.approvers, count: q.count })), timeoutMs, mfa: a.mfa };
  // `approvers: [a, b], count: N`: N distinct members of any of the groups.
  const groups = a.approvers ?? [];
  const count = a.count ?? 1;
  return { kind: 'approval', mode: 'any', quorums: groups.map((group) => ({ group, count })), timeoutMs, mfa: a.mfa };
}

/** "2 of dba", "1 of dba and 1 of security", "1 of dba or 1 of sre". */
export function describeApprovers(requirement: Extract<Requirement, { kind: 'approval' }>): string {
  const parts = requirement.quorums.map((q) => `${q.count} of ${q.group}`);
  return parts.join(requirement.mode === 'all' ? ' and ' : ' or ');
}
