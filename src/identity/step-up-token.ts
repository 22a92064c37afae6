import { randomUUID, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { MfaRequiredError } from '../errors.js';
import { RISK_LEVELS, riskRank, type RiskLevel } from '../model/risk-level.js';
import { systemClock, type Clock } from '../time/clock.js';
import { assertCompactJws } from './compact-jws.js';
import type { Principal } from '../model/principal.js';
import { generateSigningKey, loadOrCreateSigningKey, type SigningKey } from './signing-key-file.js';
import { toTokenInvalidError, tokenRejected } from './token-rejection.js';

export const STEP_UP_KEY_FILE = 'stepup-signing-key.json';
export const STEP_UP_ISSUER = 'airlock';
/** Distinct audience and typ: a step-up token is never accepted as an engineer token, nor the reverse. */
export const STEP_UP_AUDIENCE = 'airlock:stepup';
export const STEP_UP_TYP = 'airlock-stepup+jwt';
const ACR_PREFIX = 'airlock:stepup:';
/** Step-up tokens are minutes long; anything asked for beyond this is cut. */
export const MAX_STEP_UP_TTL_MS = 60 * 60_000;

export type StepUpKey = SigningKey;

/** A fresh in-memory step-up key (a restart invalidates outstanding step-up tokens). */
export function generateStepUpKey(): StepUpKey {
  return generateSigningKey('stepup-');
}

/** The step-up key kept under `<dataDir>/stepup-signing-key.json` (0600), created on first start. */
export function loadStepUpKey(dataDir: string, clock: Clock = systemClock, file?: string): StepUpKey {
  return loadOrCreateSigningKey(file ?? join(dataDir, STEP_UP_KEY_FILE), 'stepup-', clock.now());
}

export interface StepUpClaims {
  readonly subject: string;
  readonly sessionId: string;
  readonly deviceId?: string;
  readonly maxRisk: RiskLevel;
  readonly authMethods: readonly string[];
  readonly tokenId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface SignStepUpInput {
  readonly principal: Principal;
  readonly sessionId: string;
  readonly maxRisk: RiskLevel;
  readonly ttlMs: number;
  readonly clock?: Clock;
}

/** Signs a compact ES256 step-up token (sub, sid, did?, amr ["otp"], acr "airlock:stepup:<risk>", exp in minutes). */
export async function signStepUpToken(key: { readonly kid: string; readonly privateKey: KeyObject }, input: SignStepUpInput): Promise<string> {
  const { principal, sessionId, maxRisk, ttlMs } = input;
  if (!RISK_LEVELS.includes(maxRisk)) throw new TypeError(`unknown risk level ${String(maxRisk)}`);
  if (!(ttlMs > 0)) throw new TypeError('ttlMs must be positive');
  const iat = Math.floor((input.clock ?? systemClock).now() / 1000);
  const exp = Math.min(iat + Math.ceil(Math.min(ttlMs, MAX_STEP_UP_TTL_MS) / 1000), Math.floor(principal.expiresAt / 1000));
  return new SignJWT({
    sid: sessionId,
    ...(principal.deviceId === undefined ? {} : { did: principal.deviceId }),
    amr: ['otp'],
    acr: `${ACR_PREFIX}${maxRisk}`,
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: STEP_UP_TYP })
    .setIssuer(STEP_UP_ISSUER)
    .setAudience(STEP_UP_AUDIENCE)
    .setSubject(principal.subject)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export interface VerifyStepUpOptions {
  readonly clock?: Clock;
  /** When given, the token must belong to this principal (and device), this session, and cover this risk. */
  readonly expect?: { readonly principal: Principal; readonly sessionId?: string; readonly risk?: RiskLevel };
}

function toClaims(payload: JWTPayload): StepUpClaims {
  const { sub, sid, did, acr, amr, jti, iat, exp } = payload as JWTPayload & Record<string, unknown>;
  const maxRisk = typeof acr === 'string' && acr.startsWith(ACR_PREFIX) ? acr.slice(ACR_PREFIX.length) : '';
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
    throw tokenRejected('missing_claim');
  }
  if (!(RISK_LEVELS as readonly string[]).includes(maxRisk) || (did !== undefined && typeof did !== 'string')) throw tokenRejected('malformed');
  if (!Array.isArray(amr) || !amr.includes('otp')) throw tokenRejected('malformed');
  return {
    subject: sub,
    sessionId: sid,
    ...(typeof did === 'string' ? { deviceId: did } : {}),
    maxRisk: maxRisk as RiskLevel,
    authMethods: amr.filter((m): m is string => typeof m === 'string'),
    tokenId: jti,
    issuedAt: iat * 1000,
    expiresAt: exp * 1000,
  };
}

/**
 * Verifies a step-up token. Rejects with TokenInvalidError when the token
 * itself is bad (expired, forged, malformed), and with MfaRequiredError when
 * it is genuine but does not cover what `expect` asks.
 */
export async function verifyStepUpToken(key: { readonly publicKey: KeyObject }, token: string, options: VerifyStepUpOptions = {}): Promise<StepUpClaims> {
  assertCompactJws(token);
  let claims: StepUpClaims;
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['ES256'],
      issuer: STEP_UP_ISSUER,
      audience: STEP_UP_AUDIENCE,
      typ: STEP_UP_TYP,
      requiredClaims: ['sub', 'sid', 'acr', 'exp', 'iat', 'jti'],
      maxTokenAge: Math.ceil(MAX_STEP_UP_TTL_MS / 1000),
      clockTolerance: 5,
      currentDate: new Date((options.clock ?? systemClock).now()),
    });
    claims = toClaims(payload);
  } catch (err) {
    throw toTokenInvalidError(err);
  }
  const expect = options.expect;
  if (expect) {
    const { principal, sessionId, risk } = expect;
    const covered =
      claims.subject === principal.subject &&
      claims.deviceId === principal.deviceId &&
      (sessionId === undefined || claims.sessionId === sessionId) &&
      (risk === undefined || riskRank(risk) <= riskRank(claims.maxRisk));
    if (!covered) throw new MfaRequiredError('the step-up token does not cover this action; step up again');
  }
  return claims;
}
