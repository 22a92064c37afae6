import type { AirlockError } from '../errors.js';
import type { RiskLevel } from '../model/risk-level.js';
import type { RequirementKind } from '../model/requirement.js';

/** How a verdict was reached. */
export type VerdictPath =
  | 'policy'
  | 'bypass'
  | 'grant'
  | 'step_up'
  | 'approval'
  | 'timeout'
  | 'cancel'
  | 'deferred'
  | 'revoked'
  | 'error';

declare const madeByTheGate: unique symbol;

interface VerdictBase {
  /** Only gate/verdicts.ts makes verdicts (a type-level mark): an adapter cannot build one of its own. */
  readonly [madeByTheGate]: true;
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
}

export interface AllowVerdict extends VerdictBase {
  readonly allowed: true;
  /**
   * For an allowed write whose row count its text does not bound: the most
   * rows it may touch. The adapter measures the write before it commits and,
   * above this, asks again with the measured count (which the policy holds).
   */
  readonly maxRows?: number;
}

export interface DenyVerdict extends VerdictBase {
  readonly allowed: false;
  /** The error each protocol translates at its edge. */
  readonly error: AirlockError;
}

/** What the Gate decided: allow (possibly with a row limit) or deny (with the error to show). */
export type Verdict = AllowVerdict | DenyVerdict;
