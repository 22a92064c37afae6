import { randomInt } from 'node:crypto';

/** What a CancelRequest with a session's key reaches. */
export interface Cancellable {
  cancel(): void;
}

interface Entry {
  readonly secretKey: number;
  readonly session: Cancellable;
}

const MAX_INT32 = 0x7fffffff;

/**
 * Airlock's own BackendKeyData per session (random pid and secret), so a
 * client never learns the upstream's key; CancelRequests are looked up here
 * and mapped to the session, which knows the upstream key.
 */
export class CancelKeys {
  private readonly entries = new Map<number, Entry>();

  issue(session: Cancellable): { processId: number; secretKey: number } {
    let processId: number;
    do processId = randomInt(1, MAX_INT32);
    while (this.entries.has(processId));
    const secretKey = randomInt(-MAX_INT32, MAX_INT32);
    this.entries.set(processId, { secretKey, session });
    return { processId, secretKey };
  }

  release(processId: number): void {
    this.entries.delete(processId);
  }

  /** The session the key belongs to, or null (unknown key or wrong secret). */
  find(processId: number, secretKey: number): Cancellable | null {
    const entry = this.entries.get(processId);
    return entry && entry.secretKey === secretKey ? entry.session : null;
  }

  get size(): number {
    return this.entries.size;
  }
}
