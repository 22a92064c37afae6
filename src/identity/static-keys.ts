import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, errors, type CryptoKey, type FlattenedJWSInput, type JWK, type JWSHeaderParameters } from 'jose';
import { ConfigInvalidError } from '../errors.js';

export interface PublicKeyConfig {
  readonly kid?: string | undefined;
  readonly pem?: string | undefined;
  readonly pem_file?: string | undefined;
  readonly jwk?: Record<string, unknown> | undefined;
}

export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** Turns a KeyObject or JWK into a public JWK (private parts dropped), keeping or setting its kid. */
export function toPublicJwk(key: KeyObject | JWK, kid?: string): JWK {
  const keyObject = 'type' in key && typeof (key as KeyObject).export === 'function' ? (key as KeyObject) : createPublicKey({ key: key as never, format: 'jwk' });
  const publicKey = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
  if (publicKey.type !== 'public') throw new TypeError('expected an asymmetric public key');
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const keyId = kid ?? (key as JWK).kid;
  return keyId === undefined ? jwk : { ...jwk, kid: keyId };
}

/** Reads `identity.public_keys` once at boot; a bad entry names its config path. */
export function loadStaticKeys(entries: readonly PublicKeyConfig[]): JWK[] {
  return entries.map((entry, index) => {
    const path = `identity.public_keys[${index}]`;
    const given = [entry.pem, entry.pem_file, entry.jwk].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ConfigInvalidError('invalid identity key', [`${path}: give exactly one of pem, pem_file or jwk`]);
    }
    try {
      if (entry.jwk !== undefined) {
        if (typeof entry.jwk.kty !== 'string' || entry.jwk.kty === 'oct') throw new Error('not an asymmetric JWK');
        return toPublicJwk(entry.jwk as JWK, entry.kid);
      }
      const pem = entry.pem ?? readFileSync(entry.pem_file as string, 'utf8');
      return toPublicJwk(createPublicKey(pem), entry.kid);
    } catch (err) {
      if (err instanceof ConfigInvalidError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code?.startsWith('E') && entry.pem_file !== undefined ? `cannot read ${entry.pem_file} (${code})` : 'not a usable public key';
      throw new ConfigInvalidError('invalid identity key', [`${path}: ${why}`]);
    }
  });
}

/**
 * Picks static keys for a token header. A token naming a kid is checked
 * against the key with that kid; keys configured without a kid are the
 * fallback (the operator did not pin one). A token without a kid may match
 * any key of a compatible type; jose then tries each candidate.
 */
export function createStaticKeyResolver(keys: readonly JWK[]): KeyResolver | null {
  if (keys.length === 0) return null;
  const named = createLocalJWKSet({ keys: keys.filter((k) => k.kid !== undefined) });
  const anonymous = createLocalJWKSet({ keys: keys.filter((k) => k.kid === undefined) });
  const all = createLocalJWKSet({ keys: [...keys] });
  return async (header, token) => {
    if (typeof header.kid !== 'string') return all(header, token);
    try {
      return await named(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      const { kid: _kid, ...withoutKid } = header;
      return anonymous(withoutKid, { ...token, header: undefined });
    }
  };
}
