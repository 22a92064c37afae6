import type { AirlockError } from '../errors.js';
import type { Principal } from '../model/principal.js';
import type { Action, Protocol } from '../model/action.js';
import type { HoldNotice } from './hold-notice.js';
import type { Verdict } from './verdict.js';

export interface GateCheckOptions {
  /** Aborting withdraws a held action (client cancelled or disconnected). */
  readonly signal?: AbortSignal;
  /** Called once when the action is held, so the adapter can tell the client where to act. */
  readonly onHold?: (notice: HoldNotice) => void;
  /**
   * How a step-up is asked for: `hold` waits while the requester confirms
   * (sessions: psql, a terminal); `challenge` denies at once with
   * StepUpRequiredError unless `stepUpToken` proves it (HTTP programs, RFC 9470).
   */
  readonly stepUp?: 'hold' | 'challenge';
  /** A step-up token (POST /v1/stepup) presented with the action. */
  readonly stepUpToken?: string;
  /** Create the approval but do not wait for it: denied now with ApprovalPendingError naming it (HTTP `Prefer: respond-async`). */
  readonly defer?: boolean;
  /** Redeem an approval deferred earlier for this very action (HTTP `Airlock-Approval`). */
  readonly approvalId?: string;
  /** The action cannot wait (an HTTP body too large to keep): where it would be held or deferred, deny it with this error. */
  readonly cannotHold?: AirlockError;
}

export interface AuthenticationRequest {
  /** The engineer's JWT exactly as presented. */
  readonly token: string;
  readonly protocol: Protocol;
  readonly target: string;
  readonly source: string;
  readonly sessionId: string;
}

/**
 * The single decision path. Adapters authenticate through it, ask it about
 * every command, and forward or reject exactly as it says.
 */
export interface Gate {
  /**
   * Verifies the token and decides whether this principal may open a session
   * from this source now (revocations, blocked networks). Emits auth events.
   * Rejects with an AirlockError whose message is safe to show.
   */
  authenticate(request: AuthenticationRequest): Promise<Principal>;
  /**
   * The same admission for a principal proven another way (an SSH key
   * registered with a verified JWT, the principal stored with it): expiry,
   * revocations and blocked networks are checked now, as for a token.
   * Absent means such logins are refused.
   */
  authenticatePrincipal?(principal: Principal, request: Omit<AuthenticationRequest, 'token'>): Promise<Principal>;
  /** Decides one action; holds it while a step-up or approval is pending. Never rejects. */
  check(action: Action, options?: GateCheckOptions): Promise<Verdict>;
  /**
   * The same decision, made at once when memory alone decides it (a plain
   * allow or deny); undefined means "call check()". Adapters use it to keep
   * the common case free of promise hops.
   */
  checkNow?(action: Action): Verdict | undefined;
  /**
   * The requester's own second factor for their held step-up, typed where
   * the action waits (a terminal): the same check as the control API's
   * confirm (their request only, single-use codes, attempt limits, events).
   * Rejects with an AirlockError (wrong or replayed code, rate limited).
   */
  confirmStepUp?(input: StepUpCodeInput): Promise<void>;
}

export interface StepUpCodeInput {
  readonly approvalId: string;
  readonly principal: Principal;
  readonly code: string;
  readonly source: string;
  /** Where it was typed (shell, ...), for the audit trail. */
  readonly channel: string;
}
