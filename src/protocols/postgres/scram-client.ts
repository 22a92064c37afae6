import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

// SCRAM-SHA-256 (RFC 5802 / RFC 7677) client side, written by hand with
// node:crypto: no well-kept client-side SCRAM package exists apart from pg's
// internal module (pg/lib/crypto/sasl), which is not a public API.

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) map.set(part[0] as string, part.slice(2));
  }
  return map;
}

/**
 * PostgreSQL applies SASLprep to the password and falls back to the raw
 * bytes when it is not valid. NFKC covers what SASLprep changes in practice
 * (ASCII passwords are unchanged either way).
 */
function normalizePassword(password: string): string {
  return /^[\x20-\x7e]*$/.test(password) ? password : password.normalize('NFKC');
}

export class ScramError extends Error {}

/**
 * One SCRAM exchange. PostgreSQL ignores the SCRAM user name (the startup
 * user counts), so it is empty unless a test vector needs one.
 */
export class ScramClient {
  private readonly clientNonce: string;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly password: string,
    options: { nonce?: string; user?: string } = {},
  ) {
    this.clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    this.clientFirstBare = `n=${options.user ?? ''},r=${this.clientNonce}`;
  }

  /** The client-first-message (no channel binding: gs2 header "n,,"). */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** Answers the server-first-message with the client-final-message. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new ScramError('SCRAM: server nonce does not extend the client nonce');
    }
    if (!salt) throw new ScramError('SCRAM: server sent no salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) throw new ScramError('SCRAM: bad iteration count');
    const salted = await pbkdf2Async(normalizePassword(this.password), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Verifies the server-final-message; throws unless the server proved it knows the password too. */
  verifyServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    const error = attrs.get('e');
    if (error) throw new ScramError(`SCRAM: server rejected the exchange (${error})`);
    const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (!this.serverSignature || signature.length !== this.serverSignature.length || !timingSafeEqual(signature, this.serverSignature)) {
      throw new ScramError('SCRAM: server signature does not match');
    }
  }
}
