import type { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWK, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import type { AirlockConfig } from '../config/schema.js';
import { ConfigInvalidError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { claimsToPrincipal } from './claims-to-principal.js';
import { assertCompactJws, MAX_TOKEN_BYTES } from './compact-jws.js';
import type { Principal } from '../model/principal.js';
import { createStaticKeyResolver, loadStaticKeys, toPublicJwk, type KeyResolver } from './static-keys.js';
import type { TokenVerifier } from './token-verifier.js';
import { toTokenInvalidError, tokenRejected } from './token-rejection.js';

export type IdentityConfig = AirlockConfig['identity'];

export interface JwtVerifierDeps {
  readonly clock?: Clock;
  /** Public key of the local dev issuer; required when `identity.dev_issuer.enabled`. */
  readonly devPublicKey?: JWK | KeyObject;
  /** Remote JWKS tuning (milliseconds). */
  readonly jwks?: { readonly cooldownMs?: number; readonly timeoutMs?: number; readonly cacheMaxAgeMs?: number };
}

/** Claims every engineer token must carry, whatever the configuration says. */
const ALWAYS_REQUIRED = ['sub', 'exp'] as const;

function remoteResolver(url: string, deps: JwtVerifierDeps): KeyResolver {
  const jwks = createRemoteJWKSet(new URL(url), {
    cooldownDuration: deps.jwks?.cooldownMs ?? 30_000,
    timeoutDuration: deps.jwks?.timeoutMs ?? 5_000,
    cacheMaxAge: deps.jwks?.cacheMaxAgeMs ?? 600_000,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      // No matching key (after jose's own refetch) and several candidates are the token's business; the rest is the issuer's.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      throw tokenRejected('keys_unavailable');
    }
  };
}

/** Local keys first (static and dev issuer, looked up by kid), then the issuer's JWKS. */
function chainResolvers(local: KeyResolver | null, remote: KeyResolver | null): KeyResolver {
  return async (header, token) => {
    if (local) {
      try {
        return await local(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey) || !remote) throw err;
      }
    }
    if (remote) return remote(header, token);
    throw new errors.JWKSNoMatchingKey();
  };
}

async function verifyWithCandidates(token: string, resolver: KeyResolver, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, resolver, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    // Several keys fit the header (no kid): the one whose signature checks out wins.
    let lastError: unknown = new errors.JWKSNoMatchingKey();
    for await (const key of err as unknown as AsyncIterable<CryptoKey>) {
      try {
        return await jwtVerify(token, key, options);
      } catch (candidateError) {
        if (!(candidateError instanceof errors.JWSSignatureVerificationFailed)) throw candidateError;
        lastError = candidateError;
      }
    }
    throw lastError;
  }
}

/** Builds the verifier for engineer JWTs from `identity` config. Validates keys once, here. */
export function createJwtVerifier(config: IdentityConfig, deps: JwtVerifierDeps = {}): TokenVerifier {
  const clock = deps.clock ?? systemClock;
  const staticKeys = loadStaticKeys(config.public_keys);
  if (config.dev_issuer.enabled) {
    if (deps.devPublicKey === undefined) throw new TypeError('identity.dev_issuer.enabled requires deps.devPublicKey');
    staticKeys.push(toPublicJwk(deps.devPublicKey));
  }
  const local = createStaticKeyResolver(staticKeys);
  const remote = config.jwks_url === undefined ? null : remoteResolver(config.jwks_url, deps);
  if (!local && !remote) {
    throw new ConfigInvalidError('invalid identity configuration', ['identity: set jwks_url, public_keys or dev_issuer.enabled; otherwise no token could ever be verified']);
  }
  const resolver = chainResolvers(local, remote);
  const algorithms = [...config.algorithms];
  const allowed = new Set<string>(algorithms);
  const requiredClaims = [...new Set([...config.required_claims, ...ALWAYS_REQUIRED])];
  const baseOptions = Object.freeze({
    algorithms,
    issuer: config.issuer,
    audience: typeof config.audience === 'string' ? config.audience : [...config.audience],
    clockTolerance: Math.floor(config.clock_tolerance / 1000),
    maxTokenAge: Math.floor(config.max_token_age / 1000),
    requiredClaims,
  });
  const claimNames = { ...config.claims };

  return {
    async verify(token: string): Promise<Principal> {
      assertCompactJws(token, MAX_TOKEN_BYTES);
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw tokenRejected('malformed');
      }
      // Checked before any key lookup, so `alg: none` or HS256 never reaches a key or the network.
      if (typeof header.alg !== 'string' || !allowed.has(header.alg)) throw tokenRejected('algorithm_not_allowed');
      if (header.kid !== undefined && typeof header.kid !== 'string') throw tokenRejected('malformed');
      let result: JWTVerifyResult;
      try {
        result = await verifyWithCandidates(token, resolver, { ...baseOptions, currentDate: new Date(clock.now()) });
      } catch (err) {
        throw toTokenInvalidError(err);
      }
      return claimsToPrincipal(result.payload, claimNames);
    },
  };
}
