import { PAGE_STYLE } from './page-style.js';

export interface PageParts {
  /** Static document title (no user data). */
  readonly title: string;
  /** Static markup of <main>; every value from the API is filled in by the script, as text. */
  readonly body: string;
  /** The page's script; it runs strict, in its own function scope. */
  readonly script: string;
  /** Same-origin scripts and style sheets (static paths) the page loads first, under the same nonce. */
  readonly assets?: { readonly scripts?: readonly string[]; readonly styles?: readonly string[] };
}

/** Renders a page for one response's CSP nonce. */
export type PageRenderer = (nonce: string) => string;

const NONCE = '\u0000nonce\u0000';

/**
 * Builds the document once, at registration; a response only splices in its
 * nonce. The parts are static strings written here, never request data.
 */
export function compilePage(parts: PageParts): PageRenderer {
  for (const [name, text] of Object.entries({ body: parts.body, script: parts.script })) {
    if (/<\/script/i.test(text) || text.includes(NONCE)) throw new TypeError(`compilePage: ${name} must not contain "</script" or the nonce marker`);
  }
  const scripts = parts.assets?.scripts ?? [];
  const styles = parts.assets?.styles ?? [];
  for (const path of [...scripts, ...styles]) {
    if (!/^\/[A-Za-z0-9._/-]+$/.test(path)) throw new TypeError(`compilePage: asset ${path} must be a static same-origin path`);
  }
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${parts.title}</title>`,
    ...styles.map((path) => `<link rel="stylesheet" nonce="${NONCE}" href="${path}">`),
    `<style nonce="${NONCE}">${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<a class="skip" href="#content">Skip to content</a>',
    parts.body,
    ...scripts.map((path) => `<script nonce="${NONCE}" src="${path}"></script>`),
    `<script nonce="${NONCE}">(function () {\n'use strict';\n${parts.script}\n})();</script>`,
    '</body>',
    '</html>',
  ].join('\n');
  const pieces = html.split(NONCE);
  return (nonce) => {
    if (!/^[A-Za-z0-9+/=]{16,}$/.test(nonce)) throw new TypeError('compilePage: the nonce must be base64');
    return pieces.join(nonce);
  };
}
