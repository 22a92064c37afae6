import { TokenInvalidError } from '../errors.js';

/** Engineer tokens larger than this are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;

// Exactly three base64url segments: no padding, no whitespace, no stray dots.
// jose alone accepts trailing spaces/newlines and a newline inside the signature.
// The signature may be empty so that `alg: none` is reported as such, not as "malformed".
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Throws TokenInvalidError('malformed') unless `token` is a plausible compact JWS. */
export function assertCompactJws(token: unknown, maxBytes = MAX_TOKEN_BYTES): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenInvalidError('malformed', 'no token was presented');
  }
  if (token.length > maxBytes) {
    throw new TokenInvalidError('malformed', `token is larger than ${maxBytes} bytes`);
  }
  if (!COMPACT_JWS.test(token)) {
    throw new TokenInvalidError('malformed', 'token is not a compact JWT (three base64url parts, no spaces or padding)');
  }
}
