import type { Principal } from '../model/principal.js';
import type { Protocol } from '../model/action.js';

/** A live client session of any protocol, so revocation and shutdown can end it. */
export interface LiveSession {
  readonly id: string;
  readonly protocol: Protocol;
  readonly target: string;
  readonly principal: Principal;
  readonly source: string;
  readonly startedAt: number;
  /** Ends the session, telling the client why in the protocol's own form. */
  terminate(reason: string): void;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();

  register(session: LiveSession): () => void {
    this.sessions.set(session.id, session);
    return () => {
      this.sessions.delete(session.id);
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  list(): LiveSession[] {
    return [...this.sessions.values()];
  }

  /** Terminates every session the predicate selects; returns how many. */
  terminateWhere(predicate: (session: LiveSession) => boolean, reason: string): number {
    let count = 0;
    for (const session of [...this.sessions.values()]) {
      if (!predicate(session)) continue;
      this.sessions.delete(session.id);
      count++;
      session.terminate(reason);
    }
    return count;
  }
}
