import type { AirlockError } from '../errors.js';
import type { RiskLevel } from '../policy/risk-level.js';
import type { RequirementKind } from '../policy/requirement.js';

/** How a verdict was reached. */
export type VerdictPath =
  | 'policy'
  | 'bypass'
  | 'grant'
  | 'step_up'
  | 'approval'
  | 'timeout'
  | 'cancel'
  | 'revoked'
  | 'error';

export interface Verdict {
  readonly allowed: boolean;
  readonly risk: RiskLevel;
  readonly requirement: RequirementKind;
  readonly path: VerdictPath;
  /** Rule ids that produced the requirement. */
  readonly rules: readonly string[];
  /** Safe to show to the requester. */
  readonly reason: string;
  /** Subjects who decided (approvers, or the requester for step-up). */
  readonly decidedBy: readonly string[];
  readonly approvalId?: string;
  /** For denials: the error each protocol translates at its edge. */
  readonly error?: AirlockError;
  /**
   * For an allowed write whose row count its text does not bound: the most
   * rows it may touch. The adapter measures the write before it commits and,
   * above this, asks again with the measured count (which the policy holds).
   */
  readonly maxRows?: number;
}
