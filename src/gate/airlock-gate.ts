import type { Logger } from 'pino';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { HoldOutcome } from '../approvals/held-request.js';
import type { ApprovalLinks } from '../approvals/channels/channel.js';
import type { ApprovalRecord } from '../model/approval-record.js';
import type { HoldNotice } from './hold-notice.js';
import { type AirlockEvent, type EventBus, SOURCE_REFUSED } from '../audit/events.js';
import {
  AirlockError,
  ApprovalPendingError,
  CancelledError,
  ForbiddenError,
  MfaNotEnrolledError,
  InternalError,
  ShuttingDownError,
  StepUpNotConfiguredError,
  StepUpRequiredError,
  StoreUnavailableError,
  TokenInvalidError,
} from '../errors.js';
import type { Principal } from '../model/principal.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import { tokenRejected } from '../identity/token-rejection.js';
import type { PolicyEngine } from '../policy/policy-engine.js';
import type { PolicyDecision } from '../model/requirement.js';
import { NO_RISK_SIGNALS, quietRiskAssessor, type RiskAssessment, type RiskAssessor } from '../policy/risk-assessor.js';
import type { RiskLevel } from '../model/risk-level.js';
import type { Clock } from '../time/clock.js';
import type { Action, Classification, Protocol } from '../model/action.js';
import type { AdmissionCheck } from './admission-check.js';
import type { BypassCheck } from './bypass-check.js';
import type { AuthenticationRequest, Gate, GateCheckOptions, StepUpCodeInput } from './gate.js';
import type { GateMetrics } from './gate-metrics.js';
import type { StepUpGrants } from './step-up-grants.js';
import { allowVerdict, denyVerdict } from './verdicts.js';
import type { Verdict } from './verdict.js';

/** What one action is called, in messages to the person who asked for it. */
const ACTION_NOUN: Readonly<Record<Protocol, string>> = { postgres: 'statement', http: 'request', shell: 'command' };

export interface GateDeps {
  readonly verifier: TokenVerifier;
  readonly policy: PolicyEngine;
  readonly broker: ApprovalBroker;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly risk?: RiskAssessor;
  readonly admission?: AdmissionCheck;
  readonly bypass?: BypassCheck;
  /** Present when a second factor (TOTP) is configured: step_up can be satisfied. */
  readonly grants?: StepUpGrants;
  /** Whether a requester has a second factor at all: without one a step-up is refused at once, saying how to enrol. */
  readonly enrolment?: { isEnrolled(subject: string): Promise<boolean> };
  readonly grantTtlMs: number;
  readonly grantMaxRisk: RiskLevel;
  /**
   * Checks a step-up token presented with an action (HTTP programs): resolves
   * when it is genuine, names this principal and its token, and covers the
   * risk; rejects with a client-safe error otherwise.
   */
  readonly verifyStepUpToken?: (token: string, principal: Principal, risk: RiskLevel) => Promise<void>;
  readonly metrics?: GateMetrics;
  /** Skip the audit line of allowed low-risk actions (throughput). */
  readonly auditAllowedLowRisk: boolean;
}

/** The single decision path for every protocol. */
export class AirlockGate implements Gate {
  private policy: PolicyEngine;
  private draining = false;
  private held = 0;
  /**
   * Allow verdicts by session principal and classification. Exact, not
   * approximate: the classifier returns one frozen object per statement text,
   * a decision depends only on principal, target, classification and policy,
   * and the cache is dropped with the policy. Only used when no risk signal
   * applies, so a raise is never hidden by it.
   */
  private allowed = new WeakMap<Principal, WeakMap<Classification, { readonly target: string; readonly protocol: string; readonly verdict: Verdict }>>();
  private heldSettled: Array<() => void> = [];
  private readonly risk: RiskAssessor;

  constructor(private readonly deps: GateDeps) {
    this.policy = deps.policy;
    this.risk = deps.risk ?? quietRiskAssessor;
  }

  /** Swaps the policy (config reload); held actions keep the decision they were held under. */
  setPolicy(policy: PolicyEngine): void {
    this.policy = policy;
    this.allowed = new WeakMap();
  }

  /** New actions that need a decision are denied from now on (SIGTERM). */
  startDraining(): void {
    this.draining = true;
  }

  /** Resolves once no action is held (or after `timeoutMs`); used while draining. */
  whenNothingHeld(timeoutMs: number): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.heldSettled.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  evaluate(action: Action, signals: RiskAssessment = NO_RISK_SIGNALS): PolicyDecision {
    return this.policy.evaluate(action, signals);
  }

  async confirmStepUp(input: StepUpCodeInput): Promise<void> {
    await this.deps.broker.confirmStepUp({ id: input.approvalId, principal: input.principal, code: input.code, source: input.source, channel: input.channel });
  }

  async authenticate(request: AuthenticationRequest): Promise<Principal> {
    await this.admitSource(request);
    const { bus, clock } = this.deps;
    let principal: Principal;
    try {
      principal = await this.deps.verifier.verify(request.token);
    } catch (err) {
      const reason = err instanceof TokenInvalidError ? err.reason : 'error';
      bus.emit({ type: 'auth.failure', at: clock.now(), source: request.source, protocol: request.protocol, target: request.target, sessionId: request.sessionId, reason });
      throw err instanceof AirlockError ? err : new InternalError('authentication failed', { cause: err });
    }
    return this.admit(principal, request);
  }

  async authenticatePrincipal(principal: Principal, request: Omit<AuthenticationRequest, 'token'>): Promise<Principal> {
    await this.admitSource(request);
    const { bus, clock } = this.deps;
    if (principal.expiresAt <= clock.now()) {
      bus.emit({ type: 'auth.failure', at: clock.now(), subject: principal.subject, source: request.source, protocol: request.protocol, target: request.target, sessionId: request.sessionId, reason: 'expired' });
      throw tokenRejected('expired');
    }
    return this.admit(principal, request);
  }

  private async admitSource(request: Omit<AuthenticationRequest, 'token'>): Promise<void> {
    const { bus, clock } = this.deps;
    if (this.deps.admission?.admitSource) {
      try {
        await this.deps.admission.admitSource(request);
      } catch (err) {
        // Refused by an active block: not a failed login of its own (SOURCE_REFUSED is not counted).
        bus.emit({ type: 'auth.failure', at: clock.now(), source: request.source, protocol: request.protocol, target: request.target, sessionId: request.sessionId, reason: SOURCE_REFUSED });
        throw err instanceof AirlockError ? err : new StoreUnavailableError('cannot check blocked networks: store unavailable', { cause: err });
      }
    }
  }

  /** Revocations of a verified principal, then the success event. */
  private async admit(principal: Principal, request: Omit<AuthenticationRequest, 'token'>): Promise<Principal> {
    const { bus, clock } = this.deps;
    if (this.deps.admission) {
      try {
        await this.deps.admission.admit(principal, request);
      } catch (err) {
        bus.emit({ type: 'auth.failure', at: clock.now(), subject: principal.subject, source: request.source, protocol: request.protocol, target: request.target, sessionId: request.sessionId, reason: err instanceof AirlockError ? err.code : 'admission_failed' });
        throw err instanceof AirlockError ? err : new StoreUnavailableError('cannot check revocations: approval store unavailable', { cause: err });
      }
    }
    bus.emit({
      type: 'auth.success',
      at: clock.now(),
      subject: principal.subject,
      ...(principal.deviceId ? { deviceId: principal.deviceId } : {}),
      source: request.source,
      protocol: request.protocol,
      target: request.target,
      sessionId: request.sessionId,
    });
    return principal;
  }

  async check(action: Action, options: GateCheckOptions = {}): Promise<Verdict> {
    let verdict: Verdict;
    try {
      verdict = await this.decide(action, options);
    } catch (err) {
      // Fail closed: whatever went wrong, the action is not forwarded.
      const error = err instanceof AirlockError && err.clientSafe ? err : new InternalError('internal error while deciding', { cause: err });
      if (!(err instanceof AirlockError && err.clientSafe)) this.deps.logger.error({ err, actionId: action.id }, 'gate failed; denying');
      verdict = denyVerdict({ risk: action.classification.risk, requirement: 'deny', path: 'error', rules: [], reason: error.message, error });
    }
    this.record(action, verdict);
    return this.withRowLimit(action, verdict);
  }

  /** Allowed without an approver having seen it: a write the text does not bound gets a row limit to be measured against. */
  private withRowLimit(action: Action, verdict: Verdict): Verdict {
    if (!verdict.allowed || verdict.path === 'approval') return verdict;
    const limit = this.policy.rowLimit(action);
    return limit === undefined ? verdict : { ...verdict, maxRows: limit };
  }

  /**
   * Decides without waiting when memory is enough: a cached or plain policy
   * allow, or a policy deny. Undefined when the decision needs the store, a
   * hold or a risk signal still being looked up; then check() decides.
   */
  checkNow(action: Action): Verdict | undefined {
    if (this.risk.assessNow === undefined) return undefined;
    let outcome: Verdict | PolicyDecision;
    try {
      const signals = this.risk.assessNow(action);
      if (signals === undefined) return undefined;
      outcome = this.decideInMemory(action, signals, null);
    } catch {
      return undefined;
    }
    if (!isVerdict(outcome)) return undefined;
    this.record(action, outcome);
    return this.withRowLimit(action, outcome);
  }

  private async decide(action: Action, options: GateCheckOptions): Promise<Verdict> {
    let signals = NO_RISK_SIGNALS;
    let signalError: unknown = null;
    try {
      signals = await this.risk.assess(action);
    } catch (err) {
      signalError = err;
    }
    const outcome = this.decideInMemory(action, signals, signalError);
    if (isVerdict(outcome)) return outcome;
    // Anything beyond allow and deny needs state; without it, fail closed.
    if (signalError !== null) throw asStoreError(signalError);
    const decision = outcome;
    const { requirement } = decision;
    const base = { risk: decision.risk, requirement: requirement.kind, rules: decision.rules };
    if (this.draining) {
      const error = new ShuttingDownError('sidecar restarting, retry');
      return denyVerdict({ ...base, path: 'error', reason: error.message, error });
    }
    if (options.approvalId !== undefined) return this.redeem(action, decision, options.approvalId);
    if (requirement.kind === 'step_up') {
      if (!this.deps.grants) {
        const error = new StepUpNotConfiguredError('step-up required but no second factor is configured; ask an administrator');
        return denyVerdict({ ...base, path: 'policy', reason: error.message, error });
      }
      if (options.stepUpToken !== undefined) {
        if (!this.deps.verifyStepUpToken) throw new StepUpNotConfiguredError('step-up tokens are not accepted by this configuration');
        await this.deps.verifyStepUpToken(options.stepUpToken, action.principal, decision.risk);
        return allowVerdict({ ...base, path: 'step_up', reason: 'allowed by a step-up token', decidedBy: [action.principal.subject] });
      }
      if (await this.deps.grants.covers({ principal: action.principal, sessionId: action.sessionId, risk: decision.risk })) {
        return allowVerdict({ ...base, path: 'grant', reason: 'allowed by a recent step-up in this session', decidedBy: [action.principal.subject] });
      }
      if (this.deps.bypass && !signals.forceRevalidation) {
        const bypass = await this.deps.bypass.find(action, decision);
        if (bypass) {
          this.deps.bus.emit({ type: 'bypass.used', at: this.deps.clock.now(), subject: action.principal.subject, source: action.source, protocol: action.protocol, target: action.target, sessionId: action.sessionId, rules: [...decision.rules, bypass], reason: `bypass rule ${bypass}` });
          return allowVerdict({ ...base, rules: [...decision.rules, `bypass:${bypass}`], path: 'bypass', reason: `step-up skipped by bypass rule ${bypass}` });
        }
      }
      // Nobody could ever confirm this step-up: say so now rather than after the whole timeout.
      if (this.deps.enrolment && !(await this.deps.enrolment.isEnrolled(action.principal.subject))) {
        const noun = ACTION_NOUN[action.protocol];
        const error = new MfaNotEnrolledError(
          `this ${noun} needs step-up with your second factor, and ${action.principal.subject} has no authenticator enrolled: run \`airlock totp enroll\` (scan the QR code), then \`airlock totp activate CODE\`, then run the ${noun} again`,
        );
        return denyVerdict({ ...base, path: 'step_up', reason: error.message, error });
      }
    }
    if (requirement.kind === 'step_up' && options.stepUp === 'challenge' && !options.defer) {
      const error = new StepUpRequiredError(`this request needs step-up (${decision.risk} risk, rules ${decision.rules.join(', ') || 'defaults'}): prove your second factor with POST /v1/stepup and retry with the step-up token`);
      return denyVerdict({ ...base, path: 'step_up', reason: error.message, error });
    }
    if (options.cannotHold) return denyVerdict({ ...base, path: 'policy', reason: options.cannotHold.message, error: options.cannotHold });
    if (options.defer) return this.defer(action, decision, options);
    return this.hold(action, decision, options);
  }

  /** Creates the request and answers at once: the client retries with its id once it is decided. */
  private async defer(action: Action, decision: PolicyDecision, options: GateCheckOptions): Promise<Verdict> {
    const base = { risk: decision.risk, requirement: decision.requirement.kind, rules: decision.rules };
    const record = await this.deps.broker.defer(action, decision, { onCreated: (created, links) => options.onHold?.(this.holdNotice(action, decision, created, links)) });
    const error = new ApprovalPendingError(`${record.kind === 'step_up' ? 'step-up' : 'approval'} requested (${record.id}); retry the same request with the header Airlock-Approval: ${record.id} once it is ${record.kind === 'step_up' ? 'confirmed' : 'approved'}`);
    return denyVerdict({ ...base, path: 'deferred', reason: error.message, error, approvalId: record.id });
  }

  /** A retry naming a deferred request: forwarded once if approved for this very action. */
  private async redeem(action: Action, decision: PolicyDecision, approvalId: string): Promise<Verdict> {
    const base = { risk: decision.risk, requirement: decision.requirement.kind, rules: decision.rules };
    const outcome = await this.deps.broker.redeem(approvalId, action);
    const record = outcome.record;
    if (outcome.kind === 'approved') {
      const by = record.resolution?.by ?? [];
      return allowVerdict({ ...base, path: record.kind === 'step_up' ? 'step_up' : 'approval', reason: record.resolution?.reason ?? 'approved', decidedBy: by, approvalId: record.id });
    }
    if (outcome.kind === 'pending') {
      const error = new ApprovalPendingError(`request ${record.id} is still waiting for ${record.eligible}`);
      return denyVerdict({ ...base, path: 'deferred', reason: error.message, error, approvalId: record.id });
    }
    const reason = record.status === 'consumed' ? `request ${record.id} was already used; a deferred approval runs its request once` : (record.resolution?.reason ?? `request ${record.id} is ${record.status}`);
    const error = record.status === 'expired' ? new CancelledError(reason) : new ForbiddenError(reason);
    return denyVerdict({ ...base, path: record.status === 'expired' ? 'timeout' : 'approval', reason, error, decidedBy: record.resolution?.by ?? [], approvalId: record.id });
  }

  private holdNotice(action: Action, decision: PolicyDecision, record: ApprovalRecord, links: ApprovalLinks): HoldNotice {
    const what = record.kind === 'step_up' ? 'step-up required' : `approval required from ${record.eligible}`;
    const where = record.kind === 'step_up' ? `confirm with \`airlock confirm ${record.id}\`` : `approve with \`${links.approveCommand}\``;
    const impact = action.classification.facts.impact;
    const why = [...(impact ? [impact] : []), ...decision.reasons].map((r) => `; ${r}`).join('');
    return {
      approvalId: record.id,
      kind: record.kind,
      message: `held: ${what} (${decision.risk} risk, rules ${decision.rules.join(', ')}${why}); ${where}${links.url ? ` or at ${links.url}` : ''}`,
      ...(links.url ? { url: links.url } : {}),
      command: record.kind === 'step_up' ? `airlock confirm ${record.id}` : links.approveCommand,
      expiresAt: record.expiresAt,
    };
  }

  /** The allow or deny that memory alone decides, or the policy decision that needs more. */
  private decideInMemory(action: Action, signals: RiskAssessment, signalError: unknown): Verdict | PolicyDecision {
    const quiet = signals === NO_RISK_SIGNALS && signalError === null;
    if (quiet) {
      const hit = this.allowed.get(action.principal)?.get(action.classification);
      if (hit && hit.target === action.target && hit.protocol === action.protocol) return hit.verdict;
    }
    const decision = this.policy.evaluate(action, signals);
    const { requirement } = decision;
    if (requirement.kind !== 'allow' && (requirement.kind !== 'deny' || signalError !== null)) return decision;
    const base = { risk: decision.risk, requirement: requirement.kind, rules: decision.rules };
    const because = decision.reasons.length > 0 ? ` (${decision.reasons.join('; ')})` : '';
    if (requirement.kind === 'deny') {
      const reason = requirement.reason ?? `denied by policy (${decision.risk} risk)${because}`;
      return denyVerdict({ ...base, path: 'policy', reason, error: new ForbiddenError(reason) });
    }
    const verdict = Object.freeze(allowVerdict({ ...base, path: 'policy', reason: `allowed by policy${because}` }));
    if (quiet) {
      let byClassification = this.allowed.get(action.principal);
      if (!byClassification) this.allowed.set(action.principal, (byClassification = new WeakMap()));
      byClassification.set(action.classification, { target: action.target, protocol: action.protocol, verdict });
    }
    return verdict;
  }

  private async hold(action: Action, decision: PolicyDecision, options: GateCheckOptions): Promise<Verdict> {
    const { broker, metrics, clock } = this.deps;
    const startedAt = clock.now();
    const base = { risk: decision.risk, requirement: decision.requirement.kind, rules: decision.rules };
    metrics?.holdStarted();
    this.held++;
    let outcome: HoldOutcome;
    try {
      outcome = await broker.hold(action, decision, {
        ...(options.signal ? { signal: options.signal } : {}),
        onCreated: (record, links) => options.onHold?.(this.holdNotice(action, decision, record, links)),
      });
    } finally {
      metrics?.holdEnded(decision.requirement.kind, (clock.now() - startedAt) / 1000);
      if (--this.held === 0) {
        const waiting = this.heldSettled;
        this.heldSettled = [];
        for (const wake of waiting) wake();
      }
    }
    switch (outcome.kind) {
      case 'approved': {
        const record = outcome.record;
        const by = record.resolution?.by ?? [];
        if (record.kind === 'step_up' && this.deps.grants) {
          await this.deps.grants
            .issue({ principal: action.principal, sessionId: action.sessionId, maxRisk: this.deps.grantMaxRisk, ttlMs: this.deps.grantTtlMs })
            .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not store step-up grant'));
        }
        return allowVerdict({ ...base, path: record.kind === 'step_up' ? 'step_up' : 'approval', reason: record.resolution?.reason ?? 'approved', decidedBy: by, approvalId: record.id });
      }
      case 'denied': {
        const record = outcome.record;
        const timedOut = record.status === 'expired';
        const reason = timedOut ? `timed out waiting for ${record.kind === 'step_up' ? 'step-up' : 'approval'} (request ${record.id})` : (record.resolution?.reason ?? `request ${record.status}`);
        const error = timedOut ? new CancelledError(reason) : new ForbiddenError(reason);
        return denyVerdict({ ...base, path: timedOut ? 'timeout' : 'approval', reason, error, decidedBy: record.resolution?.by ?? [], approvalId: record.id });
      }
      case 'cancelled': {
        const error = new CancelledError('canceling statement due to user request');
        return denyVerdict({ ...base, path: 'cancel', reason: error.message, error, ...(outcome.record ? { approvalId: outcome.record.id } : {}) });
      }
      case 'failed':
        return denyVerdict({ ...base, path: 'error', reason: outcome.error.message, error: outcome.error });
    }
  }

  private record(action: Action, verdict: Verdict): void {
    this.deps.metrics?.verdict(action.protocol, verdict.requirement, verdict.allowed ? 'allow' : 'deny', verdict.path);
    if (verdict.allowed && verdict.path === 'policy' && verdict.risk === 'low' && !this.deps.auditAllowedLowRisk) return;
    // Built by assignment: conditional spreads cost a property-definition runtime call each on this per-statement path.
    const classification = action.classification;
    const data: Record<string, unknown> = {
      allowed: verdict.allowed,
      risk: verdict.risk,
      requirement: verdict.requirement,
      path: verdict.path,
      decidedBy: verdict.decidedBy,
      hash: action.hash,
      command: action.command.length > 4096 ? `${action.command.slice(0, 4096)}…` : action.command,
      kinds: classification.facts.kinds,
      flags: classification.facts.flags,
    };
    if (classification.facts.impact) data.impact = classification.facts.impact;
    if (action.reason) data.requesterReason = action.reason;
    const event: { -readonly [K in keyof AirlockEvent]: AirlockEvent[K] } = {
      type: 'verdict',
      at: this.deps.clock.now(),
      subject: action.principal.subject,
      source: action.source,
      protocol: action.protocol,
      target: action.target,
      sessionId: action.sessionId,
      rules: verdict.rules,
      reason: verdict.reason,
      data,
    };
    if (action.principal.deviceId) event.deviceId = action.principal.deviceId;
    if (verdict.approvalId) event.approvalId = verdict.approvalId;
    this.deps.bus.emit(event);
  }
}

function asStoreError(err: unknown): AirlockError {
  return err instanceof AirlockError ? err : new StoreUnavailableError('approval store unavailable', { cause: err });
}

function isVerdict(outcome: Verdict | PolicyDecision): outcome is Verdict {
  return 'allowed' in outcome;
}
