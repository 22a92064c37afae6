import { randomBytes } from 'node:crypto';
import { ScureBase32Plugin, generateURI, verify } from 'otplib';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpParameters {
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 8;
  /** Seconds per code. */
  readonly period: number;
  /** Steps accepted on each side of the current one; never more than 1. */
  readonly window: number;
}

const base32 = new ScureBase32Plugin();

/** RFC 4226 asks for at least 160 bits; RFC 6238 pairs each hash with a key of its own output size. */
export function secretBytesFor(algorithm: TotpAlgorithm): number {
  return algorithm === 'SHA512' ? 64 : algorithm === 'SHA256' ? 32 : 20;
}

/** A fresh random secret, base32 without padding (what authenticator apps expect). */
export function generateTotpSecret(algorithm: TotpAlgorithm): string {
  return base32.encode(randomBytes(secretBytesFor(algorithm)));
}

export function totpUri(params: TotpParameters, secret: string, issuer: string, account: string): string {
  return generateURI({
    issuer,
    label: account,
    secret,
    algorithm: params.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: params.digits,
    period: params.period,
  });
}

/** Only exactly `digits` ASCII digits count as a code; anything else is wrong without being checked. */
export function isWellFormedCode(code: unknown, digits: number): code is string {
  return typeof code === 'string' && code.length === digits && /^[0-9]+$/.test(code);
}

export function timeStepAt(nowMs: number, period: number): number {
  return Math.floor(Math.floor(nowMs / 1000) / period);
}

/**
 * Checks `code` against the steps around `nowMs` (at most ±1) and returns
 * the matching time step, or null. Steps at or below `afterStep` are skipped.
 */
export async function matchTotpCode(input: {
  readonly secret: string;
  readonly code: string;
  readonly params: TotpParameters;
  readonly nowMs: number;
  readonly afterStep?: number;
}): Promise<number | null> {
  const { secret, code, params, nowMs, afterStep } = input;
  if (!isWellFormedCode(code, params.digits)) return null;
  const window = Math.max(0, Math.min(1, Math.trunc(params.window)));
  const epoch = Math.floor(nowMs / 1000);
  // otplib throws if afterTimeStep lies past the newest step it would check.
  if (afterStep !== undefined && afterStep >= timeStepAt(nowMs, params.period) + window) return null;
  const result = await verify({
    secret,
    token: code,
    algorithm: params.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: params.digits,
    period: params.period,
    epoch,
    epochTolerance: window * params.period,
    ...(afterStep === undefined ? {} : { afterTimeStep: afterStep }),
  });
  if (!result.valid) return null;
  return 'timeStep' in result ? result.timeStep : timeStepAt(nowMs, params.period) + result.delta;
}
