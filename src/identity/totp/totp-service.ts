import type { AirlockConfig } from '../../config/schema.js';
import type { AirlockEvent, EventBus } from '../../audit/events.js';
import { ForbiddenError, InternalError, MfaInvalidError, MfaNotEnrolledError, MfaReplayError, RateLimitedError, StepUpNotConfiguredError } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { systemClock, type Clock } from '../../time/clock.js';
import type { Principal } from '../../model/principal.js';
import { AttemptLimiter, type AttemptKey } from './attempt-limiter.js';
import { SecretCipher, SecretDecryptionError } from './secret-cipher.js';
import { generateTotpSecret, matchTotpCode, totpUri, type TotpAlgorithm, type TotpParameters } from './totp-code.js';

export type StepUpConfig = AirlockConfig['step_up'];

export interface TotpServiceOptions {
  readonly store: Store;
  readonly events: EventBus;
  readonly config: StepUpConfig;
  /** 32 bytes, from loadTotpEncryptionKey(). */
  readonly encryptionKey: Uint8Array;
  readonly clock?: Clock;
  /** How long an enrolment may wait for its first code. */
  readonly pendingTtlMs?: number;
  /** Randomness source for new secrets (tests inject known ones). */
  readonly generateSecret?: (algorithm: TotpAlgorithm) => string;
}

export interface EnrollmentStart {
  /** otpauth:// URI for authenticator apps. */
  readonly uri: string;
  /** Base32 secret, shown this once and never again. */
  readonly secret: string;
  /** The URI as a QR code for a terminal. */
  readonly qr: string;
  readonly expiresAt: number;
}

export interface CodeAttempt {
  readonly subject: string;
  readonly code: string;
  /** Source address; attempts are limited per source too (an empty source skips that limit). */
  readonly source: string;
}

/** What the store holds per user; the secret only ever encrypted. */
interface TotpRecord {
  readonly secret: string;
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 8;
  readonly period: number;
  readonly createdAt: number;
}

const DEFAULT_PENDING_TTL_MS = 15 * 60_000;

/**
 * TOTP (RFC 6238) enrolment and verification. Codes are single-use per user
 * across replicas (time-step high-water mark in the Store) and attempts are
 * rate-limited per user and per source. Codes never reach an event or a log.
 */
export class TotpService {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #clock: Clock;
  readonly #cipher: SecretCipher;
  readonly #config: StepUpConfig['totp'];
  readonly #limiter: AttemptLimiter;
  readonly #pendingTtlMs: number;
  readonly #generateSecret: (algorithm: TotpAlgorithm) => string;

  constructor(options: TotpServiceOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock ?? systemClock;
    this.#cipher = new SecretCipher(options.encryptionKey);
    this.#config = options.config.totp;
    this.#pendingTtlMs = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
    this.#generateSecret = options.generateSecret ?? generateTotpSecret;
    const { per_window, per_source_window, window, lockout_max } = options.config.attempts;
    this.#limiter = new AttemptLimiter(this.#store, this.#clock, { perWindow: per_window, perSourceWindow: per_source_window, windowMs: window, lockoutMaxMs: lockout_max });
  }

  /** Starts (or restarts) an enrolment; the factor stays inactive until `activate` sees one valid code. */
  async beginEnrollment(principal: Principal): Promise<EnrollmentStart> {
    this.#assertEnabled();
    if (await this.isEnrolled(principal.subject)) {
      throw new ForbiddenError('a second factor is already active for you; an administrator can reset it');
    }
    const { algorithm, digits, period } = this.#config;
    const secret = this.#generateSecret(algorithm);
    const now = this.#clock.now();
    const record: TotpRecord = { secret: this.#cipher.encrypt(secret, principal.subject), algorithm, digits, period, createdAt: now };
    await this.#store.setValue(this.#key('pending', principal.subject), JSON.stringify(record), { ttlMs: this.#pendingTtlMs });
    const uri = totpUri({ algorithm, digits, period, window: 0 }, secret, this.#config.issuer_label, principal.email ?? principal.subject);
    const { default: QRCode } = await import('qrcode');
    const qr = await QRCode.toString(uri, { type: 'terminal', small: true });
    return { uri, secret, qr, expiresAt: now + this.#pendingTtlMs };
  }

  /** Activates a pending enrolment after one valid code (which then counts as used). */
  async activate(principal: Principal, code: string, source = ''): Promise<void> {
    this.#assertEnabled();
    const subject = principal.subject;
    await this.#admit(subject, source);
    const pendingKey = this.#key('pending', subject);
    const pending = await this.#read(pendingKey);
    if (!pending) {
      this.#emit('mfa.failure', subject, source, 'not_enrolled', { during: 'activation' });
      throw new MfaNotEnrolledError('no enrolment is in progress (or it expired); start one with `airlock totp enroll`');
    }
    await this.#check(subject, source, pending, code, 'activation');
    const activeRecord = JSON.stringify(pending);
    if (!(await this.#store.setValue(this.#key('active', subject), activeRecord, { ifAbsent: true }))) {
      throw new ForbiddenError('a second factor is already active for you; an administrator can reset it');
    }
    await this.#store.deleteValue(pendingKey);
    this.#emit('mfa.enrolled', subject, source, undefined, { method: 'totp' });
  }

  /**
   * Verifies a code of the user's active factor. Rejects with RateLimitedError
   * (before looking at the code), MfaNotEnrolledError, MfaInvalidError or
   * MfaReplayError. Only ever call it with the caller's own subject.
   */
  async verify(attempt: CodeAttempt): Promise<void> {
    this.#assertEnabled();
    const { subject, code, source } = attempt;
    await this.#admit(subject, source);
    const record = await this.#read(this.#key('active', subject));
    if (!record) {
      this.#emit('mfa.failure', subject, source, 'not_enrolled');
      throw new MfaNotEnrolledError('you have no active second factor; enrol with `airlock totp enroll`');
    }
    await this.#check(subject, source, record, code, 'verification');
  }

  /** Admin: removes a user's factor (active or pending). Returns whether one was active. */
  async reset(subject: string, by?: string): Promise<boolean> {
    const wasActive = await this.isEnrolled(subject);
    await this.#store.deleteValue(this.#key('active', subject));
    await this.#store.deleteValue(this.#key('pending', subject));
    // A new secret starts a new sequence; a stale mark would refuse its first code in the same step.
    await this.#store.deleteValue(this.#key('step', subject));
    this.#emit('mfa.reset', subject, undefined, undefined, { ...(by === undefined ? {} : { by }), wasActive });
    return wasActive;
  }

  async isEnrolled(subject: string): Promise<boolean> {
    return (await this.#store.getValue(this.#key('active', subject))) !== null;
  }

  #assertEnabled(): void {
    if (!this.#config.enabled) throw new StepUpNotConfiguredError('TOTP is disabled in this configuration');
  }

  #key(kind: 'active' | 'pending' | 'step', subject: string): string {
    return `mfa:totp:${kind}:${encodeURIComponent(subject)}`;
  }

  async #read(key: string): Promise<TotpRecord | null> {
    const text = await this.#store.getValue(key);
    return text === null ? null : (JSON.parse(text) as TotpRecord);
  }

  async #admit(subject: string, source: string): Promise<void> {
    const keys: AttemptKey[] = [{ scope: 'user', id: subject }];
    if (source !== '') keys.push({ scope: 'source', id: source });
    const admission = await this.#limiter.admit(keys);
    if (admission.allowed) return;
    this.#emit('mfa.rate_limited', subject, source, `too many attempts per ${admission.scope}`, {
      scope: admission.scope,
      retryAfterSeconds: admission.retryAfterSeconds,
    });
    throw new RateLimitedError(`too many code attempts; retry in ${admission.retryAfterSeconds}s`, admission.retryAfterSeconds);
  }

  /** Checks the code and claims its time step; throws the matching Mfa error and emits the event. */
  async #check(subject: string, source: string, record: TotpRecord, code: string, during: string): Promise<void> {
    let secret: string;
    try {
      secret = this.#cipher.decrypt(record.secret, subject);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      this.#emit('mfa.failure', subject, source, 'secret_unreadable', { during });
      throw new InternalError('stored second factor could not be decrypted (encryption key changed?)');
    }
    const params: TotpParameters = { algorithm: record.algorithm, digits: record.digits, period: record.period, window: this.#config.window };
    const nowMs = this.#clock.now();
    const step = await matchTotpCode({ secret, code, params, nowMs });
    if (step === null) {
      this.#emit('mfa.failure', subject, source, 'invalid_code', { during });
      throw new MfaInvalidError('the code is wrong or outside the allowed time window');
    }
    if (!(await this.#claimStep(subject, secret, code, params, nowMs, step))) {
      this.#emit('mfa.replay', subject, source, 'code already used', { during });
      throw new MfaReplayError('this code was already used; wait for the next one');
    }
    this.#emit('mfa.success', subject, source, undefined, { during, method: 'totp' });
  }

  /** Single use across replicas: the accepted step must be strictly above the last accepted one. */
  async #claimStep(subject: string, secret: string, code: string, params: TotpParameters, nowMs: number, step: number): Promise<boolean> {
    const key = this.#key('step', subject);
    // Outlives every step a code could still be accepted for.
    const ttlMs = Math.max(10 * 60_000, (2 * params.window + 2) * params.period * 1000);
    if (await this.#store.raiseHighWater(key, step, ttlMs)) return true;
    // The same digits may also be the code of a later step still in the window (rare); that step is fresh.
    const mark = Number(await this.#store.getValue(key));
    if (!Number.isFinite(mark)) return false;
    const later = await matchTotpCode({ secret, code, params, nowMs, afterStep: mark });
    return later !== null && (await this.#store.raiseHighWater(key, later, ttlMs));
  }

  #emit(type: AirlockEvent['type'], subject: string, source: string | undefined, reason?: string, data?: Record<string, unknown>): void {
    this.#events.emit({
      type,
      at: this.#clock.now(),
      subject,
      ...(source ? { source } : {}),
      ...(reason === undefined ? {} : { reason }),
      ...(data === undefined ? {} : { data }),
    });
  }
}
