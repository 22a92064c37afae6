import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { freePort } from '../support/airlock-process.js';
import { signInThroughForms } from '../support/oidc-sign-in.js';
import { POSTGRES, requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], { env: { ...process.env, AIRLOCK_TOKEN: '', ...env } });
  const out = { stdout: '', stderr: '', status: null as number | null };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const done = new Promise<typeof out>((resolve) => child.on('close', (status) => resolve(Object.assign(out, { status }))));
  return { out, done };
}

/**
 * `airlock login` against the demo's real OpenID Connect provider
 * (oidc-provider): authorization code with PKCE and a loopback redirect,
 * the pages filled in as a person would, the token kept 0600, then
 * `airlock psql` uses it and Airlock accepts the IdP's JWT with its groups.
 */
describe('e2e: airlock login with the demo identity provider, then airlock psql', () => {
  let airlock: Instance;
  let cache: string;

  before(async () => {
    const idpPort = await freePort();
    airlock = await startTestAirlock(`
identity:
  issuer: http://127.0.0.1:${idpPort}
  audience: airlock
  jwks_url: http://127.0.0.1:${idpPort}/jwks
  demo_idp: { enabled: true, listen: "127.0.0.1:${idpPort}" }
  login: { issuer_url: "http://127.0.0.1:${idpPort}", client_id: airlock-cli, resource: "urn:airlock" }
postgres: { listen: "127.0.0.1:0" }
targets:
  - name: app
    protocol: postgres
    upstream: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, user: ${POSTGRES.user}, database: ${POSTGRES.database} }
`);
    cache = mkdtempSync(join(tmpdir(), 'airlock-login-cache-'));
  });
  after(async () => {
    await airlock?.shutdown('test done');
  });

  it('signs in as bob, keeps the token 0600, and the other commands use it', async (t) => {
    const env = { AIRLOCK_URL: airlock.url, XDG_CACHE_HOME: cache };
    const login = cli(['login', '--no-browser', '--json'], env);
    await waitFor(() => /Sign in at:\n\s+(\S+)/.test(login.out.stderr) || login.out.status !== null, 20_000, 'the sign-in URL');
    const authUrl = /Sign in at:\n\s+(\S+)/.exec(login.out.stderr)?.[1];
    assert.ok(authUrl, login.out.stderr);
    const redirect = new URL(authUrl).searchParams.get('redirect_uri')!;
    assert.match(redirect, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.equal(new URL(authUrl).searchParams.get('code_challenge_method'), 'S256');
    await signInThroughForms(authUrl, redirect, { login: 'bob', password: 'anything' });
    const result = await login.done;
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { subject: string; cache: string };
    assert.equal(summary.subject, 'bob');
    assert.equal(statSync(summary.cache).mode & 0o777, 0o600);
    const cached = JSON.parse(readFileSync(summary.cache, 'utf8')) as Record<string, { token: string }>;
    const token = cached[airlock.url]!.token;
    // Airlock accepts the IdP's JWT, with the groups the IdP put in it.
    const pending = await fetch(`${airlock.url}/v1/approvals?status=pending`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(pending.status, 200, await pending.text());
    const principal = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { groups: string[]; aud: string };
    assert.deepEqual(principal.groups, ['approvers']);
    assert.equal(principal.aud, 'airlock');

    if (!(await requirePostgres(t))) return;
    const psql = await cli(['psql', 'app', '-XAtc', 'SELECT 6 * 7'], env).done;
    assert.equal(psql.status, 0, psql.stderr);
    assert.equal(psql.stdout.trim(), '42');
  });

  it('says how to sign in when there is no token', async () => {
    const result = await cli(['pending'], { AIRLOCK_URL: airlock.url, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'airlock-empty-cache-')) }).done;
    assert.equal(result.status, 2);
    assert.match(result.stderr, /run `airlock login`/);
  });
});
