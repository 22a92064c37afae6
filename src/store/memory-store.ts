import type { Logger } from 'pino';
import { isOpenStatus, type ApprovalRecord, type ApprovalStatus, type Resolution, type Vote } from '../model/approval-record.js';
import { StoreUnavailableError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { decodeApproval, encodeApproval } from './approval-codec.js';
import { LocalEmitter } from './local-emitter.js';
import type { Store, Unsubscribe } from './store.js';

export interface MemoryStoreOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How often expired entries are dropped even if nobody reads them. */
  readonly sweepIntervalMs?: number;
}

interface Entry<T> {
  value: T;
  /** Absolute ms on the injected clock; null = never. */
  expiresAt: number | null;
}

const DEFAULT_SWEEP_MS = 30_000;
// Approval watchers live in their own namespace so no user topic can collide.
const WATCH_PREFIX = '\0approval:';

/**
 * The embedded store for a single replica. Everything is synchronous inside,
 * so each method is trivially atomic; the async API matches the Redis store.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly clock: Clock;
  private readonly emitter: LocalEmitter;
  /** Approval records as JSON text: a read always yields a fresh copy. */
  private readonly approvals = new Map<string, Entry<string>>();
  /** Ids of requests still open; closed ones are dropped on their transition (and lazily when expired). */
  private readonly openApprovals = new Set<string>();
  /** Strings, counters and high-water marks share one key space, as in Redis. */
  private readonly strings = new Map<string, Entry<string>>();
  private readonly events = new Map<string, Entry<number[]>>();
  private readonly sets = new Map<string, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.emitter = new LocalEmitter(options.logger);
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_MS);
    this.sweeper.unref();
  }

  // --- approvals -------------------------------------------------------------

  async createApproval(record: ApprovalRecord, ttlMs: number): Promise<void> {
    this.open();
    this.approvals.set(record.id, { value: encodeApproval(record), expiresAt: this.clock.now() + ttlMs });
    if (isOpenStatus(record.status)) this.openApprovals.add(record.id);
    this.changed(record.id);
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    this.open();
    const text = this.live(this.approvals, id);
    return text === undefined ? null : decodeApproval(text);
  }

  async listApprovals(): Promise<ApprovalRecord[]> {
    this.open();
    const records: ApprovalRecord[] = [];
    for (const id of [...this.approvals.keys()]) {
      const text = this.live(this.approvals, id);
      if (text !== undefined) records.push(decodeApproval(text));
    }
    return records.sort(newestFirst);
  }

  async listOpenApprovals(): Promise<ApprovalRecord[]> {
    this.open();
    const records: ApprovalRecord[] = [];
    for (const id of [...this.openApprovals]) {
      const text = this.live(this.approvals, id);
      const record = text === undefined ? null : decodeApproval(text);
      if (record && isOpenStatus(record.status)) records.push(record);
      else this.openApprovals.delete(id);
    }
    return records.sort(newestFirst);
  }

  async addVote(id: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord | null }> {
    this.open();
    const text = this.live(this.approvals, id);
    if (text === undefined) return { added: false, record: null };
    const record = decodeApproval(text);
    if (record.status !== 'pending' || record.votes.some((v) => v.approver === vote.approver)) {
      return { added: false, record };
    }
    const next: ApprovalRecord = { ...record, votes: [...record.votes, vote] };
    this.replace(id, next);
    return { added: true, record: decodeApproval(encodeApproval(next)) };
  }

  async transitionApproval(
    id: string,
    from: ApprovalStatus,
    to: ApprovalStatus,
    resolution: Resolution,
  ): Promise<ApprovalRecord | null> {
    this.open();
    const text = this.live(this.approvals, id);
    if (text === undefined) return null;
    const record = decodeApproval(text);
    if (record.status !== from) return null;
    const next: ApprovalRecord = { ...record, status: to, resolution };
    this.replace(id, next);
    if (!isOpenStatus(to)) this.openApprovals.delete(id);
    return decodeApproval(encodeApproval(next));
  }

  async watchApproval(id: string, onChange: () => void): Promise<Unsubscribe> {
    this.open();
    const off = this.emitter.on(WATCH_PREFIX + id, () => onChange());
    return async () => off();
  }

  // --- small primitives ------------------------------------------------------

  async getValue(key: string): Promise<string | null> {
    this.open();
    return this.live(this.strings, key) ?? null;
  }

  async setValue(key: string, value: string, options: { ttlMs?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    this.open();
    if (options.ifAbsent && this.live(this.strings, key) !== undefined) return false;
    const expiresAt = options.ttlMs === undefined ? null : this.clock.now() + options.ttlMs;
    this.strings.set(key, { value, expiresAt });
    return true;
  }

  async deleteValue(key: string): Promise<void> {
    this.open();
    this.strings.delete(key);
  }

  async raiseHighWater(key: string, value: number, ttlMs: number): Promise<boolean> {
    this.open();
    const current = this.live(this.strings, key);
    if (current !== undefined && !(value > Number(current))) return false;
    this.strings.set(key, { value: String(value), expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async hitCounter(key: string, windowMs: number): Promise<number> {
    this.open();
    const entry = this.strings.get(key);
    if (entry && this.isLive(entry)) {
      // The window is fixed: later hits do not extend it.
      entry.value = String(Number(entry.value) + 1);
      return Number(entry.value);
    }
    this.strings.set(key, { value: '1', expiresAt: this.clock.now() + windowMs });
    return 1;
  }

  async recordEvent(key: string, at: number, ttlMs: number): Promise<void> {
    this.open();
    const entry = this.events.get(key);
    const times = entry && this.isLive(entry) ? entry.value : [];
    // Events older than the key's lifetime can never be counted again.
    const kept = times.filter((t) => t >= at - ttlMs);
    kept.push(at);
    this.events.set(key, { value: kept, expiresAt: this.clock.now() + ttlMs });
  }

  async countEvents(key: string, since: number): Promise<number> {
    this.open();
    const times = this.live(this.events, key);
    return times ? times.filter((t) => t >= since).length : 0;
  }

  async addToSet(key: string, member: string): Promise<void> {
    this.open();
    let set = this.sets.get(key);
    if (!set) {
      set = new Set();
      this.sets.set(key, set);
    }
    set.add(member);
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    this.open();
    const set = this.sets.get(key);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.sets.delete(key);
  }

  async setMembers(key: string): Promise<string[]> {
    this.open();
    return [...(this.sets.get(key) ?? [])];
  }

  // --- replicas --------------------------------------------------------------

  async publish(topic: string, message: string): Promise<void> {
    this.open();
    this.emitter.emit(topic, message);
  }

  async subscribe(topic: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    this.open();
    const off = this.emitter.on(topic, onMessage);
    return async () => off();
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.emitter.clear();
  }

  // --- internals -------------------------------------------------------------

  private open(): void {
    if (this.closed) throw new StoreUnavailableError('approval store closed');
  }

  private replace(id: string, record: ApprovalRecord): void {
    const entry = this.approvals.get(id);
    if (entry) entry.value = encodeApproval(record); // keeps the original TTL
    this.changed(id);
  }

  private changed(id: string): void {
    this.emitter.emit(WATCH_PREFIX + id, id);
  }

  private isLive(entry: Entry<unknown>): boolean {
    return entry.expiresAt === null || entry.expiresAt > this.clock.now();
  }

  /** The value if present and unexpired; drops it when expired (lazy expiry). */
  private live<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (this.isLive(entry)) return entry.value;
    map.delete(key);
    return undefined;
  }

  private sweep(): void {
    for (const map of [this.approvals, this.strings, this.events] as Map<string, Entry<unknown>>[]) {
      for (const [key, entry] of map) if (!this.isLive(entry)) map.delete(key);
    }
  }
}

function newestFirst(a: ApprovalRecord, b: ApprovalRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
