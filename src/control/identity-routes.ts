import type { IdentityRouteHandler } from '../identity/route-body.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import type { ControlRoutes } from './control-server.js';
import { requirePrincipal } from './request-principal.js';

/** Mounts identity handlers (TOTP enrolment, step-up) as JWT-authenticated JSON routes. */
export function identityRoutes(verifier: TokenVerifier, routes: Readonly<Record<string, { method: 'GET' | 'POST'; handler: IdentityRouteHandler }>>): ControlRoutes {
  return (app) => {
    for (const [path, { method, handler }] of Object.entries(routes)) {
      app.route({
        method,
        url: path,
        handler: async (request) => {
          const principal = await requirePrincipal(request, verifier);
          return handler(principal, request.body ?? {}, { source: request.ip });
        },
      });
    }
  };
}
