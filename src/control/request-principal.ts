import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import type { Principal } from '../model/principal.js';
import type { TokenVerifier } from '../identity/token-verifier.js';

/** Verifies the bearer JWT of a control API call. */
export async function requirePrincipal(request: FastifyRequest, verifier: TokenVerifier): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) throw new UnauthenticatedError('missing Authorization: Bearer <token>');
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!match) throw new UnauthenticatedError('expected Authorization: Bearer <token>');
  return verifier.verify(match[1] as string);
}

export function requireAdmin(principal: Principal, adminGroups: readonly string[]): void {
  if (!principal.groups.some((g) => adminGroups.includes(g))) {
    throw new ForbiddenError(`this call needs membership of ${adminGroups.join(' or ')}`);
  }
}
