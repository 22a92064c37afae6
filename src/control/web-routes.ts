import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { NotFoundError } from '../errors.js';
import type { ControlRoutes } from './control-server.js';
import { approvalListPage } from './web/approval-list-page.js';
import { approvalPage } from './web/approval-page.js';
import { newNonce, pageHeaders } from './web/security-headers.js';
import { terminalPage } from './web/terminal-page.js';

export interface WebRoutesOptions {
  /** CSP nonce source (tests); one fresh nonce per response. */
  readonly nonce?: () => string;
  /** Offer sign-in with the identity provider (identity.login.web_client_id). */
  readonly signIn?: boolean;
  /** Offer the "paste your token" form (default: when there is no sign-in). */
  readonly tokenForm?: boolean;
  /** Serve the browser terminal at /terminal/TARGET (shell targets are enabled). */
  readonly terminal?: boolean;
}

/** Approval ids are 128 random bits in base64url (broker.ts); anything else names no request. */
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** Target names as the config allows them. */
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const require = createRequire(import.meta.url);
/** The browser terminal's files, served from the installed xterm.js packages (read once, on first use). */
const XTERM_FILES: Readonly<Record<string, { readonly module: string; readonly type: string }>> = {
  'xterm.js': { module: '@xterm/xterm/lib/xterm.js', type: 'text/javascript; charset=utf-8' },
  'xterm.css': { module: '@xterm/xterm/css/xterm.css', type: 'text/css; charset=utf-8' },
  'addon-fit.js': { module: '@xterm/addon-fit/lib/addon-fit.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * The approval web pages: GET /approvals (pending requests) and
 * GET /approvals/:id (the link in every hold notice). The pages are static;
 * they call the JSON API with the user's own JWT (from the identity
 * provider through /auth/login, or pasted), so no session cookie authorises
 * anything and the API stays the one place that authorises.
 */
export function webRoutes(options: WebRoutesOptions = {}): ControlRoutes {
  const nonce = options.nonce ?? newNonce;
  const signIn = options.signIn ?? false;
  const ways = { signIn, tokenForm: options.tokenForm ?? !signIn };
  const renderApprovalListPage = approvalListPage(ways);
  const renderApprovalPage = approvalPage(ways);
  const renderTerminalPage = options.terminal ? terminalPage(ways) : null;
  const assets = new Map<string, Promise<Buffer>>();
  return (app) => {
    // Browsers ask for it on every page; an empty answer keeps 404s out of their consoles.
    app.get('/favicon.ico', async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
    app.get('/approvals', async (_request, reply) => {
      const n = nonce();
      return reply.headers(pageHeaders(n)).send(renderApprovalListPage(n));
    });
    app.get('/approvals/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!APPROVAL_ID.test(id)) throw new NotFoundError('no such approval request');
      const n = nonce();
      return reply.headers(pageHeaders(n)).send(renderApprovalPage(n));
    });
    if (!renderTerminalPage) return;
    app.get('/terminal/:target', async (request, reply) => {
      const { target } = request.params as { target: string };
      if (!TARGET_NAME.test(target)) throw new NotFoundError('no such target');
      const n = nonce();
      return reply.headers(pageHeaders(n)).send(renderTerminalPage(n));
    });
    app.get('/assets/xterm/:file', async (request, reply) => {
      const file = XTERM_FILES[(request.params as { file: string }).file];
      if (!file) throw new NotFoundError('no such file');
      let content = assets.get(file.module);
      if (!content) {
        content = readFile(require.resolve(file.module));
        assets.set(file.module, content);
      }
      return reply
        .header('content-type', file.type)
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .header('cross-origin-resource-policy', 'same-origin')
        .send(await content);
    });
  };
}
