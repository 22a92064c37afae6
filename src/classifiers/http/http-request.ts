/**
 * One HTTP request as the upstream will act on it, after normalisation:
 * what the HTTP classifier reads. The proxy builds it from the wire;
 * `airlock explain` builds it from a "METHOD URL" line or a JSON object.
 */
export interface HttpRequestView {
  /** Effective method (method overrides applied), upper-case. */
  readonly method: string;
  /** The method on the request line, when an override changed it. */
  readonly requestMethod?: string;
  /** Normalised path the upstream acts on (dot segments removed, unreserved escapes decoded). */
  readonly path: string;
  /** Raw query string (without '?'). */
  readonly query: string;
  /** Header values by lower-case name (several values joined with ", "); credentials already removed. */
  readonly headers: ReadonlyMap<string, string>;
  /** The body as received, when it was inspected (at most the configured cap). */
  readonly body?: Buffer;
  /** `none`: no body; `inspected`: body is here; `over_cap`: larger than the cap, not inspected. */
  readonly bodyState: 'none' | 'inspected' | 'over_cap';
}

/** Headers whose values are credentials or session state: never classified, shown or logged. */
export function isCredentialHeader(name: string): boolean {
  return (
    name === 'authorization' ||
    name === 'proxy-authorization' ||
    name === 'cookie' ||
    name.startsWith('airlock-') ||
    /(^|-)(token|secret|password|passwd|api-?key|auth|session|signature|credential)s?($|-)/.test(name)
  );
}

/** Hop-by-hop headers (RFC 9110 7.6.1) and framing: they describe this connection, not the request. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'host',
]);

/** Header names whose values the command text carries: they change what the upstream does with the body. */
const MEANINGFUL_HEADERS = ['content-type', 'content-encoding'];

const MAX_BODY_TEXT_CHARS = 65_536;

/**
 * The command text an approver sees and an approval is bound to (its hash):
 * the request line, the headers that change the body's meaning, and the body
 * (as text when it is UTF-8, with secret fields redacted, else its length and
 * SHA-256), so a different
 * method, URL, content type or body is a different action.
 */
export function requestCommandText(view: HttpRequestView, bodySha256: string | undefined, shownBody?: { readonly text: string; readonly note: string }): string {
  let text = `${view.method} ${view.path}${view.query === '' ? '' : `?${view.query}`}`;
  if (view.requestMethod !== undefined && view.requestMethod !== view.method) text += `\n(request line method: ${view.requestMethod})`;
  for (const name of MEANINGFUL_HEADERS) {
    const value = view.headers.get(name);
    if (value !== undefined) text += `\n${name}: ${value}`;
  }
  if (view.bodyState === 'over_cap') return `${text}\n\n<body larger than the inspection cap, not inspected>`;
  if (!view.body || view.body.length === 0) return text;
  // A body shown otherwise than received (secret fields redacted, decompressed): the SHA-256 still binds an approval to the exact bytes.
  if (shownBody !== undefined) return `${text}\n\n${shownBody.text}\n<body ${shownBody.note}: ${view.body.length} bytes as received, sha256 ${bodySha256 ?? 'unknown'}>`;
  const body = view.body;
  const utf8 = body.toString('utf8');
  const printable = !utf8.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f]/.test(utf8);
  if (printable && utf8.length <= MAX_BODY_TEXT_CHARS) return `${text}\n\n${utf8}`;
  return `${text}\n\n<body: ${body.length} bytes, sha256 ${bodySha256 ?? 'unknown'}>`;
}
