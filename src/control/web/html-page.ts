import { PAGE_STYLE } from './page-style.js';

export interface PageParts {
  /** Static document title (no user data). */
  readonly title: string;
  /** Static markup of <main>; every value from the API is filled in by the script, as text. */
  readonly body: string;
  /** The page's script; it runs strict, in its own function scope. */
  readonly script: string;
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
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${parts.title}</title>`,
    `<style nonce="${NONCE}">${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<a class="skip" href="#content">Skip to content</a>',
    parts.body,
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
