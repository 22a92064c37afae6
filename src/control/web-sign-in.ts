import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, UnauthenticatedError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { ControlRoutes } from './control-server.js';
import { newNonce, pageHeaders } from './web/security-headers.js';

export interface WebSignInOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: string;
  readonly resource?: string;
  /** `<public_url>/auth/callback`, as registered at the IdP (known once the control listener is bound). */
  readonly redirectUri: () => string;
  /** Where a sign-in in progress is kept (every replica can finish it). */
  readonly store: Store;
}

/** Pages a sign-in may return to: the approval pages only (never an open redirect). */
const RETURN_PATH = /^\/approvals(\/[A-Za-z0-9_-]{1,128})?$|^\/terminal\/[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const STATE_COOKIE = 'airlock_sign_in';
const FLOW_TTL_MS = 10 * 60_000;
const TOKEN_KEY = 'airlock.token';

interface Flow {
  readonly verifier: string;
  readonly returnTo: string;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Sign-in for the approval pages with the organisation's identity provider
 * (authorization code with PKCE; openid-client). GET /auth/login starts it
 * and binds it to this browser (an HttpOnly, SameSite=Lax cookie holding the
 * state, so nobody can make a victim finish a sign-in they started); GET
 * /auth/callback exchanges the code and hands the access token to the page,
 * which keeps it in this tab's sessionStorage and sends it as a bearer token
 * like a pasted one. Nothing authorises by cookie, so there is nothing for a
 * cross-site request to ride on; the API verifies the token (and revocations)
 * on every call.
 */
export function webSignInRoutes(options: WebSignInOptions): ControlRoutes {
  let configuration: Promise<import('openid-client').Configuration> | null = null;
  const oidc = () => import('openid-client');
  const discover = async () => {
    const client = await oidc();
    const issuer = new URL(options.issuer);
    configuration ??= client.discovery(issuer, options.clientId, undefined, client.None(), issuer.protocol === 'https:' ? {} : { execute: [client.allowInsecureRequests] });
    return configuration.catch((err: unknown) => {
      configuration = null;
      throw err;
    });
  };
  const secure = () => new URL(options.redirectUri()).protocol === 'https:';
  return (app) => {
    app.get('/auth/login', async (request: FastifyRequest, reply: FastifyReply) => {
      const requested = (request.query as { return?: unknown }).return;
      const returnTo = typeof requested === 'string' && RETURN_PATH.test(requested) ? requested : '/approvals';
      const client = await oidc();
      const config = await discover();
      const state = randomBytes(24).toString('base64url');
      const verifier = client.randomPKCECodeVerifier();
      await options.store.setValue(`web-sign-in:${state}`, JSON.stringify({ verifier, returnTo } satisfies Flow), { ttlMs: FLOW_TTL_MS });
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri(),
        scope: options.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...(options.resource ? { resource: options.resource } : {}),
      });
      const cookie = `${STATE_COOKIE}=${state}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=${FLOW_TTL_MS / 1000}${secure() ? '; Secure' : ''}`;
      return reply.code(303).header('set-cookie', cookie).header('cache-control', 'no-store').header('location', url.href).send();
    });

    app.get('/auth/callback', async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as { state?: unknown; error?: unknown; error_description?: unknown };
      const state = typeof query.state === 'string' ? query.state : '';
      // The flow must be this browser's own: the state comes back in the URL and in the cookie it set.
      if (state === '' || cookieOf(request, STATE_COOKIE) !== state) throw new BadRequestError('this sign-in was not started in this browser; start again from the approvals page');
      const key = `web-sign-in:${state}`;
      const text = await options.store.getValue(key);
      await options.store.deleteValue(key);
      if (text === null) throw new BadRequestError('this sign-in expired or was already used; start again from the approvals page');
      const flow = JSON.parse(text) as Flow;
      if (typeof query.error === 'string') throw new UnauthenticatedError(`the identity provider refused the sign-in: ${typeof query.error_description === 'string' ? query.error_description : query.error}`);
      const client = await oidc();
      const config = await discover();
      const current = new URL(request.url, options.redirectUri());
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: state }, options.resource ? { resource: options.resource } : undefined);
      const token = tokens.access_token;
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw new UnauthenticatedError('the identity provider did not issue a JWT access token for Airlock (check identity.login.resource)');
      const nonce = newNonce();
      // The token and path are checked above to hold only base64url, dots and path characters: safe inside a script string.
      const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in</title></head><body><p>Signed in. <a href="${flow.returnTo}">Continue</a></p><script nonce="${nonce}">try { sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(token)}); } catch (e) {} location.replace(${JSON.stringify(flow.returnTo)});</script></body></html>`;
      const cleared = `${STATE_COOKIE}=; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=0${secure() ? '; Secure' : ''}`;
      return reply.code(200).headers(pageHeaders(nonce)).header('set-cookie', cleared).send(page);
    });
  };
}
