import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem } from './problem-response.js';

/** The bearer token of `Authorization: Bearer <token>`, if exactly one is given. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(value.trim());
  return match ? match[1] : undefined;
}

/** A browser navigating (it asks for HTML first), rather than a program. */
export function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && /^\s*text\/html/i.test(accept);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * 401 with a Bearer challenge; a browser gets a short page that says how to
 * get a token rather than a bare status.
 */
export function sendUnauthenticated(res: ServerResponse, html: boolean, publicUrl: string, detail: string, error?: 'invalid_token'): void {
  const challenge = `Bearer realm="airlock"${error ? `, error="${error}"` : ''}`;
  if (!html) {
    sendProblem(res, { type: 'unauthenticated', title: 'Unauthorized', status: 401, detail, code: error ? 'AIRLOCK_TOKEN_INVALID' : 'AIRLOCK_UNAUTHENTICATED' }, { 'www-authenticate': challenge });
    return;
  }
  if (res.headersSent) return void res.destroy();
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sign in to Airlock</title></head><body><main><h1>Sign in to Airlock</h1><p>${escapeHtml(detail)}.</p><p>This service is reached through Airlock. Get a token with <code>airlock token</code> and send it as <code>Authorization: Bearer &lt;token&gt;</code>, or open the approvals page at <a href="${escapeHtml(publicUrl)}/approvals">${escapeHtml(publicUrl)}/approvals</a>.</p></main></body></html>`;
  res.writeHead(401, {
    'www-authenticate': challenge,
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
  });
  res.end(page);
}
