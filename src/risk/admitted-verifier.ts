import type { TokenVerifier } from '../identity/token-verifier.js';
import type { RiskAdmission } from './risk-admission.js';

/**
 * The verifier of control API calls: a valid token whose subject, device or
 * token id is revoked is refused (403) like a revoked session, on every
 * replica at once, so a revoked approver's page and CLI stop working too.
 */
export function withRevocationCheck(verifier: TokenVerifier, admission: Pick<RiskAdmission, 'admit'>): TokenVerifier {
  return {
    async verify(token) {
      const principal = await verifier.verify(token);
      await admission.admit(principal);
      return principal;
    },
  };
}
