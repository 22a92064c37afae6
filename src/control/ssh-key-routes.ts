import type { SshKeyRecord, SshKeyRegistry } from '../identity/ssh-keys.js';
import { BadRequestError } from '../errors.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import type { ControlRoutes } from './control-server.js';
import { requirePrincipal } from './request-principal.js';

function view(record: SshKeyRecord): Record<string, unknown> {
  return {
    fingerprint: record.fingerprint,
    type: record.type,
    comment: record.comment,
    public_key: record.publicKey,
    subject: record.principal.subject,
    registered_at: new Date(record.registeredAt).toISOString(),
    expires_at: new Date(record.expiresAt).toISOString(),
  };
}

/**
 * POST /v1/ssh-keys (register the caller's public key until the caller's JWT
 * expires), GET /v1/ssh-keys (the caller's keys), DELETE
 * /v1/ssh-keys/:fingerprint. The verifier refuses revoked callers.
 */
export function sshKeyRoutes(deps: { readonly keys: SshKeyRegistry; readonly verifier: TokenVerifier }): ControlRoutes {
  const { keys, verifier } = deps;
  return (app) => {
    app.post('/v1/ssh-keys', async (request, reply) => {
      const principal = await requirePrincipal(request, verifier);
      const body = request.body as { public_key?: unknown } | null;
      if (body === null || typeof body !== 'object' || typeof body.public_key !== 'string') throw new BadRequestError('expected {"public_key": "<the .pub file>"}');
      return reply.code(201).send(view(await keys.register(principal, body.public_key)));
    });
    app.get('/v1/ssh-keys', async (request) => {
      const principal = await requirePrincipal(request, verifier);
      return { keys: (await keys.list(principal.subject)).map(view) };
    });
    app.delete('/v1/ssh-keys/:fingerprint', async (request) => {
      const principal = await requirePrincipal(request, verifier);
      const { fingerprint } = request.params as { fingerprint?: string };
      if (typeof fingerprint !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}$/.test(fingerprint)) throw new BadRequestError('fingerprint must look like SHA256:<43 base64 characters>');
      await keys.remove(principal.subject, fingerprint);
      return { removed: true, fingerprint };
    });
  };
}
