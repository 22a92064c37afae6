import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { readOrCreateSecretFile } from './key-file.js';

/** An ES256 (P-256) key pair with a stable key id. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public key as a JWK carrying kid, alg and use. */
  readonly publicJwk: JWK;
}

interface SigningKeyFile {
  readonly version: 1;
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly createdAt: string;
}

/** RFC 7638 thumbprint of an EC public key, shortened; stable across restarts. */
function thumbprint(jwk: JWK): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

function toSigningKey(kid: string, privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const publicJwk = Object.freeze({ ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES256', use: 'sig' });
  return Object.freeze({ kid, privateKey, publicKey, publicJwk });
}

/** A fresh in-memory key (nothing persisted). */
export function generateSigningKey(kidPrefix: string): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return toSigningKey(`${kidPrefix}${thumbprint(privateKey.export({ format: 'jwk' }) as JWK)}`, privateKey);
}

/** Loads the key kept at `path`, creating it (0600) on first use. */
export function loadOrCreateSigningKey(path: string, kidPrefix: string, now: number): SigningKey {
  const text = readOrCreateSecretFile(path, () => {
    const key = generateSigningKey(kidPrefix);
    const file: SigningKeyFile = { version: 1, kid: key.kid, privateJwk: key.privateKey.export({ format: 'jwk' }) as JWK, createdAt: new Date(now).toISOString() };
    return `${JSON.stringify(file, null, 2)}\n`;
  });
  try {
    const file = JSON.parse(text) as SigningKeyFile;
    const privateKey = createPrivateKey({ key: file.privateJwk as never, format: 'jwk' });
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1' || typeof file.kid !== 'string') {
      throw new Error('not a P-256 key');
    }
    return toSigningKey(file.kid, privateKey);
  } catch {
    throw new Error(`${path} is not a valid signing key file; delete it to generate a new one`);
  }
}
