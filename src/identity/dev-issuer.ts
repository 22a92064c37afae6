import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, type JWK } from 'jose';
import { systemClock, type Clock } from '../time/clock.js';
import type { IdentityConfig } from './jwt-verifier.js';
import { loadOrCreateSigningKey } from './signing-key-file.js';

export const DEV_KEY_FILE = 'dev-signing-key.json';

export interface DevTokenInput {
  readonly sub: string;
  readonly groups: readonly string[];
  readonly email?: string;
  readonly device?: string;
  readonly ttlMs: number;
  readonly amr?: readonly string[];
}

export interface DevIssuer {
  readonly kid: string;
  /** Public key with kid; pass it as `devPublicKey` to createJwtVerifier. */
  readonly publicJwk: JWK;
  mintDevToken(input: DevTokenInput): Promise<string>;
}

export interface DevIssuerOptions {
  readonly dataDir: string;
  readonly identity: IdentityConfig;
  readonly clock?: Clock;
}

/** Loads the dev signing key from `<dataDir>/dev-signing-key.json`, creating it (0600) on first start. */
export function loadDevIssuer(options: DevIssuerOptions): DevIssuer {
  const clock = options.clock ?? systemClock;
  const { kid, privateKey, publicJwk } = loadOrCreateSigningKey(join(options.dataDir, DEV_KEY_FILE), 'dev-', clock.now());
  const { issuer, audience, claims } = options.identity;

  return {
    kid,
    publicJwk,
    async mintDevToken(input: DevTokenInput): Promise<string> {
      if (input.sub === '') throw new TypeError('sub must not be empty');
      if (!Number.isFinite(input.ttlMs) || input.ttlMs <= 0) throw new TypeError('ttlMs must be a positive number');
      const iat = Math.floor(clock.now() / 1000);
      const payload: Record<string, unknown> = { [claims.groups]: [...input.groups], amr: [...(input.amr ?? ['pwd'])] };
      if (input.email !== undefined) payload[claims.email] = input.email;
      if (input.device !== undefined) payload[claims.device] = input.device;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(typeof audience === 'string' ? audience : [...audience])
        .setSubject(input.sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + Math.max(1, Math.ceil(input.ttlMs / 1000)))
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}
