import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AirlockError, StoreUnavailableError } from '../errors.js';
import type { Store, Unsubscribe } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import { HOLDER_HEARTBEAT_MS, HOLDER_TTL_MS, holderKey, type ApprovalRecord, type ApprovalStatus, type Resolution } from '../model/approval-record.js';

export type HoldOutcome =
  /** Approved, and this holder consumed it: forward exactly once. */
  | { readonly kind: 'approved'; readonly record: ApprovalRecord }
  /** Denied, timed out, or withdrawn by someone else. */
  | { readonly kind: 'denied'; readonly record: ApprovalRecord }
  /** The holder's own signal aborted (client cancelled or disconnected). */
  | { readonly kind: 'cancelled'; readonly record: ApprovalRecord | null }
  /** The store failed while waiting: fail closed. */
  | { readonly kind: 'failed'; readonly error: AirlockError };

interface HeldRequestDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  /** How long a store outage is ridden out (retries with backoff) before the hold fails closed. */
  readonly storeGraceMs: number;
  readonly onClosed: (record: ApprovalRecord) => void;
}

/** Backoff between store retries during an outage: 50 ms doubling, at most 1 s. */
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;

/**
 * One held action waiting for its request to close. Subscribes before it
 * reads (no lost wake-up), re-reads on every change and on a slow poll (a
 * wake-up lost to a store reconnect still arrives), expires the request on
 * time itself, and consumes an approval with a compare-and-set so the action
 * is forwarded once even if several replicas see the approval. A store error
 * (a Redis reconnect takes a few hundred ms) is retried with backoff; the
 * hold fails closed only when the outage outlasts `storeGraceMs` or the
 * request's own deadline. A consume whose reply was lost is recognised on
 * the next read by the holder id it wrote.
 */
export class HeldRequest {
  readonly ready: Promise<void>;
  private unsubscribe: Unsubscribe | null = null;
  private settled = false;
  private checking = false;
  private recheck = false;
  private resolve: (outcome: HoldOutcome) => void = () => {};
  private timers: NodeJS.Timeout[] = [];
  private signal: AbortSignal | undefined;
  private readonly onAbort = () => void this.withdraw();
  /** Unique to this hold: written into the consume, to recognise it when the reply was lost. */
  private readonly holder = randomUUID();
  private outageSince: number | null = null;
  private retries = 0;

  constructor(
    private readonly record: ApprovalRecord,
    private readonly deps: HeldRequestDeps,
  ) {
    this.ready = deps.store.watchApproval(record.id, () => void this.check()).then((unsubscribe) => {
      this.unsubscribe = unsubscribe;
      if (this.settled) void this.cleanup();
    });
    // A failed subscription is reported through wait(); keep it from being unhandled here.
    this.ready.catch(() => {});
  }

  wait(signal?: AbortSignal): Promise<HoldOutcome> {
    const outcome = new Promise<HoldOutcome>((resolve) => {
      this.resolve = resolve;
    });
    this.signal = signal;
    this.ready.then(
      () => {
        if (signal?.aborted) return void this.withdraw();
        signal?.addEventListener('abort', this.onAbort, { once: true });
        const untilExpiry = Math.max(0, this.record.expiresAt - this.deps.clock.now());
        this.timers.push(setTimeout(() => void this.expire(), untilExpiry));
        const poll = setInterval(() => void this.check(), this.deps.pollIntervalMs);
        this.timers.push(poll);
        // Liveness: while this key lives, approvers know someone can still run the action.
        this.timers.push(setInterval(() => void this.heartbeat(), HOLDER_HEARTBEAT_MS));
        void this.check();
      },
      (err: unknown) => this.settle({ kind: 'failed', error: asStoreError(err) }),
    );
    return outcome;
  }

  private async check(): Promise<void> {
    if (this.settled) return;
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.recheck = false;
        await this.evaluate();
      } while (this.recheck && !this.settled);
    } finally {
      this.checking = false;
    }
  }

  private async evaluate(): Promise<void> {
    let current: ApprovalRecord | null;
    try {
      current = await this.deps.store.getApproval(this.record.id);
    } catch (err) {
      this.storeTrouble(err);
      return;
    }
    this.storeWorks();
    if (this.settled) return;
    if (!current) {
      return this.settle({ kind: 'failed', error: new StoreUnavailableError('the approval request disappeared from the store') });
    }
    switch (current.status) {
      case 'pending':
        if (current.expiresAt <= this.deps.clock.now()) await this.expire();
        return;
      case 'approved': {
        const consumed = await this.cas('approved', 'consumed', {
          status: 'consumed',
          at: this.deps.clock.now(),
          by: current.resolution?.by ?? [],
          reason: current.resolution?.reason ?? 'approved',
          holder: this.holder,
        });
        if (consumed === undefined) return;
        if (consumed) return this.settle({ kind: 'approved', record: consumed });
        this.recheck = true;
        return;
      }
      case 'consumed':
        // Our own consume whose reply was lost to a store blip: it is ours to forward, once.
        if (current.resolution?.holder === this.holder) return this.settle({ kind: 'approved', record: current });
        // Only the holder consumes; seeing this means a second holder: never forward twice.
        return this.settle({ kind: 'denied', record: current });
      case 'withdrawn':
        // Our own withdrawal seen through the watch before withdraw() settled.
        if (this.signal?.aborted) return this.settle({ kind: 'cancelled', record: current });
        return this.settle({ kind: 'denied', record: current });
      default:
        return this.settle({ kind: 'denied', record: current });
    }
  }

  private async expire(): Promise<void> {
    if (this.settled) return;
    const expired = await this.cas('pending', 'expired', { status: 'expired', at: this.deps.clock.now(), by: [], reason: 'timed out waiting for a decision' });
    if (expired === undefined) return;
    if (expired) {
      this.deps.onClosed(expired);
      return this.settle({ kind: 'denied', record: expired });
    }
    await this.check();
  }

  private async withdraw(): Promise<void> {
    if (this.settled) return;
    // The adapter's abort reason says why: a cancel, a disconnect, or the session ended (revocation, shutdown, expiry).
    const why = this.signal?.reason instanceof Error && this.signal.reason.message !== '' ? this.signal.reason.message : 'the client cancelled or disconnected';
    const resolution: Resolution = { status: 'withdrawn', at: this.deps.clock.now(), by: [this.record.requester.subject], reason: `withdrawn: ${why}` };
    let withdrawn: ApprovalRecord | null | undefined = await this.cas('pending', 'withdrawn', resolution);
    // Approved in the same instant: the client is gone, so it must not run; close it as withdrawn.
    if (withdrawn === null) withdrawn = await this.cas('approved', 'withdrawn', resolution);
    if (withdrawn) this.deps.onClosed(withdrawn);
    this.settle({ kind: 'cancelled', record: withdrawn ?? null });
  }

  /** Compare-and-set; `undefined` means the store failed (a retry is scheduled, or the hold failed closed). */
  private async cas(from: ApprovalStatus, to: ApprovalStatus, resolution: Resolution): Promise<ApprovalRecord | null | undefined> {
    try {
      const result = await this.deps.store.transitionApproval(this.record.id, from, to, resolution);
      this.storeWorks();
      return result;
    } catch (err) {
      this.storeTrouble(err);
      return undefined;
    }
  }

  private storeWorks(): void {
    this.outageSince = null;
    this.retries = 0;
  }

  /** Retries the whole check after a backoff while within the grace and the deadline; else fails closed. */
  private storeTrouble(err: unknown): void {
    if (this.settled) return;
    const now = this.deps.clock.now();
    this.outageSince ??= now;
    if (now - this.outageSince >= this.deps.storeGraceMs || now >= this.record.expiresAt) {
      this.deps.logger.warn({ approvalId: this.record.id, outageMs: now - this.outageSince }, 'approval store unavailable for longer than the grace; the held action fails closed');
      return this.settle({ kind: 'failed', error: asStoreError(err) });
    }
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.retries++);
    this.timers.push(setTimeout(() => void this.check(), delay));
  }

  /** Marks this request as held by a live replica (the broker sets it first, before anyone hears of it). */
  async heartbeat(): Promise<void> {
    if (this.settled) return;
    try {
      await this.deps.store.setValue(holderKey(this.record.id), this.holder, { ttlMs: HOLDER_TTL_MS });
    } catch {
      // A store blip: the key lives HOLDER_TTL_MS, several heartbeats; the checks report real outages.
    }
  }

  private settle(outcome: HoldOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(outcome);
    this.deps.store.deleteValue(holderKey(this.record.id)).catch(() => undefined);
    void this.cleanup();
  }

  private async cleanup(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    this.signal?.removeEventListener('abort', this.onAbort);
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    if (unsubscribe) {
      try {
        await unsubscribe();
      } catch (err) {
        this.deps.logger.debug({ err }, 'unsubscribe after hold failed');
      }
    }
  }
}

function asStoreError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  return new StoreUnavailableError('approval store unavailable', { cause: err });
}
