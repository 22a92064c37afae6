import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID, type ECDH } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { importJWK, jwtVerify } from 'jose';
import { waitFor } from './services.js';

/** A subscription as a browser would hand it to the page (PushSubscription.toJSON()). */
export interface TestSubscription {
  readonly name: string;
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** The user agent's private key (base64url), for a browser-side stand-in. */
  readonly privateKey: string;
}

export interface ReceivedPush {
  readonly name: string;
  /** What the push service answered. */
  readonly status: number;
  /** The decrypted payload, when the request was valid. */
  readonly payload?: string;
  /** Why the request was refused (bad VAPID, undecryptable body). */
  readonly error?: string;
  readonly ttl: string | undefined;
  readonly vapidSubject?: string;
}

interface Registered {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
  /** Statuses to answer with, in order; then 201. */
  readonly script: number[];
  /** A request is held until this resolves (to fill a delivery queue). */
  hold?: Promise<void>;
}

/**
 * A local push service (what FCM or Mozilla's autopush are to browsers),
 * in node:http, for tests: it checks the VAPID header (RFC 8292: an ES256 JWT
 * for this origin, verified against the key the header names, expiring within
 * 24 h, with a subject) and decrypts the RFC 8291 aes128gcm body with the
 * subscription's private key, then answers 201, or a status the test scripted.
 * The decryption is written from the RFCs on purpose: it checks web-push
 * rather than trusting it.
 */
export class LocalPushService {
  readonly received: ReceivedPush[] = [];
  private readonly subscriptions = new Map<string, Registered>();
  private server: Server | null = null;
  origin = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status }) => {
        res.writeHead(status, { 'content-length': '0' });
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.origin = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A new device: its key pair and auth secret, and an endpoint on this service. */
  subscribe(): TestSubscription {
    const name = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.subscriptions.set(name, { ecdh, auth, script: [] });
    return {
      name,
      endpoint: `${this.origin}/push/${name}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      privateKey: ecdh.getPrivateKey().toString('base64url'),
    };
  }

  /** Answers the next requests for `name` with these statuses. */
  script(name: string, ...statuses: number[]): void {
    this.subscriptions.get(name)!.script.push(...statuses);
  }

  /** Holds every request for `name` until the returned function is called. */
  hold(name: string): () => void {
    let release!: () => void;
    this.subscriptions.get(name)!.hold = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  for(name: string): ReceivedPush[] {
    return this.received.filter((r) => r.name === name);
  }

  async waitFor(name: string, count = 1, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    await waitFor(() => this.for(name).length >= count, timeoutMs, `${count} push request(s) for ${name}`);
    return this.for(name);
  }

  private async handle(req: IncomingMessage): Promise<{ status: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const name = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const sub = name ? this.subscriptions.get(name) : undefined;
    const record = (status: number, extra: Partial<ReceivedPush>) => {
      this.received.push({ name: name ?? '(unknown)', status, ttl: req.headers['ttl'] as string | undefined, ...extra });
      return { status };
    };
    if (req.method !== 'POST' || !name || !sub) return record(404, { error: 'no such subscription' });
    if (sub.hold) await sub.hold;
    let subject: string;
    try {
      subject = await this.verifyVapid(req.headers.authorization);
    } catch (err) {
      return record(401, { error: `VAPID: ${(err as Error).message}` });
    }
    if (req.headers['content-encoding'] !== 'aes128gcm') return record(415, { error: `content-encoding ${String(req.headers['content-encoding'])}` });
    if (req.headers['ttl'] === undefined) return record(400, { error: 'no TTL header' });
    let payload: string;
    try {
      payload = decryptAes128gcm(body, sub.ecdh, sub.auth);
    } catch (err) {
      return record(400, { error: `decrypt: ${(err as Error).message}` });
    }
    const status = sub.script.shift() ?? 201;
    return record(status, { payload, vapidSubject: subject });
  }

  /** `vapid t=<JWT>, k=<public key>`; returns the JWT's subject. */
  private async verifyVapid(header: string | undefined): Promise<string> {
    const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
    if (!match) throw new Error(`bad Authorization header: ${header ?? '(none)'}`);
    const point = Buffer.from(match[2]!, 'base64url');
    if (point.length !== 65 || point[0] !== 0x04) throw new Error('k is not an uncompressed P-256 point');
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, 'ES256');
    const { payload } = await jwtVerify(match[1]!, key, { algorithms: ['ES256'], audience: this.origin, requiredClaims: ['exp', 'sub'] });
    if (payload.exp! > Date.now() / 1000 + 24 * 3600) throw new Error('exp is more than 24 h ahead');
    if (!/^(mailto:|https:)/.test(payload.sub!)) throw new Error(`sub ${payload.sub} is neither mailto: nor https:`);
    return payload.sub!;
  }
}

/**
 * RFC 8291 section 3.4 over RFC 8188: header salt(16) | rs(4) | idlen(1) |
 * keyid (the sender's ephemeral public key), then one record.
 */
export function decryptAes128gcm(body: Buffer, receiver: ECDH, authSecret: Buffer): string {
  if (body.length < 21) throw new Error('body shorter than the header');
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const senderPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`keyid is ${idLength} bytes, expected the 65-byte sender key`);
  if (ciphertext.length > recordSize || ciphertext.length < 17) throw new Error('expected exactly one record');
  const ecdhSecret = receiver.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), receiver.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x02) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}
