import { errors } from 'jose';
import { TokenInvalidError, type TokenRejection } from '../errors.js';

// Fixed texts: a rejection never echoes the token or its claim values.
const MESSAGES: Readonly<Record<TokenRejection, string>> = {
  malformed: 'token is malformed',
  expired: 'token has expired',
  not_yet_valid: 'token is not valid yet (check the clock of the issuing machine)',
  too_old: 'token was issued too long ago; get a fresh one',
  bad_signature: 'token signature is invalid',
  unknown_key: 'token is signed with a key this proxy does not know',
  algorithm_not_allowed: 'token signing algorithm is not allowed',
  wrong_issuer: 'token was issued by an issuer this proxy does not trust',
  wrong_audience: 'token is not meant for this proxy (audience)',
  missing_claim: 'token lacks a required claim',
  keys_unavailable: 'signing keys of the issuer could not be fetched; try again shortly',
};

export function tokenRejected(reason: TokenRejection, detail?: string): TokenInvalidError {
  return new TokenInvalidError(reason, detail === undefined ? MESSAGES[reason] : `${MESSAGES[reason]}: ${detail}`);
}

function claimRejection(claim: string, reason: string): TokenInvalidError {
  if (reason === 'missing') return tokenRejected('missing_claim', `"${claim}"`);
  if (reason === 'invalid') return tokenRejected('malformed', `"${claim}" has the wrong type`);
  switch (claim) {
    case 'iss':
      return tokenRejected('wrong_issuer');
    case 'aud':
      return tokenRejected('wrong_audience');
    case 'nbf':
      return tokenRejected('not_yet_valid');
    case 'iat':
      // jose raises a claim failure (not JWTExpired) for an iat in the future.
      return tokenRejected('not_yet_valid', 'issued in the future');
    default:
      return tokenRejected('malformed', `"${claim}" check failed`);
  }
}

/**
 * Maps anything thrown while verifying a JWT to a TokenInvalidError.
 * `duringKeyLookup` marks errors from fetching a remote key set, which are
 * the issuer's fault (keys_unavailable), not the token's.
 */
export function toTokenInvalidError(err: unknown, duringKeyLookup = false): TokenInvalidError {
  if (err instanceof TokenInvalidError) return err;
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'iat' ? tokenRejected('too_old') : tokenRejected('expired');
  }
  if (err instanceof errors.JWTClaimValidationFailed) return claimRejection(err.claim, err.reason);
  if (err instanceof errors.JOSEAlgNotAllowed) return tokenRejected('algorithm_not_allowed');
  if (err instanceof errors.JWSSignatureVerificationFailed) return tokenRejected('bad_signature');
  if (err instanceof errors.JWKSNoMatchingKey) return tokenRejected('unknown_key');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return tokenRejected('keys_unavailable');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return tokenRejected('malformed');
  if (err instanceof errors.JOSENotSupported) return tokenRejected('algorithm_not_allowed');
  if (duringKeyLookup) return tokenRejected('keys_unavailable');
  // A key of the wrong type for the header's alg, or anything unforeseen: fail closed.
  return tokenRejected('malformed');
}
