import type { Action } from '../model/action.js';

/** What the feedback loop currently says about an action's principal, device and source. */
export interface RiskAssessment {
  /** How many levels to raise the requirement (allow -> step_up -> approval). */
  readonly raise: number;
  /** Why, one line per signal; shown in the verdict and the audit line. */
  readonly reasons: readonly string[];
  /** Signal rule ids that caused a raise. */
  readonly rules: readonly string[];
  /** True when a bypass must not apply now (a recent failure, a new network). */
  readonly forceRevalidation: boolean;
}

/** Reads risk signals; the adaptive-risk part implements it. */
export interface RiskAssessor {
  assess(action: Action): Promise<RiskAssessment>;
  /** The same answer without waiting, or undefined when only assess() can give it (the statement path's fast lane). */
  assessNow?(action: Action): RiskAssessment | undefined;
}

export const NO_RISK_SIGNALS: RiskAssessment = Object.freeze({ raise: 0, reasons: [], rules: [], forceRevalidation: false });

export const quietRiskAssessor: RiskAssessor = { assess: async () => NO_RISK_SIGNALS, assessNow: () => NO_RISK_SIGNALS };
