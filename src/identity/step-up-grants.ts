import type { EventBus } from '../audit/events.js';
import { RISK_LEVELS, riskRank, type RiskLevel } from '../model/risk-level.js';
import type { Store } from '../store/store.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { Principal } from '../model/principal.js';

/** What a verified second factor buys: follow-up actions of one session, up to a risk level, for a while. */
export interface StepUpGrant {
  readonly subject: string;
  readonly sessionId: string;
  readonly deviceId?: string;
  readonly maxRisk: RiskLevel;
  readonly grantedAt: number;
  readonly expiresAt: number;
}

export interface StepUpGrantsOptions {
  readonly store: Store;
  readonly clock?: Clock;
  readonly events?: EventBus;
}

/**
 * Step-up grants kept in the Store (so every replica honours them), bound to
 * subject + session (+ device when the token names one) and a maximum risk.
 * Issue one only after a verified code.
 */
export class StepUpGrants {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #events: EventBus | undefined;

  constructor(options: StepUpGrantsOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events;
  }

  async issue(input: { principal: Principal; sessionId: string; maxRisk: RiskLevel; ttlMs: number }): Promise<StepUpGrant> {
    const { principal, sessionId, maxRisk, ttlMs } = input;
    if (sessionId === '') throw new TypeError('sessionId must not be empty');
    if (!RISK_LEVELS.includes(maxRisk)) throw new TypeError(`unknown risk level ${String(maxRisk)}`);
    if (!(ttlMs > 0)) throw new TypeError('ttlMs must be positive');
    const now = this.#clock.now();
    // A grant never outlives the token that authenticated the session.
    const expiresAt = Math.min(now + ttlMs, principal.expiresAt);
    const grant: StepUpGrant = {
      subject: principal.subject,
      sessionId,
      ...(principal.deviceId === undefined ? {} : { deviceId: principal.deviceId }),
      maxRisk,
      grantedAt: now,
      expiresAt,
    };
    if (expiresAt > now) await this.#store.setValue(this.#key(principal.subject, sessionId), JSON.stringify(grant), { ttlMs: expiresAt - now });
    this.#events?.emit({
      type: 'stepup.granted',
      at: now,
      subject: principal.subject,
      sessionId,
      ...(principal.deviceId === undefined ? {} : { deviceId: principal.deviceId }),
      data: { maxRisk, expiresAt },
    });
    return grant;
  }

  /** Whether a live grant of this subject, session and device covers `risk`. */
  async covers(input: { principal: Principal; sessionId: string; risk: RiskLevel }): Promise<boolean> {
    const { principal, sessionId, risk } = input;
    const text = await this.#store.getValue(this.#key(principal.subject, sessionId));
    if (text === null) return false;
    const grant = JSON.parse(text) as StepUpGrant;
    const now = this.#clock.now();
    let reason: string | null = null;
    if (grant.subject !== principal.subject || grant.sessionId !== sessionId) reason = 'other session';
    else if (grant.deviceId !== principal.deviceId) reason = 'other device';
    else if (!(grant.expiresAt > now)) reason = 'expired';
    else if (!RISK_LEVELS.includes(risk) || riskRank(risk) > riskRank(grant.maxRisk)) reason = 'risk above grant';
    if (reason === null) return true;
    this.#events?.emit({ type: 'stepup.grant_rejected', at: now, subject: principal.subject, sessionId, reason, data: { risk, maxRisk: grant.maxRisk } });
    return false;
  }

  async revoke(input: { subject: string; sessionId: string }): Promise<void> {
    await this.#store.deleteValue(this.#key(input.subject, input.sessionId));
  }

  #key(subject: string, sessionId: string): string {
    return `stepup:grant:${encodeURIComponent(subject)}:${encodeURIComponent(sessionId)}`;
  }
}
