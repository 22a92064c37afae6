import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import type { Principal } from '../../model/principal.js';

/**
 * Who is speaking on one client connection. Every request carries its own
 * bearer token; verifying a JWT on every request of a keep-alive connection
 * costs more than forwarding it, so the last verified token is remembered
 * for the connection (never past the token's expiry). The connection is a
 * live session: a revocation anywhere ends it, and the next connection
 * authenticates again and is refused.
 */
export class ConnectionIdentity {
  readonly sessionId = `http-${randomUUID()}`;
  private token: string | null = null;
  private principal: Principal | null = null;
  private unregister: (() => void) | null = null;
  private terminated: string | null = null;
  /** Called when the session is ended from outside (revocation, shutdown). */
  onTerminate: ((reason: string) => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly deps: { readonly gate: Gate; readonly sessions: SessionRegistry; readonly now: () => number },
  ) {
    socket.once('close', () => this.release());
  }

  get source(): string {
    return this.socket.remoteAddress ?? '';
  }

  /** Set once the session was ended from outside: nothing more is forwarded on this connection. */
  get endedBecause(): string | null {
    return this.terminated;
  }

  /** The principal of this token: remembered for the connection, else verified by the Gate. Rejects with the Gate's error. */
  async principalFor(token: string, target: string): Promise<Principal> {
    if (this.token === token && this.principal && this.principal.expiresAt > this.deps.now()) return this.principal;
    const principal = await this.deps.gate.authenticate({ token, protocol: 'http', target, source: this.source, sessionId: this.sessionId });
    this.release();
    this.token = token;
    this.principal = principal;
    const startedAt = this.deps.now();
    this.unregister = this.deps.sessions.register({
      id: this.sessionId,
      protocol: 'http',
      target,
      principal,
      source: this.source,
      startedAt,
      terminate: (reason) => {
        this.terminated = reason;
        this.token = null;
        this.principal = null;
        this.unregister = null;
        this.onTerminate?.(reason);
      },
    });
    return principal;
  }

  private release(): void {
    this.unregister?.();
    this.unregister = null;
    this.token = null;
    this.principal = null;
  }
}
