import type { PushSubscriptions } from '../approvals/push-subscriptions.js';
import { NotFoundError } from '../errors.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import type { ControlRoutes } from './control-server.js';
import { requirePrincipal } from './request-principal.js';
import { PUSH_SERVICE_WORKER } from './web/push-service-worker.js';

export interface PushRoutesDeps {
  readonly verifier: TokenVerifier;
  /** The push channel's subscriptions and public key, or null while push is disabled (it may change on reload). */
  readonly push: () => { readonly subscriptions: PushSubscriptions; readonly publicKey: string } | null;
}

/** A PushSubscription's JSON is a few hundred bytes; anything bigger is not one. */
const MAX_SUBSCRIPTION_BYTES = 4096;

/**
 * Web Push sign-up: the VAPID public key, a signed-in person's subscriptions
 * (bearer token, as every API call), and the service worker script.
 */
export function pushRoutes(deps: PushRoutesDeps): ControlRoutes {
  const enabled = () => {
    const push = deps.push();
    if (!push) throw new NotFoundError('push notifications are not enabled (approvals.channels.push)');
    return push;
  };
  return (app) => {
    // Always 200, so a page can ask without a console error where push is off.
    app.get('/v1/push/key', async () => {
      const push = deps.push();
      return push ? { enabled: true, public_key: push.publicKey } : { enabled: false };
    });

    app.post('/v1/push/subscriptions', { bodyLimit: MAX_SUBSCRIPTION_BYTES }, async (request, reply) => {
      const principal = await requirePrincipal(request, deps.verifier);
      const id = await enabled().subscriptions.save(principal, request.body);
      return reply.code(201).send({ id });
    });

    app.delete('/v1/push/subscriptions', { bodyLimit: MAX_SUBSCRIPTION_BYTES }, async (request, reply) => {
      const principal = await requirePrincipal(request, deps.verifier);
      const push = enabled();
      await push.subscriptions.remove(principal.subject, push.subscriptions.parseEndpoint(request.body));
      return reply.code(204).send();
    });

    app.get('/push-sw.js', async (_request, reply) =>
      reply
        .headers({
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          'content-security-policy': "default-src 'none'",
          'x-content-type-options': 'nosniff',
          'cross-origin-resource-policy': 'same-origin',
        })
        .send(PUSH_SERVICE_WORKER),
    );
  };
}
