import { NO_RISK_SIGNALS, type RiskAssessment } from '../policy/risk-assessor.js';

/** One active raise of a principal (MFA failures, approval denials), as every replica sees it. */
export interface ActiveRaise {
  readonly subject: string;
  /** Signal rule id, e.g. `signal:mfa_failures`. */
  readonly rule: string;
  readonly reason: string;
  readonly until: number;
}

/** A source network refused at connect until `until`. */
export interface ActiveBlock {
  readonly network: string;
  readonly reason: string;
  readonly until: number;
}

/** A session opened from a device its principal had not used before. */
export interface NewDeviceSession {
  readonly subject: string;
  readonly deviceId: string;
  readonly reason: string;
  readonly until: number;
}

interface SubjectEntry {
  readonly raises: Map<string, ActiveRaise>;
  /** Earliest `until` among raises: the next moment the answer changes. */
  nextExpiry: number;
  /** The assessment for actions without a new-device signal, prebuilt so assessing allocates nothing. */
  assessment: RiskAssessment;
}

/**
 * What the feedback loop says right now, kept in memory so the per-statement
 * path never waits for the store. Updated from local events and from other
 * replicas; every entry expires on the injected clock.
 */
export class SignalSnapshot {
  private readonly subjects = new Map<string, SubjectEntry>();
  private readonly blocks = new Map<string, ActiveBlock>();
  private readonly newDevices = new Map<string, NewDeviceSession>();
  /** Prebuilt assessments for new-device sessions, keyed by the principal's own assessment they extend. */
  private readonly newDeviceAssessments = new WeakMap<NewDeviceSession, { base: RiskAssessment; assessment: RiskAssessment }>();

  /** Adds or extends a raise (idempotent: a later `until` wins). */
  applyRaise(raise: ActiveRaise, now: number): void {
    if (!(raise.until > now)) return;
    let entry = this.subjects.get(raise.subject);
    if (!entry) {
      entry = { raises: new Map(), nextExpiry: Infinity, assessment: NO_RISK_SIGNALS };
      this.subjects.set(raise.subject, entry);
    }
    const current = entry.raises.get(raise.rule);
    if (current && current.until >= raise.until) return;
    entry.raises.set(raise.rule, raise);
    this.rebuild(raise.subject, entry, now);
  }

  applyBlock(block: ActiveBlock, now: number): void {
    if (!(block.until > now)) return;
    const current = this.blocks.get(block.network);
    if (!current || current.until < block.until) this.blocks.set(block.network, block);
  }

  markNewDevice(sessionId: string, session: NewDeviceSession): void {
    this.newDevices.set(sessionId, session);
  }

  /** The session proved a second factor on its device: it is no longer treated as new. */
  clearNewDevice(sessionId: string): void {
    this.newDevices.delete(sessionId);
  }

  /** The principal's own assessment now (expired raises dropped first); NO_RISK_SIGNALS when none applies. */
  subjectAssessment(subject: string, now: number): RiskAssessment {
    const entry = this.subjects.get(subject);
    if (entry === undefined) return NO_RISK_SIGNALS;
    if (now >= entry.nextExpiry) {
      for (const [rule, raise] of entry.raises) if (!(raise.until > now)) entry.raises.delete(rule);
      this.rebuild(subject, entry, now);
      return this.subjects.get(subject)?.assessment ?? NO_RISK_SIGNALS;
    }
    return entry.assessment;
  }

  newDevice(sessionId: string, now: number): NewDeviceSession | undefined {
    const session = this.newDevices.get(sessionId);
    if (session === undefined) return undefined;
    if (session.until > now) return session;
    this.newDevices.delete(sessionId);
    return undefined;
  }

  /** The assessment of a medium action in a new-device session: one more level, cached per session. */
  newDeviceAssessment(session: NewDeviceSession, subject: string, now: number): RiskAssessment {
    const base = this.subjectAssessment(subject, now);
    const cached = this.newDeviceAssessments.get(session);
    if (cached && cached.base === base) return cached.assessment;
    const assessment = withNewDevice(base, session);
    this.newDeviceAssessments.set(session, { base, assessment });
    return assessment;
  }

  get hasNewDevices(): boolean {
    return this.newDevices.size > 0;
  }

  raisesOf(subject: string, now: number): ActiveRaise[] {
    return [...(this.subjects.get(subject)?.raises.values() ?? [])].filter((r) => r.until > now);
  }

  blockOf(network: string, now: number): ActiveBlock | undefined {
    const block = this.blocks.get(network);
    if (block && block.until > now) return block;
    if (block) this.blocks.delete(network);
    return undefined;
  }

  newDeviceSessionsOf(subject: string, now: number): Array<NewDeviceSession & { sessionId: string }> {
    return [...this.newDevices].filter(([, s]) => s.subject === subject && s.until > now).map(([sessionId, s]) => ({ sessionId, ...s }));
  }

  /** Drops everything expired (memory stays bounded by what is active). */
  sweep(now: number): void {
    for (const [subject, entry] of this.subjects) {
      if (now >= entry.nextExpiry) {
        for (const [rule, raise] of entry.raises) if (!(raise.until > now)) entry.raises.delete(rule);
        this.rebuild(subject, entry, now);
      }
    }
    for (const [network, block] of this.blocks) if (!(block.until > now)) this.blocks.delete(network);
    for (const [id, session] of this.newDevices) if (!(session.until > now)) this.newDevices.delete(id);
  }

  private rebuild(subject: string, entry: SubjectEntry, now: number): void {
    const live = [...entry.raises.values()].filter((r) => r.until > now).sort((a, b) => (a.rule < b.rule ? -1 : 1));
    if (live.length === 0) {
      this.subjects.delete(subject);
      return;
    }
    entry.nextExpiry = Math.min(...live.map((r) => r.until));
    entry.assessment = Object.freeze({
      raise: live.length,
      reasons: Object.freeze(live.map((r) => r.reason)),
      rules: Object.freeze(live.map((r) => r.rule)),
      forceRevalidation: true,
    });
  }
}

/** Adds the new-device raise to a principal's own assessment. */
function withNewDevice(base: RiskAssessment, session: NewDeviceSession): RiskAssessment {
  return Object.freeze({
    raise: base.raise + 1,
    reasons: Object.freeze([...base.reasons, session.reason]),
    rules: Object.freeze([...base.rules, NEW_DEVICE_RULE]),
    forceRevalidation: true,
  });
}

export const MFA_FAILURES_RULE = 'signal:mfa_failures';
export const APPROVAL_DENIALS_RULE = 'signal:approval_denials';
export const NEW_DEVICE_RULE = 'signal:new_device';
export const AUTH_FAILURES_RULE = 'signal:auth_failures';
