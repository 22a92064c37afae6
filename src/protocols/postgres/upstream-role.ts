import type { PostgresTargetConfig } from '../../config/schema.js';
import { ForbiddenError } from '../../errors.js';
import type { Principal } from '../../model/principal.js';

/** The login Airlock uses upstream for one session. */
export interface UpstreamLogin {
  readonly user: string;
  readonly password: string | undefined;
}

/**
 * Which upstream role a session logs in as. Without `roles` everyone shares
 * `upstream.user`. With them, PostgreSQL's own privileges narrow what each
 * group may do: the user name the client asks for picks a role its groups
 * allow; a name that is no role picks the first one allowed; a role the
 * groups do not allow, or none at all, is refused. Airlock logs in as that
 * role itself (no SET ROLE a client could undo).
 */
export function chooseUpstreamLogin(target: PostgresTargetConfig, requested: string | undefined, principal: Principal): UpstreamLogin {
  if (target.roles.length === 0) return { user: target.upstream.user, password: target.upstream.password };
  const allowed = (groups: readonly string[]) => groups.some((g) => principal.groups.includes(g));
  const named = requested === undefined ? undefined : target.roles.find((role) => role.name === requested);
  if (named) {
    if (!allowed(named.groups)) throw new ForbiddenError(`role "${named.name}" of target "${target.name}" is not allowed for your groups`);
    return { user: named.user, password: named.password };
  }
  const first = target.roles.find((role) => allowed(role.groups));
  if (!first) throw new ForbiddenError(`none of the roles of target "${target.name}" is allowed for your groups`);
  return { user: first.user, password: first.password };
}

/** PostgreSQL keeps 63 bytes of application_name. */
const MAX_APPLICATION_NAME_BYTES = 63;

/**
 * application_name as the upstream sees it: the engineer's subject always
 * fits (pg_stat_activity and the server log name the person, not just the
 * shared role), after whatever the client called itself.
 */
export function attributedApplicationName(clientName: string | undefined, subject: string): string {
  const suffix = `[airlock:${subject}]`;
  const room = MAX_APPLICATION_NAME_BYTES - Buffer.byteLength(suffix) - 1;
  if (!clientName || room <= 0) return truncateBytes(suffix, MAX_APPLICATION_NAME_BYTES);
  return `${truncateBytes(clientName, room)} ${suffix}`;
}

function truncateBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > bytes) break;
    out += ch;
  }
  return out;
}
