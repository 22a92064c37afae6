import type { IncomingMessage } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop and framing headers (RFC 9110 7.6.1): they describe one connection, never forwarded. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect', 'http2-settings']);
/**
 * The engineer's credentials for Airlock, and headers some servers take as
 * the real path (IIS, older Symfony and Zend: X-Original-URL, X-Rewrite-URL),
 * which would make the upstream act on another path than the one classified:
 * never sent upstream.
 */
const NEVER_UPSTREAM = new Set(['authorization', 'proxy-authorization', 'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-override-url']);

/** Names listed in a Connection header: also hop-by-hop for this message. */
function connectionOptions(req: IncomingMessage): Set<string> {
  const value = req.headers.connection;
  if (!value) return new Set();
  return new Set(value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
}

/**
 * The headers sent upstream: the client's, minus hop-by-hop headers, its
 * Airlock credentials and Airlock's own headers, plus X-Forwarded-*, the
 * upstream's Host and the upstream credentials (which replace any header of
 * the same name the client sent).
 */
export function forwardedHeaders(req: IncomingMessage, options: { readonly hostHeader: string; readonly credentials: Readonly<Record<string, string>>; readonly secure: boolean; readonly keepUpgrade?: boolean }): OutgoingHttpHeaders {
  const listed = connectionOptions(req);
  const headers: OutgoingHttpHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (NOT_FORWARDED.has(name) || NEVER_UPSTREAM.has(name) || name.startsWith('airlock-') || listed.has(name) || Object.hasOwn(options.credentials, name)) continue;
    if (name.startsWith('x-forwarded-') || name === 'forwarded') continue;
    const value = raw[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [String(seen), value];
  }
  // What Airlock saw of the client, not what the client claims (its own X-Forwarded-* are dropped above).
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = options.secure ? 'https' : 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers.host = options.hostHeader;
  for (const [name, value] of Object.entries(options.credentials)) headers[name] = value;
  return headers;
}

/** Response headers sent back to the client: the upstream's, minus hop-by-hop ones (duplicates such as Set-Cookie kept). */
export function returnedHeaders(res: IncomingMessage): string[] {
  const listed = connectionOptions(res);
  const out: string[] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'connection' || name === 'keep-alive' || name === 'proxy-connection' || name === 'transfer-encoding' || name === 'upgrade' || name === 'trailer' || listed.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
