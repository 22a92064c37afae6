import type { Principal } from '../model/principal.js';
import type { RiskLevel } from '../model/risk-level.js';

/** Short-lived proof that a principal passed step-up in a session, up to a risk level. */
export interface StepUpGrants {
  issue(input: { principal: Principal; sessionId: string; maxRisk: RiskLevel; ttlMs: number }): Promise<unknown>;
  covers(input: { principal: Principal; sessionId: string; risk: RiskLevel }): Promise<boolean>;
}
