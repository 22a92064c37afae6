import type { Store } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';

export interface AttemptLimits {
  /** Attempts allowed per user in one window. */
  readonly perWindow: number;
  /**
   * Attempts allowed per source address in one window (default: perWindow).
   * Higher than the per-user limit where people share an address (NAT, a
   * bastion, the demo's 127.0.0.1), so one person's fumbles lock out only them.
   */
  readonly perSourceWindow?: number;
  readonly windowMs: number;
  /** Lock-outs start at one window and double on each repeat, up to this. */
  readonly lockoutMaxMs: number;
}

export type AttemptScope = 'user' | 'source';

export interface AttemptKey {
  readonly scope: AttemptScope;
  readonly id: string;
}

export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly scope: AttemptScope; readonly retryAfterSeconds: number };

/**
 * Counts code attempts per user and per source in the Store, so the limit
 * holds across replicas. Over the limit, the key is locked for one window,
 * then two, four, ... up to `lockoutMaxMs`; a locked key is refused before
 * its code is looked at.
 */
export class AttemptLimiter {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: AttemptLimits,
    private readonly prefix = 'mfa',
  ) {
    if (!Number.isInteger(limits.perWindow) || limits.perWindow < 1) throw new TypeError('perWindow must be a positive integer');
    if (limits.perSourceWindow !== undefined && (!Number.isInteger(limits.perSourceWindow) || limits.perSourceWindow < 1)) throw new TypeError('perSourceWindow must be a positive integer');
    if (!(limits.windowMs > 0) || !(limits.lockoutMaxMs > 0)) throw new TypeError('windowMs and lockoutMaxMs must be positive');
  }

  private key(kind: string, key: AttemptKey): string {
    return `${this.prefix}:${kind}:${key.scope}:${encodeURIComponent(key.id)}`;
  }

  /** Counts one attempt on every key; says whether the attempt may be checked. */
  async admit(keys: readonly AttemptKey[]): Promise<Admission> {
    const now = this.clock.now();
    for (const key of keys) {
      const until = Number(await this.store.getValue(this.key('lock', key)));
      if (Number.isFinite(until) && until > now) return { allowed: false, scope: key.scope, retryAfterSeconds: Math.ceil((until - now) / 1000) };
    }
    const counts = await Promise.all(keys.map((key) => this.store.hitCounter(this.key('attempts', key), this.limits.windowMs)));
    let refused: Admission | null = null;
    for (const [index, key] of keys.entries()) {
      const limit = key.scope === 'source' ? (this.limits.perSourceWindow ?? this.limits.perWindow) : this.limits.perWindow;
      if ((counts[index] as number) <= limit) continue;
      const lockMs = await this.lock(key, now);
      if (refused === null || (!refused.allowed && refused.retryAfterSeconds * 1000 < lockMs)) {
        refused = { allowed: false, scope: key.scope, retryAfterSeconds: Math.ceil(lockMs / 1000) };
      }
    }
    return refused ?? { allowed: true };
  }

  private async lock(key: AttemptKey, now: number): Promise<number> {
    // The lock-out level is itself a counter; it resets once no lock-out happened for twice the maximum.
    const level = await this.store.hitCounter(this.key('lockouts', key), 2 * this.limits.lockoutMaxMs);
    const lockMs = Math.min(this.limits.lockoutMaxMs, this.limits.windowMs * 2 ** Math.min(level - 1, 30));
    await this.store.setValue(this.key('lock', key), String(now + lockMs), { ttlMs: lockMs });
    return lockMs;
  }
}
