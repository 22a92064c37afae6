import type { Logger } from 'pino';
import type { EventBus } from '../audit/events.js';
import type { LiveSession, SessionRegistry } from '../gate/session-registry.js';
import type { Principal } from '../model/principal.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { systemClock, type Clock } from '../time/clock.js';
import { REVOCATIONS_TOPIC, riskKeys } from './store-keys.js';

export const REVOCATION_KINDS = ['subject', 'device', 'token'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

export interface Revocation {
  readonly kind: RevocationKind;
  readonly id: string;
  readonly reason: string;
  readonly by: string;
  readonly at: number;
  readonly expiresAt: number;
}

export interface RevokeInput {
  readonly kind: RevocationKind;
  readonly id: string;
  readonly reason: string;
  readonly by: string;
  /** Defaults to risk.revocation_ttl. */
  readonly ttlMs?: number;
}

/** The part of the approval broker a revocation needs. */
export interface PendingDenier {
  denyPendingOf(subject: string, reason: string): Promise<number>;
}

export interface RevocationsOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly sessions: SessionRegistry;
  readonly broker: PendingDenier;
  readonly logger: Logger;
  readonly defaultTtlMs: number;
  readonly clock?: Clock;
  /**
   * Safety net for a lost pub/sub message (Redis drops them while a
   * subscriber reconnects) and for a session that authenticated while the
   * revocation was being written: live sessions are re-checked this often.
   */
  readonly reconcileIntervalMs?: number;
}

type RevocationMessage = { readonly op: 'add'; readonly revocation: Revocation } | { readonly op: 'lift'; readonly kind: RevocationKind; readonly id: string };

const MAX_ID = 512;
const MAX_REASON = 500;

/**
 * Revoked subjects, devices and token ids, in the store with a TTL. Revoking
 * ends matching live sessions on every replica (pub/sub, plus a periodic
 * re-check) and denies the subject's pending requests.
 */
export class Revocations {
  private readonly clock: Clock;
  private offTopic: Unsubscribe | null = null;
  private reconciler: NodeJS.Timeout | null = null;
  private defaultTtlMs: number;

  constructor(private readonly options: RevocationsOptions) {
    this.clock = options.clock ?? systemClock;
    this.defaultTtlMs = options.defaultTtlMs;
    if (!(options.defaultTtlMs > 0)) throw new TypeError('defaultTtlMs must be positive');
  }

  /** Every replica calls this once at start: from then on, revocations made anywhere end its sessions. */
  async start(): Promise<void> {
    if (this.offTopic) return;
    this.offTopic = await this.options.store.subscribe(REVOCATIONS_TOPIC, (text) => this.onMessage(text));
    const interval = this.options.reconcileIntervalMs ?? 10_000;
    if (interval > 0) {
      this.reconciler = setInterval(() => void this.reconcile().catch((err: unknown) => this.options.logger.warn({ err }, 'revocations: re-check failed')), interval);
      this.reconciler.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.reconciler) clearInterval(this.reconciler);
    this.reconciler = null;
    const off = this.offTopic;
    this.offTopic = null;
    await off?.();
  }

  setDefaultTtl(ms: number): void {
    if (!(ms > 0)) throw new TypeError('revocation ttl must be positive');
    this.defaultTtlMs = ms;
  }

  async revoke(input: RevokeInput): Promise<Revocation> {
    validate(input);
    const ttlMs = input.ttlMs ?? this.defaultTtlMs;
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) throw new TypeError('ttlMs must be a positive number of milliseconds');
    const { store, bus } = this.options;
    const now = this.clock.now();
    const revocation: Revocation = { kind: input.kind, id: input.id, reason: input.reason, by: input.by, at: now, expiresAt: now + ttlMs };
    const key = riskKeys.revocation(input.kind, input.id);
    await store.setValue(key, JSON.stringify(revocation), { ttlMs });
    await store.addToSet(riskKeys.revocations, `${input.kind}:${input.id}`);
    bus.emit({
      type: 'revocation.added',
      at: now,
      ...subjectFields(revocation),
      rules: [`revocation:${input.kind}`],
      reason: input.reason,
      data: { kind: input.kind, id: input.id, by: input.by, expiresAt: revocation.expiresAt },
    });
    // This replica does not wait for its own message: ending sessions is idempotent anyway.
    const ended = this.terminateMatching([revocation]);
    await store.publish(REVOCATIONS_TOPIC, JSON.stringify({ op: 'add', revocation } satisfies RevocationMessage));
    // Pending requests live in the shared store: denying them once, here, reaches every replica.
    const subjects = input.kind === 'subject' ? [input.id] : ended;
    for (const subject of new Set(subjects)) await this.options.broker.denyPendingOf(subject, `access revoked: ${input.reason}`);
    return revocation;
  }

  /** Removes a revocation; returns whether one existed. */
  async lift(input: { kind: RevocationKind; id: string; by: string; reason?: string }): Promise<boolean> {
    if (!REVOCATION_KINDS.includes(input.kind)) throw new TypeError(`kind must be one of ${REVOCATION_KINDS.join(', ')}`);
    const { store, bus } = this.options;
    const key = riskKeys.revocation(input.kind, input.id);
    const existed = (await store.getValue(key)) !== null;
    await store.deleteValue(key);
    await store.removeFromSet(riskKeys.revocations, `${input.kind}:${input.id}`);
    await store.publish(REVOCATIONS_TOPIC, JSON.stringify({ op: 'lift', kind: input.kind, id: input.id } satisfies RevocationMessage));
    if (existed) {
      bus.emit({
        type: 'revocation.lifted',
        at: this.clock.now(),
        ...(input.kind === 'subject' ? { subject: input.id } : input.kind === 'device' ? { deviceId: input.id } : {}),
        rules: [`revocation:${input.kind}`],
        reason: input.reason ?? `lifted by ${input.by}`,
        data: { kind: input.kind, id: input.id, by: input.by },
      });
    }
    return existed;
  }

  /** Every live revocation, newest first. */
  async list(): Promise<Revocation[]> {
    const { store } = this.options;
    const out: Revocation[] = [];
    for (const member of await store.setMembers(riskKeys.revocations)) {
      const colon = member.indexOf(':');
      const kind = member.slice(0, colon);
      const id = member.slice(colon + 1);
      const text = await store.getValue(riskKeys.revocation(kind, id));
      if (text === null) {
        await store.removeFromSet(riskKeys.revocations, member);
        continue;
      }
      out.push(JSON.parse(text) as Revocation);
    }
    return out.sort((a, b) => b.at - a.at);
  }

  async get(kind: RevocationKind, id: string): Promise<Revocation | null> {
    const text = await this.options.store.getValue(riskKeys.revocation(kind, id));
    return text === null ? null : (JSON.parse(text) as Revocation);
  }

  /** The revocation that applies to this principal (subject, device or token), or null. Store errors propagate: fail closed. */
  async isRevoked(principal: Principal): Promise<Revocation | null> {
    const { store } = this.options;
    const keys = [riskKeys.revocation('subject', principal.subject)];
    if (principal.deviceId !== undefined) keys.push(riskKeys.revocation('device', principal.deviceId));
    if (principal.tokenId !== undefined) keys.push(riskKeys.revocation('token', principal.tokenId));
    const values = await Promise.all(keys.map((key) => store.getValue(key)));
    for (const text of values) if (text !== null) return JSON.parse(text) as Revocation;
    return null;
  }

  /** Ends live sessions of this replica that a stored revocation covers; returns how many. */
  async reconcile(): Promise<number> {
    if (this.options.sessions.size === 0) return 0;
    return this.terminateMatching(await this.list()).length;
  }

  private onMessage(text: string): void {
    let message: RevocationMessage;
    try {
      message = JSON.parse(text) as RevocationMessage;
    } catch {
      this.options.logger.warn('revocations: ignoring a malformed replica message');
      return;
    }
    if (message.op !== 'add' || typeof message.revocation?.id !== 'string' || !REVOCATION_KINDS.includes(message.revocation.kind)) return;
    const ended = this.terminateMatching([message.revocation]);
    if (ended.length > 0) this.options.logger.info({ kind: message.revocation.kind, sessions: ended.length }, 'revocations: ended sessions revoked on another replica');
  }

  /** Terminates and audits matching sessions; returns the subjects of those it ended. */
  private terminateMatching(revocations: readonly Revocation[]): string[] {
    if (revocations.length === 0) return [];
    const ended: Array<{ session: LiveSession; revocation: Revocation }> = [];
    const now = this.clock.now();
    for (const revocation of revocations) {
      if (!(revocation.expiresAt > now)) continue;
      // terminateWhere removes a session before ending it, so a second pass finds nothing: idempotent.
      this.options.sessions.terminateWhere((session) => {
        if (!matches(revocation, session.principal)) return false;
        ended.push({ session, revocation });
        return true;
      }, `access revoked: ${revocation.reason}`);
    }
    for (const { session, revocation } of ended) {
      this.options.bus.emit({
        type: 'session.terminated',
        at: now,
        subject: session.principal.subject,
        ...(session.principal.deviceId !== undefined ? { deviceId: session.principal.deviceId } : {}),
        source: session.source,
        protocol: session.protocol,
        target: session.target,
        sessionId: session.id,
        rules: [`revocation:${revocation.kind}`],
        reason: `access revoked: ${revocation.reason}`,
        data: { kind: revocation.kind, id: revocation.id, by: revocation.by },
      });
    }
    return ended.map((e) => e.session.principal.subject);
  }
}

export function matches(revocation: Pick<Revocation, 'kind' | 'id'>, principal: Principal): boolean {
  switch (revocation.kind) {
    case 'subject':
      return principal.subject === revocation.id;
    case 'device':
      return principal.deviceId === revocation.id;
    case 'token':
      return principal.tokenId === revocation.id;
  }
}

export function describeRevocation(revocation: Revocation): string {
  const what = revocation.kind === 'subject' ? revocation.id : `${revocation.kind} ${revocation.id}`;
  return `access revoked for ${what}: ${revocation.reason}`;
}

function subjectFields(revocation: Revocation): { subject?: string; deviceId?: string } {
  if (revocation.kind === 'subject') return { subject: revocation.id };
  if (revocation.kind === 'device') return { deviceId: revocation.id };
  return {};
}

function validate(input: RevokeInput): void {
  if (!REVOCATION_KINDS.includes(input.kind)) throw new TypeError(`kind must be one of ${REVOCATION_KINDS.join(', ')}`);
  if (typeof input.id !== 'string' || input.id === '' || input.id.length > MAX_ID) throw new TypeError(`id must be 1-${MAX_ID} characters`);
  if (typeof input.reason !== 'string' || input.reason.trim() === '' || input.reason.length > MAX_REASON) throw new TypeError(`reason must be 1-${MAX_REASON} characters`);
  if (typeof input.by !== 'string' || input.by === '') throw new TypeError('by must name who revokes');
}
