import type { Principal } from '../model/principal.js';

/** Verifies an engineer's JWT; rejects with TokenInvalidError (reason safe to show). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}
