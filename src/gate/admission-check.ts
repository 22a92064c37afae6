import type { Principal } from '../identity/principal.js';
import type { AuthenticationRequest } from './gate.js';

/** Decides whether an authenticated principal may open a session now (revocations, blocked sources). */
export interface AdmissionCheck {
  /** Rejects with RevokedError or SourceBlockedError (or StoreUnavailableError: fail closed). */
  admit(principal: Principal, request: Omit<AuthenticationRequest, 'token'>): Promise<void>;
}
