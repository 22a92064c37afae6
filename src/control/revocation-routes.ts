import { parseDuration } from '../config/duration.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import { REVOCATION_KINDS, type Revocation, type RevocationKind, type Revocations } from '../risk/revocations.js';
import type { ControlRoutes } from './control-server.js';
import { requireAdmin, requirePrincipal } from './request-principal.js';

export interface RevocationRoutesDeps {
  readonly revocations: Revocations;
  readonly verifier: TokenVerifier;
  /** control.admin_groups */
  readonly adminGroups: readonly string[];
}

// Longer than any sensible incident; a revocation meant to be permanent belongs in the identity provider.
const MAX_TTL_MS = 366 * 86_400_000;

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

function kindOf(value: unknown): RevocationKind {
  if (typeof value !== 'string' || !(REVOCATION_KINDS as readonly string[]).includes(value)) {
    throw new BadRequestError(`kind must be one of ${REVOCATION_KINDS.join(', ')}`);
  }
  return value as RevocationKind;
}

function idOf(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 512) throw new BadRequestError('id must be a string of 1-512 characters');
  return value;
}

function ttlOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : null;
  if (ms === null || ms <= 0) throw new BadRequestError('ttl must be a duration such as 30m, 12h or 7d');
  if (ms > MAX_TTL_MS) throw new BadRequestError('ttl must be at most 366d');
  return ms;
}

function view(r: Revocation): Record<string, unknown> {
  return { kind: r.kind, id: r.id, reason: r.reason, by: r.by, created_at: new Date(r.at).toISOString(), expires_at: new Date(r.expiresAt).toISOString() };
}

/** POST/GET /v1/revocations, DELETE /v1/revocations/:kind/:id (admins only). */
export function revocationRoutes(deps: RevocationRoutesDeps): ControlRoutes {
  const { revocations, verifier, adminGroups } = deps;
  return (app) => {
    app.post('/v1/revocations', async (request, reply) => {
      const admin = await requirePrincipal(request, verifier);
      requireAdmin(admin, adminGroups);
      const body = request.body;
      const kind = kindOf(field(body, 'kind'));
      const id = idOf(field(body, 'id'));
      const reasonValue = field(body, 'reason');
      if (reasonValue !== undefined && (typeof reasonValue !== 'string' || reasonValue.length > 500)) throw new BadRequestError('reason must be a string of at most 500 characters');
      const reason = typeof reasonValue === 'string' && reasonValue.trim() !== '' ? reasonValue.trim() : `revoked by ${admin.subject}`;
      const ttlMs = ttlOf(field(body, 'ttl'));
      const revocation = await revocations.revoke({ kind, id, reason, by: admin.subject, ...(ttlMs !== undefined ? { ttlMs } : {}) });
      return reply.code(201).send(view(revocation));
    });

    app.get('/v1/revocations', async (request) => {
      requireAdmin(await requirePrincipal(request, verifier), adminGroups);
      return { revocations: (await revocations.list()).map(view) };
    });

    app.delete('/v1/revocations/:kind/:id', async (request) => {
      const admin = await requirePrincipal(request, verifier);
      requireAdmin(admin, adminGroups);
      const params = request.params as { kind?: string; id?: string };
      const kind = kindOf(params.kind);
      const id = idOf(params.id);
      if (!(await revocations.lift({ kind, id, by: admin.subject }))) throw new NotFoundError(`no revocation of ${kind} ${id}`);
      return { lifted: true, kind, id };
    });
  };
}
