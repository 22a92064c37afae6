import type { IncomingMessage } from 'node:http';
import { checkRequestFraming, isCredentialHeader, normaliseMethod, normaliseRequestTarget } from '../../classifiers/http/index.js';
import { TargetRouter } from './target-router.js';

/** The request line and head of a request, checked and normalised; or why it is refused (400). */
export type RequestHead =
  | {
      readonly ok: true;
      readonly requestMethod: string;
      readonly method: string;
      /** Normalised path (rules) and the same path as forwarded (path parameters kept). */
      readonly path: string;
      readonly forwardPath: string;
      readonly query: string;
      readonly hostName: string | undefined;
      readonly bodyLength: number | 'chunked' | 0;
      /** Lower-case header values for classification, credentials removed. */
      readonly headers: ReadonlyMap<string, string>;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a request head the way Airlock and the upstream must both read it.
 * Absolute-form targets are accepted only when they name the Host the
 * request carries (a proxy-style request for another host is refused).
 */
export function readRequestHead(req: IncomingMessage): RequestHead {
  const requestMethod = normaliseMethod(req.method ?? '');
  if (requestMethod === undefined) return { ok: false, reason: `an invalid method "${(req.method ?? '').slice(0, 20)}"` };
  if (requestMethod === 'CONNECT' || requestMethod === 'TRACE') return { ok: false, reason: `${requestMethod} is not proxied` };
  const hostValue = req.headers.host;
  if (hostValue === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return { ok: false, reason: 'no Host header' };
  const hostName = hostValue === undefined ? undefined : TargetRouter.hostName(hostValue);
  if (hostValue !== undefined && hostName === undefined) return { ok: false, reason: 'a malformed Host header' };
  let target = req.url ?? '';
  if (!target.startsWith('/')) {
    const absolute = /^https?:\/\/([^/?#@]*)(.*)$/i.exec(target);
    if (!absolute) return { ok: false, reason: 'only origin-form and absolute-form request targets are accepted' };
    const named = TargetRouter.hostName(absolute[1]!);
    if (named === undefined || named !== hostName) return { ok: false, reason: 'an absolute-form request target naming another host than Host' };
    target = absolute[2] === '' ? '/' : absolute[2]!;
  }
  const normalised = normaliseRequestTarget(target);
  if (!normalised.ok) return { ok: false, reason: normalised.reason };
  const framing = checkRequestFraming(requestMethod, req.rawHeaders, normalised.query);
  if (!framing.ok) return { ok: false, reason: framing.reason };
  const headers = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (isCredentialHeader(name)) continue;
    const seen = headers.get(name);
    headers.set(name, seen === undefined ? raw[i + 1]! : `${seen}, ${raw[i + 1]!}`);
  }
  return {
    ok: true,
    requestMethod,
    method: framing.effectiveMethod,
    path: normalised.path,
    forwardPath: normalised.forwardPath,
    query: normalised.query,
    hostName,
    bodyLength: framing.bodyLength,
    headers,
  };
}
