import { timingSafeEqual } from 'node:crypto';
import { signRequest } from '../approvals/channels/webhook-signature.js';

// Slack's request signing scheme, which Airlock's webhooks reuse (see
// webhook-signature.ts). Hand-written because the Slack SDK only verifies
// inside Bolt's receivers, and webhook callbacks need the same check.
export { SIGNATURE_VERSION, signRequest } from '../approvals/channels/webhook-signature.js';

/** Requests older (or further in the future) than this are refused. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export type SignatureRejection = 'missing_headers' | 'malformed_timestamp' | 'stale' | 'future' | 'bad_signature' | 'replayed';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureRejection };

/** Answers true when `key` was already seen within `ttlMs`, and remembers it otherwise. */
export type SeenCheck = (key: string, ttlMs: number) => Promise<boolean>;

export interface VerifyOptions {
  readonly secret: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly body: Buffer | string;
  readonly nowMs: number;
  readonly toleranceMs?: number;
  /** Replay memory; without it replays are not detected. */
  readonly seen?: SeenCheck;
  /** Namespaces replay keys (slack, webhook). */
  readonly scope?: string;
}

/**
 * Checks the signature first and the clock second, and only then records the
 * signature as seen, so unsigned garbage never fills the replay memory.
 */
export async function verifyRequestSignature(options: VerifyOptions): Promise<SignatureCheck> {
  const { timestamp, signature } = options;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  const expected = Buffer.from(signRequest(options.secret, timestamp, options.body), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual throws on unequal lengths; a length mismatch is itself a plain mismatch.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  const tolerance = options.toleranceMs ?? SIGNATURE_TOLERANCE_MS;
  const skew = options.nowMs - Number(timestamp) * 1000;
  if (skew > tolerance) return { ok: false, reason: 'stale' };
  if (-skew > tolerance) return { ok: false, reason: 'future' };
  if (options.seen && (await options.seen(`${options.scope ?? 'sig'}:${signature}`, tolerance * 2))) {
    return { ok: false, reason: 'replayed' };
  }
  return { ok: true };
}

/** Reads one header as a string whatever Node made of it. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * In-memory replay memory for one replica. Several replicas must share one
 * (src/server.ts backs `SeenCheck` with the store's setValue ifAbsent).
 */
export function createMemorySeenCheck(clock: { now(): number } = { now: () => Date.now() }, maxEntries = 100_000): SeenCheck {
  const seen = new Map<string, number>();
  return async (key, ttlMs) => {
    const now = clock.now();
    const expiry = seen.get(key);
    if (expiry !== undefined && expiry > now) return true;
    if (seen.size >= maxEntries) {
      for (const [k, exp] of seen) if (exp <= now) seen.delete(k);
      // Still full of live entries: forget the oldest rather than grow without bound.
      if (seen.size >= maxEntries) seen.delete(seen.keys().next().value as string);
    }
    seen.delete(key);
    seen.set(key, now + ttlMs);
    return false;
  };
}
