import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce: 128 random bits, base64 (the CSP grammar allows + / =). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Headers of every web page. The only script and style are the page's own
 * inline ones (nonce); the page may only talk to this origin; it cannot be
 * framed, cached, or leak the approval URL as a referrer. Trusted Types with
 * only the push worker's policy (which makes script URLs, never HTML) makes
 * any string-to-HTML sink (innerHTML, ...) throw, so the attacker-controlled
 * command can only ever be rendered as text. The one worker is this origin's
 * /push-sw.js.
 */
export function pageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self'",
      "worker-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "require-trusted-types-for 'script'",
      "trusted-types airlock-push-worker",
    ].join('; '),
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}
