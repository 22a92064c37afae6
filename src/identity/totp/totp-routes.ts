import { ForbiddenError } from '../../errors.js';
import { isInGroup } from '../../model/principal.js';
import { requireStringField, type IdentityRouteHandler } from '../route-body.js';
import type { TotpService } from './totp-service.js';

export interface TotpRoutes {
  /** POST /v1/totp/enroll → { otpauth_uri, secret, qr, expires_at } */
  readonly enroll: IdentityRouteHandler;
  /** POST /v1/totp/activate { code } → { activated: true } */
  readonly activate: IdentityRouteHandler;
  /** GET /v1/totp → { enrolled } (the caller's own factor only) */
  readonly status: IdentityRouteHandler;
  /** POST /v1/totp/reset { subject } → { subject, was_active } (admin groups only) */
  readonly reset: IdentityRouteHandler;
}

/** Control API handlers for TOTP; each acts on the caller's own subject, except `reset` (admins). */
export function createTotpRoutes(service: TotpService, options: { readonly adminGroups: readonly string[] }): TotpRoutes {
  const adminGroups = [...options.adminGroups];
  return Object.freeze({
    async enroll(principal) {
      const start = await service.beginEnrollment(principal);
      return { otpauth_uri: start.uri, secret: start.secret, qr: start.qr, expires_at: new Date(start.expiresAt).toISOString() };
    },
    async activate(principal, body, context) {
      await service.activate(principal, requireStringField(body, 'code', 16), context?.source ?? '');
      return { activated: true };
    },
    async status(principal) {
      return { enrolled: await service.isEnrolled(principal.subject) };
    },
    async reset(principal, body) {
      if (!adminGroups.some((group) => isInGroup(principal, group))) {
        throw new ForbiddenError('only members of the admin groups can reset a second factor');
      }
      const subject = requireStringField(body, 'subject');
      return { subject, was_active: await service.reset(subject, principal.subject) };
    },
  } satisfies TotpRoutes);
}
