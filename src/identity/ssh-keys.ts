import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal } from '../model/principal.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';

const { utils } = ssh2;

/** An OpenSSH public key line is a few hundred bytes (RSA 4096: under 800); anything much longer is not one. */
const MAX_PUBLIC_KEY_LENGTH = 16 * 1024;
/** How many keys one subject may have registered at a time. */
const MAX_KEYS_PER_SUBJECT = 20;
const KEY_TYPES = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);

/** A public key registered by an engineer, and the principal it logs in as until the JWT it was registered with expires. */
export interface SshKeyRecord {
  readonly fingerprint: string;
  readonly type: string;
  readonly comment: string;
  /** The OpenSSH public key line (`type base64 comment`). */
  readonly publicKey: string;
  readonly principal: Principal;
  readonly registeredAt: number;
  readonly expiresAt: number;
}

const keys = {
  byFingerprint: (fingerprint: string) => `sshkey:${fingerprint}`,
  ofSubject: (subject: string) => `sshkeys:${subject}`,
};

/** OpenSSH's fingerprint form: SHA256 of the public key blob, base64 without padding. */
export function sshFingerprint(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The one public key in an OpenSSH `.pub` line, or why it is refused. */
function parsePublicKey(text: string): { blob: Buffer; type: string; comment: string } {
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_PUBLIC_KEY_LENGTH) throw new BadRequestError('public_key must be one OpenSSH public key line (the .pub file)');
  if (/PRIVATE KEY/.test(text)) throw new BadRequestError('that is a private key: send the .pub file, and keep the private key to yourself');
  const parsed = utils.parseKey(text.trim());
  if (parsed instanceof Error || Array.isArray(parsed)) throw new BadRequestError(`public_key is not an OpenSSH public key${parsed instanceof Error ? ` (${parsed.message})` : ''}`);
  if (parsed.isPrivateKey()) throw new BadRequestError('that is a private key: send the .pub file');
  if (!KEY_TYPES.has(parsed.type)) throw new BadRequestError(`key type ${parsed.type} is not accepted (ed25519, ecdsa or rsa)`);
  return { blob: parsed.getPublicSSH(), type: parsed.type, comment: (parsed.comment ?? '').slice(0, 200) };
}

/**
 * SSH public keys engineers register with their JWT, kept in the store (so
 * every replica sees them) until that JWT expires, never longer. The SSH
 * front end finds a key here by its blob; the Gate re-checks the stored
 * principal (expiry, revocation) at every login.
 */
export class SshKeyRegistry {
  constructor(private readonly deps: { readonly store: Store; readonly clock: Clock }) {}

  async register(principal: Principal, publicKeyText: string): Promise<SshKeyRecord> {
    const { store, clock } = this.deps;
    const { blob, type, comment } = parsePublicKey(publicKeyText);
    const now = clock.now();
    const ttlMs = principal.expiresAt - now;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new BadRequestError('your token has expired: sign in again, then register the key');
    const fingerprint = sshFingerprint(blob);
    const existing = await this.get(fingerprint);
    if (existing && existing.principal.subject !== principal.subject) throw new ForbiddenError(`key ${fingerprint} is registered by someone else`);
    const current = await this.list(principal.subject);
    if (!existing && current.length >= MAX_KEYS_PER_SUBJECT) throw new BadRequestError(`at most ${MAX_KEYS_PER_SUBJECT} keys may be registered at a time; remove one first`);
    const record: SshKeyRecord = { fingerprint, type, comment, publicKey: `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`, principal, registeredAt: now, expiresAt: principal.expiresAt };
    await store.setValue(keys.byFingerprint(fingerprint), JSON.stringify(record), { ttlMs });
    await store.addToSet(keys.ofSubject(principal.subject), fingerprint);
    return record;
  }

  /** The registration of the key with this public blob, if it has not expired. */
  async find(publicBlob: Buffer): Promise<SshKeyRecord | null> {
    return this.get(sshFingerprint(publicBlob));
  }

  /** The subject's keys still registered, newest first. */
  async list(subject: string): Promise<SshKeyRecord[]> {
    const { store } = this.deps;
    const out: SshKeyRecord[] = [];
    for (const fingerprint of await store.setMembers(keys.ofSubject(subject))) {
      const record = await this.get(fingerprint);
      if (record && record.principal.subject === subject) out.push(record);
      // Expired (or taken over after expiry): the index entry goes too.
      else await store.removeFromSet(keys.ofSubject(subject), fingerprint);
    }
    return out.sort((a, b) => b.registeredAt - a.registeredAt);
  }

  async remove(subject: string, fingerprint: string): Promise<void> {
    const record = await this.get(fingerprint);
    if (!record || record.principal.subject !== subject) throw new NotFoundError(`no key ${fingerprint} registered by you`);
    await this.deps.store.deleteValue(keys.byFingerprint(fingerprint));
    await this.deps.store.removeFromSet(keys.ofSubject(subject), fingerprint);
  }

  private async get(fingerprint: string): Promise<SshKeyRecord | null> {
    const text = await this.deps.store.getValue(keys.byFingerprint(fingerprint));
    if (text === null) return null;
    let record: SshKeyRecord;
    try {
      record = JSON.parse(text) as SshKeyRecord;
    } catch {
      return null;
    }
    // The store's TTL removes it; this holds even if a store kept it a moment longer.
    return record.expiresAt > this.deps.clock.now() ? record : null;
  }
}
