import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { Command } from 'commander';
import { ControlApiError, withControlOptions } from '../support/control-client.js';
import { saveToken } from '../support/token-cache.js';

interface LoginOptions {
  url: string;
  browser: boolean;
  json?: boolean;
  timeout: string;
}

interface LoginInfo {
  issuer: string;
  client_id: string;
  scopes: string;
  resource?: string;
}

const PAGE = (text: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Airlock</title></head><body><p>${text}</p></body></html>`;

/** Waits for the IdP's redirect to the loopback address; resolves with the full callback URL. */
function listenForCallback(timeoutMs: number): Promise<{ server: Server; port: number; callback: Promise<URL> }> {
  return new Promise((resolveListening, rejectListening) => {
    let deliver: (url: URL) => void = () => {};
    let fail: (err: Error) => void = () => {};
    const callback = new Promise<URL>((resolve, reject) => {
      deliver = resolve;
      fail = reject;
    });
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1`);
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      const failed = url.searchParams.get('error');
      res.writeHead(failed ? 400 : 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
      res.end(PAGE(failed ? 'Sign-in failed; see the terminal.' : 'Signed in to Airlock. You can close this tab and go back to the terminal.'));
      deliver(new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}${req.url ?? ''}`));
    });
    const timer = setTimeout(() => fail(new ControlApiError(0, 'AIRLOCK_LOGIN_TIMEOUT', `no sign-in within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    timer.unref();
    callback.finally(() => clearTimeout(timer)).catch(() => undefined);
    server.once('error', rejectListening);
    server.listen(0, '127.0.0.1', () => resolveListening({ server, port: (server.address() as { port: number }).port, callback }));
  });
}

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

export function registerLoginCommand(program: Command): void {
  withControlOptions(
    program
      .command('login')
      .description("Sign in with your organisation's identity provider (OpenID Connect, authorization code with PKCE, loopback redirect) and keep the token for the other commands (0600, per Airlock URL)")
      .option('--no-browser', 'print the sign-in URL instead of opening a browser')
      .option('--timeout <seconds>', 'how long to wait for the sign-in', '300')
      .option('--json', 'print { subject, expires_at, cache } as JSON'),
  ).action(async (options: LoginOptions) => {
    // openid-client loads only here: the other commands never need it.
    const oidc = await import('openid-client');
    const base = options.url.replace(/\/+$/, '');
    let info: LoginInfo;
    try {
      const response = await fetch(`${base}/v1/login`, { signal: AbortSignal.timeout(15_000) });
      const body = (await response.json()) as LoginInfo & { detail?: string; code?: string };
      if (!response.ok) throw new ControlApiError(response.status, body.code ?? 'AIRLOCK_HTTP_ERROR', body.detail ?? `HTTP ${response.status}`);
      info = body;
    } catch (err) {
      if (err instanceof ControlApiError) throw err;
      throw new ControlApiError(0, 'AIRLOCK_UNREACHABLE', `cannot reach the control API at ${base} (${(err as Error).message})`);
    }
    const issuer = new URL(info.issuer);
    // A plain-http issuer is accepted only on loopback (the demo's local IdP).
    const loopback = issuer.hostname === '127.0.0.1' || issuer.hostname === 'localhost' || issuer.hostname === '[::1]';
    if (issuer.protocol !== 'https:' && !loopback) throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `refusing a non-https identity provider ${info.issuer}`);
    const config = await oidc.discovery(issuer, info.client_id, undefined, oidc.None(), issuer.protocol === 'https:' ? {} : { execute: [oidc.allowInsecureRequests] });
    const { server, port, callback } = await listenForCallback(Number(options.timeout) * 1000);
    try {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const redirectUri = `http://127.0.0.1:${port}/callback`;
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: info.scopes,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...(info.resource ? { resource: info.resource } : {}),
      });
      process.stderr.write(`Sign in at:\n  ${url.href}\nwaiting for the identity provider (Ctrl-C to stop)...\n`);
      if (options.browser) openBrowser(url.href);
      const tokens = await oidc.authorizationCodeGrant(config, await callback, { pkceCodeVerifier: verifier, expectedState: state }, info.resource ? { resource: info.resource } : undefined);
      const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { sub?: string; exp?: number };
      const expiresAt = claims.exp ? claims.exp * 1000 : Date.now() + (tokens.expires_in ?? 3600) * 1000;
      const subject = claims.sub ?? tokens.claims()?.sub ?? 'unknown';
      const file = saveToken(base, { token: tokens.access_token, subject, expiresAt, issuer: info.issuer });
      if (options.json) process.stdout.write(`${JSON.stringify({ subject, expires_at: new Date(expiresAt).toISOString(), cache: file }, null, 2)}\n`);
      else process.stdout.write(`signed in as ${subject} until ${new Date(expiresAt).toISOString()} (token kept in ${file})\n`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
}
