import { createHash, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { BadRequestError } from '../errors.js';
import type { Principal } from '../model/principal.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';

/** A browser's PushSubscription (its toJSON()), as stored for one person and device. */
export interface StoredPushSubscription {
  readonly subject: string;
  /** The person's groups when they subscribed (their token's): who they may approve for, unless the directory knows better. */
  readonly groups: readonly string[];
  readonly deviceId?: string;
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  readonly createdAt: number;
}

export interface PushSubscriptionsOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Devices per person; a new one beyond this replaces their oldest. */
  readonly maxPerUser: number;
  /** Hosts an endpoint may name (`*.suffix` allowed); http only for a loopback host listed here. */
  readonly endpointHosts: readonly string[];
  /** How long an unrefreshed subscription is kept (the page refreshes it on every visit). */
  readonly ttlMs?: number;
}

const SUBJECTS_KEY = 'push:subjects';
const MAX_ENDPOINT_LENGTH = 2048;
const DEFAULT_TTL_MS = 30 * 24 * 3600_000;
const P256DH_BYTES = 65;
const AUTH_BYTES = 16;

const subjectSetKey = (subject: string) => `push:subs:${subject}`;
const subscriptionKey = (subject: string, endpointId: string) => `push:sub:${subject}:${endpointId}`;
/** Whose an endpoint is: a browser's endpoint belongs to the last person who turned notifications on in it. */
const ownerKey = (endpointId: string) => `push:owner:${endpointId}`;

/** A short, stable name for an endpoint (its URL can be 500+ characters). */
export function endpointId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 32);
}

/**
 * Push subscriptions in the Store, so every replica sends to the same
 * devices: one value per person and endpoint, a set of endpoints per person,
 * and a set of the people who have any. Untrusted input is checked here: an
 * endpoint is a URL Airlock will POST to, so it must name a configured push
 * service (no requests to internal hosts on a user's say-so).
 */
export class PushSubscriptions {
  private readonly ttlMs: number;

  constructor(private readonly options: PushSubscriptionsOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** Validates a PushSubscription JSON and stores it for `principal`; returns its endpoint id. */
  async save(principal: Principal, body: unknown): Promise<string> {
    const { endpoint, keys } = this.parse(body);
    const id = endpointId(endpoint);
    const record: StoredPushSubscription = {
      subject: principal.subject,
      groups: [...principal.groups],
      ...(principal.deviceId ? { deviceId: principal.deviceId } : {}),
      endpoint,
      keys,
      createdAt: this.options.clock.now(),
    };
    // One browser, two people (one signed out, the other in): the device now hears only for the second.
    const owner = await this.options.store.getValue(ownerKey(id));
    if (owner !== null && owner !== principal.subject) await this.remove(owner, endpoint);
    const existing = await this.list(principal.subject);
    const others = existing.filter((s) => endpointId(s.endpoint) !== id);
    // Over the cap: the oldest devices make room (a browser that re-subscribes gets a new endpoint).
    const excess = others.length + 1 - this.options.maxPerUser;
    if (excess > 0) {
      for (const old of [...others].sort((a, b) => a.createdAt - b.createdAt).slice(0, excess)) await this.remove(old.subject, old.endpoint);
    }
    await this.options.store.setValue(subscriptionKey(principal.subject, id), JSON.stringify(record), { ttlMs: this.ttlMs });
    await this.options.store.setValue(ownerKey(id), principal.subject, { ttlMs: this.ttlMs });
    await this.options.store.addToSet(subjectSetKey(principal.subject), id);
    await this.options.store.addToSet(SUBJECTS_KEY, principal.subject);
    return id;
  }

  /** Removes one subscription (the person's own, by endpoint). */
  async remove(subject: string, endpoint: string): Promise<void> {
    const id = endpointId(endpoint);
    await this.options.store.deleteValue(subscriptionKey(subject, id));
    await this.options.store.removeFromSet(subjectSetKey(subject), id);
    if ((await this.options.store.getValue(ownerKey(id))) === subject) await this.options.store.deleteValue(ownerKey(id));
  }

  /** Removes every subscription of a person (revocation). */
  async removeAll(subject: string): Promise<void> {
    for (const sub of await this.list(subject)) await this.remove(subject, sub.endpoint);
    await this.options.store.removeFromSet(SUBJECTS_KEY, subject);
  }

  /** A person's subscriptions; entries whose value expired are tidied away. */
  async list(subject: string): Promise<StoredPushSubscription[]> {
    const ids = await this.options.store.setMembers(subjectSetKey(subject));
    const out: StoredPushSubscription[] = [];
    for (const id of ids) {
      const raw = await this.options.store.getValue(subscriptionKey(subject, id));
      if (raw === null) {
        await this.options.store.removeFromSet(subjectSetKey(subject), id);
        continue;
      }
      out.push(JSON.parse(raw) as StoredPushSubscription);
    }
    return out;
  }

  /** Everyone with at least one subscription. */
  subjects(): Promise<string[]> {
    return this.options.store.setMembers(SUBJECTS_KEY);
  }

  /** The endpoint of a DELETE body ({ endpoint }), checked like a new one. */
  parseEndpoint(body: unknown): string {
    const endpoint = field(body, 'endpoint');
    if (typeof endpoint !== 'string') throw new BadRequestError('endpoint is required');
    this.checkEndpoint(endpoint);
    return endpoint;
  }

  private parse(body: unknown): { endpoint: string; keys: { p256dh: string; auth: string } } {
    const endpoint = this.parseEndpoint(body);
    const keys = field(body, 'keys');
    const p256dh = field(keys, 'p256dh');
    const auth = field(keys, 'auth');
    if (typeof p256dh !== 'string' || decodedLength(p256dh) !== P256DH_BYTES || Buffer.from(p256dh, 'base64url')[0] !== 0x04) {
      throw new BadRequestError('keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)');
    }
    if (!onCurve(p256dh)) throw new BadRequestError('keys.p256dh is not a point on P-256');
    if (typeof auth !== 'string' || decodedLength(auth) !== AUTH_BYTES) throw new BadRequestError('keys.auth must be 16 bytes, base64url');
    const expiration = field(body, 'expirationTime');
    if (expiration !== undefined && expiration !== null && typeof expiration !== 'number') throw new BadRequestError('expirationTime must be a number or null');
    return { endpoint, keys: { p256dh, auth } };
  }

  private checkEndpoint(endpoint: string): void {
    if (endpoint.length > MAX_ENDPOINT_LENGTH) throw new BadRequestError(`endpoint is longer than ${MAX_ENDPOINT_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new BadRequestError('endpoint must be an absolute URL');
    }
    if (url.username || url.password) throw new BadRequestError('endpoint must not carry credentials');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!this.options.endpointHosts.some((allowed) => hostMatches(host, allowed.toLowerCase()))) {
      throw new BadRequestError(`endpoint host ${host} is not a configured push service (approvals.channels.push.endpoint_hosts)`);
    }
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && isLoopback(host)) return;
    throw new BadRequestError('endpoint must be https (http only on a loopback address)');
  }
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
}

function decodedLength(value: string): number {
  return /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').length : -1;
}

function onCurve(p256dh: string): boolean {
  const point = Buffer.from(p256dh, 'base64url');
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

function hostMatches(host: string, allowed: string): boolean {
  if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1;
  return host === allowed;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
