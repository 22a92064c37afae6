import type { ApprovalRecord, ApprovalStatus, Resolution, Vote } from '../model/approval-record.js';

export type Unsubscribe = () => Promise<void>;

/**
 * Everything that is state. One interface, two implementations (memory for a
 * single replica, Redis for several). Callers never know which one they have.
 * Every method may reject with StoreUnavailableError; callers fail closed.
 * Keys are logical names; implementations add their own prefix.
 */
export interface Store {
  readonly kind: 'memory' | 'redis';

  // --- approval requests -------------------------------------------------
  /** Stores a new pending request; it disappears `ttlMs` after creation. */
  createApproval(record: ApprovalRecord, ttlMs: number): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  /** Every request still stored (pending and recently closed), newest first. */
  listApprovals(): Promise<ApprovalRecord[]>;
  /**
   * The requests still open (pending, or approved and not yet consumed),
   * newest first: what the expiry sweep and the pending lists need, without
   * reading every closed request kept for the retention period.
   */
  listOpenApprovals(): Promise<ApprovalRecord[]>;
  /**
   * Adds a vote while the request is pending and the approver has not voted.
   * Atomic: of two votes by the same approver only one is added.
   */
  addVote(id: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord | null }>;
  /**
   * Compare-and-set of the status: moves `from` -> `to` and records the
   * resolution; returns the new record, or null if the status was not `from`
   * (someone else won). This is what makes "first decision wins" and
   * "forwarded once" hold across replicas.
   */
  transitionApproval(id: string, from: ApprovalStatus, to: ApprovalStatus, resolution: Resolution): Promise<ApprovalRecord | null>;
  /**
   * Calls `onChange` whenever the request changes (vote, status). Resolves
   * once the subscription is live, so a caller that subscribes and then
   * reads cannot miss a change made in between.
   */
  watchApproval(id: string, onChange: () => void): Promise<Unsubscribe>;

  // --- small atomic primitives ---------------------------------------------
  getValue(key: string): Promise<string | null>;
  /** Returns false when `ifAbsent` is set and the key exists. */
  setValue(key: string, value: string, options?: { ttlMs?: number; ifAbsent?: boolean }): Promise<boolean>;
  deleteValue(key: string): Promise<void>;
  /**
   * Stores `value` if it is greater than the stored number (or none is
   * stored) and returns true; otherwise false. Used for TOTP time steps:
   * a step at or below the last accepted one is a replay.
   */
  raiseHighWater(key: string, value: number, ttlMs: number): Promise<boolean>;
  /** Increments a fixed-window counter and returns the count in the window. */
  hitCounter(key: string, windowMs: number): Promise<number>;
  /** Records an event at `at` (sliding window); the key expires after `ttlMs`. */
  recordEvent(key: string, at: number, ttlMs: number): Promise<void>;
  /** Counts events recorded at or after `since`. */
  countEvents(key: string, since: number): Promise<number>;
  addToSet(key: string, member: string): Promise<void>;
  removeFromSet(key: string, member: string): Promise<void>;
  setMembers(key: string): Promise<string[]>;

  // --- replicas ------------------------------------------------------------
  publish(topic: string, message: string): Promise<void>;
  /** Resolves once the subscription is live. */
  subscribe(topic: string, onMessage: (message: string) => void): Promise<Unsubscribe>;

  /** Rejects when the store cannot be used; readiness uses it. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
