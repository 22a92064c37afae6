/**
 * Normalisation of an HTTP/1.1 request target into the path a rule sees.
 *
 * The rule must see the path the upstream will act on, so anything whose
 * meaning differs between servers is refused rather than guessed: an encoded
 * slash, backslash or NUL, encoded dots, a control byte, a malformed percent
 * escape, or an absolute-form target. Unreserved characters that were
 * percent-encoded are decoded, dot segments are removed (RFC 3986 5.2.4),
 * runs of slashes collapse to one, and path parameters (`;jsessionid=...`) are
 * cut from each segment for the classified path.
 */

export type RequestTarget =
  /** `path`: what rules see (no path parameters); `forwardPath`: the same path as forwarded, path parameters kept. */
  | { ok: true; path: string; forwardPath: string; query: string }
  | { ok: false; reason: string };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// Bytes a path may carry literally (RFC 3986 pchar plus '/'), excluding '%'.
const PATH_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

function refuse(reason: string): RequestTarget {
  return { ok: false, reason };
}

/** Decodes percent-escapes of unreserved characters; refuses any other escape that could change routing. */
function decodePath(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i += 1) {
    const ch = raw[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const decoded = String.fromCharCode(Number.parseInt(hex, 16));
    if (decoded === '.') return undefined; // encoded dots hide dot segments from one side or the other
    if (UNRESERVED.test(decoded)) out += decoded;
    else if (decoded === '/' || decoded === '\\' || decoded.charCodeAt(0) < 0x20 || decoded.charCodeAt(0) === 0x7f) return undefined;
    else out += `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** Normalises an origin-form request target (`/path?query`). */
export function normaliseRequestTarget(target: string): RequestTarget {
  if (target.length === 0 || target[0] !== '/') return refuse('only origin-form request targets are accepted');
  const hashAt = target.indexOf('#');
  if (hashAt !== -1) return refuse('a fragment in the request target');
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
  if (!PATH_LITERAL.test(rawPath.replaceAll(/%[0-9A-Fa-f]{2}/g, ''))) return refuse('a byte in the path that must be percent-encoded');
  if (/[^\x21-\x7e]/.test(query)) return refuse('a control or non-ASCII byte in the query');
  const decoded = decodePath(rawPath);
  if (decoded === undefined) return refuse('an encoded slash, backslash, dot or control byte, or a malformed escape in the path');
  // Escapes that are not valid UTF-8 (overlong `%C0%AE` is a dot to some decoders) or text that Unicode
  // normalisation changes (fullwidth `%EF%BC%8F` is a slash after NFKC) read differently on different servers.
  let text: string;
  try {
    text = decodeURIComponent(decoded);
  } catch {
    return refuse('percent-escapes in the path that are not valid UTF-8');
  }
  if (text.normalize('NFKC') !== text) return refuse('a path that Unicode normalisation (NFKC) changes');
  const segments: Array<{ name: string; full: string }> = [];
  for (const full of decoded.split('/')) {
    if (full.length === 0) continue;
    const semi = full.indexOf(';');
    const name = semi === -1 ? full : full.slice(0, semi);
    // `..;x` is a parent step to Tomcat and a plain name elsewhere: ambiguous.
    if (semi !== -1 && (name === '.' || name === '..' || name === '')) return refuse('a path parameter on a dot or empty segment');
    segments.push({ name, full });
  }
  const trailing = decoded.length > 1 && decoded.endsWith('/') ? '/' : '';
  const kept: Array<{ name: string; full: string }> = [];
  for (const segment of segments) {
    if (segment.name === '.') continue;
    if (segment.name === '..') kept.pop();
    else kept.push(segment);
  }
  const path = kept.length === 0 ? '/' : `/${kept.map((s) => s.name).join('/')}${trailing}`;
  const forwardPath = kept.length === 0 ? '/' : `/${kept.map((s) => s.full).join('/')}${trailing}`;
  return { ok: true, path, forwardPath, query };
}

/** The method as the upstream will dispatch it: methods are case-sensitive tokens, so only upper-case is accepted. */
export function normaliseMethod(method: string): string | undefined {
  return /^[A-Z]{1,20}$/.test(method) ? method : undefined;
}
