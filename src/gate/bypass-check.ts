import type { PolicyDecision } from '../model/requirement.js';
import type { Action } from '../model/action.js';

/** Audited opt-out rules: may let a step_up requirement pass. */
export interface BypassCheck {
  /** Returns the id of the bypass rule that applies, or null. */
  find(action: Action, decision: PolicyDecision): Promise<string | null>;
}
