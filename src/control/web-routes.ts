import { NotFoundError } from '../errors.js';
import type { ControlRoutes } from './control-server.js';
import { approvalListPage } from './web/approval-list-page.js';
import { approvalPage } from './web/approval-page.js';
import { newNonce, pageHeaders } from './web/security-headers.js';

export interface WebRoutesOptions {
  /** CSP nonce source (tests); one fresh nonce per response. */
  readonly nonce?: () => string;
  /** Offer sign-in with the identity provider (identity.login.web_client_id). */
  readonly signIn?: boolean;
  /** Offer the "paste your token" form (default: when there is no sign-in). */
  readonly tokenForm?: boolean;
}

/** Approval ids are 128 random bits in base64url (broker.ts); anything else names no request. */
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,128}$/;

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
  };
}
