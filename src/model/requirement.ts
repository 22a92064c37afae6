import type { RiskLevel } from './risk-level.js';

/** One group of approvers and how many distinct members of it must approve. */
export interface ApproverQuorum {
  readonly group: string;
  readonly count: number;
}

export interface ApprovalRequirement {
  readonly kind: 'approval';
  /** `all`: every quorum must be met; `any`: one quorum suffices. */
  readonly mode: 'all' | 'any';
  readonly quorums: readonly ApproverQuorum[];
  readonly timeoutMs: number;
  /** Approvers must confirm their decision with their own second factor. */
  readonly mfa: boolean;
}

export interface StepUpRequirement {
  readonly kind: 'step_up';
  readonly timeoutMs: number;
}

export type Requirement =
  | { readonly kind: 'allow' }
  | { readonly kind: 'deny'; readonly reason?: string }
  | StepUpRequirement
  | ApprovalRequirement;

export type RequirementKind = Requirement['kind'];

export const REQUIREMENT_ORDER: readonly RequirementKind[] = ['allow', 'step_up', 'approval', 'deny'];

/** The policy's answer for one action, before anything is asked of anyone. */
export interface PolicyDecision {
  readonly risk: RiskLevel;
  readonly requirement: Requirement;
  /** Ids of every rule that contributed, in order. */
  readonly rules: readonly string[];
  /** Human-readable reasons (risk signals that raised the bar, bypasses). */
  readonly reasons: readonly string[];
  /** Name of the bypass rule that lowered step_up to allow, if any. */
  readonly bypass?: string;
}
