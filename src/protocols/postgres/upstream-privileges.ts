import type { UpstreamLink } from './upstream-connection.js';
import { ServerCode } from './message-codes.js';
import { FRAME_ERROR, FRAME_READY } from './message-framer.js';
import { simpleQuery } from './client-messages.js';
import { readDataRowText } from './server-messages.js';

/** Predefined roles that read, write or run anything on the database host. */
const HOST_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'] as const;

const QUERY = `SELECT r.rolsuper::text, array_to_string(ARRAY(SELECT g FROM unnest(ARRAY['${HOST_ROLES.join("','")}']) AS g WHERE pg_catalog.pg_has_role(current_user, g, 'MEMBER')), ',') FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`;

export interface UpstreamPrivileges {
  readonly superuser: boolean;
  /** Membership in the predefined roles that reach the host's files and programs. */
  readonly hostRoles: readonly string[];
}

/** Key of a target and upstream role in ProxyContext.privilegesChecked. */
export function privilegeKey(target: string, user: string): string {
  return `${target}\0${user}`;
}

/** Whether the role Airlock logs in as can do more than any gate can contain. */
export function isPrivileged(privileges: UpstreamPrivileges): boolean {
  return privileges.superuser || privileges.hostRoles.length > 0;
}

/**
 * Reads what the upstream role may do, on a freshly opened link before the
 * client's session starts (so nothing of the client's is in flight). A
 * superuser or a member of the host roles turns any statement the gate
 * misses into a compromise of the host: Airlock warns about it, once per
 * target and role. Resolves null when the answer cannot be read.
 */
export function readUpstreamPrivileges(link: UpstreamLink, timeoutMs = 5000): Promise<UpstreamPrivileges | null> {
  const { socket, framer } = link;
  return new Promise((resolve) => {
    let superuser = link.parameters.get('is_superuser') === 'on';
    let hostRoles: string[] = [];
    let settled = false;
    const finish = (result: UpstreamPrivileges | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve(result);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const onData = (chunk: Buffer) => {
      framer.push(chunk);
      for (;;) {
        const result = framer.next();
        if (result === FRAME_ERROR) return finish(null);
        if (result !== FRAME_READY) return;
        const { code, buffer, bodyStart, frameEnd } = framer;
        if (code === ServerCode.DataRow) {
          const [rolsuper, roles] = readDataRowText(buffer, bodyStart, frameEnd);
          superuser = superuser || rolsuper === 'true';
          hostRoles = roles ? roles.split(',').filter((r) => r !== '') : [];
        } else if (code === ServerCode.ReadyForQuery) {
          return finish({ superuser, hostRoles });
        }
      }
    };
    socket.on('data', onData);
    socket.resume();
    socket.write(simpleQuery(QUERY));
  });
}
