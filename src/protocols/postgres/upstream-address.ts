import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * Where an upstream listens, read as libpq reads `host`: a value starting
 * with `/` is the directory of a Unix-domain socket named `.s.PGSQL.<port>`
 * (a sidecar's PostgreSQL, or the embedded demo database, which must not be
 * reachable over TCP by anyone who could then bypass Airlock); anything else
 * is a host name or address for TCP.
 */
export function isUnixSocketHost(host: string): boolean {
  return host.startsWith('/');
}

export function connectToUpstream(host: string, port: number): Socket {
  if (isUnixSocketHost(host)) return connect({ path: join(host, `.s.PGSQL.${port}`) });
  return connect({ host, port });
}
