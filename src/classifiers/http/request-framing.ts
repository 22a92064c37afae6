/**
 * Checks of an HTTP/1.x request head that decide whether Airlock and the
 * upstream can be sure to agree on where the body ends and which method runs.
 * Input is the raw header list as received (name, value, name, value, ...), so
 * duplicates and exact spellings are visible. Anything ambiguous is refused.
 */

export type FramingCheck =
  | { ok: true; bodyLength: number | 'chunked' | 0; effectiveMethod: string }
  | { ok: false; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const METHOD_OVERRIDE_HEADERS = new Set(['x-http-method-override', 'x-method-override', 'x-http-method']);

function refuse(reason: string): FramingCheck {
  return { ok: false, reason };
}

/** The `_method` values in a raw query string (frameworks such as Rails and Laravel honour it). */
function queryMethodOverrides(query: string): string[] {
  const found: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    let decodedKey: string;
    try {
      decodedKey = decodeURIComponent(key.replaceAll('+', ' '));
    } catch {
      decodedKey = key;
    }
    if (decodedKey.toLowerCase() === '_method') found.push(eq === -1 ? '' : pair.slice(eq + 1));
  }
  return found;
}

/**
 * Checks framing and resolves method overrides (headers and a `_method` query
 * key); `method` must already be a normalised (upper-case) token and `query`
 * the raw query string from the request target.
 */
export function checkRequestFraming(method: string, rawHeaders: readonly string[], query = ''): FramingCheck {
  if (rawHeaders.length % 2 !== 0) return refuse('a malformed header list');
  const contentLengths: string[] = [];
  const transferEncodings: string[] = [];
  let effectiveMethod = method;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    if (!TOKEN.test(name)) return refuse('an invalid header name');
    // obs-fold, CR, LF, NUL and other control bytes (tab is allowed inside a value).
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return refuse(`a control byte in the ${name} header`);
    const lower = name.toLowerCase();
    if (lower === 'content-length') contentLengths.push(value.trim());
    else if (lower === 'transfer-encoding') transferEncodings.push(value.trim());
    else if (lower === 'host') hosts += 1;
    else if (METHOD_OVERRIDE_HEADERS.has(lower)) {
      const override = value.trim();
      if (!/^[A-Z]{1,20}$/.test(override)) return refuse(`an invalid method in ${name}`);
      if (effectiveMethod !== method && effectiveMethod !== override) return refuse('conflicting method-override headers');
      effectiveMethod = override;
    }
  }
  if (hosts > 1) return refuse('more than one Host header');
  for (const raw of queryMethodOverrides(query)) {
    // Frameworks differ on case and on which of several values wins, so only one exact upper-case value is modelled.
    if (!/^[A-Z]{1,20}$/.test(raw)) return refuse('an invalid _method in the query');
    if (effectiveMethod !== method && effectiveMethod !== raw) return refuse('conflicting method overrides');
    effectiveMethod = raw;
  }
  if (contentLengths.length > 0 && transferEncodings.length > 0) return refuse('both Content-Length and Transfer-Encoding');
  if (transferEncodings.length > 0) {
    const codings = transferEncodings.join(',').split(',').map((c) => c.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== 'chunked') return refuse('a Transfer-Encoding other than exactly "chunked"');
    return { ok: true, bodyLength: 'chunked', effectiveMethod };
  }
  if (contentLengths.length > 1) return refuse('more than one Content-Length');
  if (contentLengths.length === 1) {
    const value = contentLengths[0]!;
    if (!/^[0-9]{1,15}$/.test(value)) return refuse('an invalid Content-Length');
    return { ok: true, bodyLength: Number(value), effectiveMethod };
  }
  return { ok: true, bodyLength: 0, effectiveMethod };
}
