import type { Principal } from '../model/principal.js';
import type { AuthenticationRequest } from './gate.js';

/** Decides whether an authenticated principal may open a session now (revocations, blocked sources). */
export interface AdmissionCheck {
  /**
   * Before the token is even read: rejects with SourceBlockedError when the
   * source network is blocked, so a bad token sent during a block gets the
   * block's message and is not counted as one more failed login.
   */
  admitSource?(request: Omit<AuthenticationRequest, 'token'>): Promise<void>;
  /** Rejects with RevokedError or SourceBlockedError (or StoreUnavailableError: fail closed). */
  admit(principal: Principal, request: Omit<AuthenticationRequest, 'token'>): Promise<void>;
}
