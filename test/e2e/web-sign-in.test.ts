import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { freePort } from '../support/airlock-process.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { direct, psql, tableExists, uniqueName, type RunningProcess } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * The approval page signs people in with the identity provider (the demo's
 * real oidc-provider) in a real browser: bob follows the link in alice's
 * hold notice, signs in at the IdP, comes back to that very request and
 * approves it; psql then runs the statement once. A callback this browser
 * did not start is refused.
 */
describe('e2e: signing in to the approval page with the identity provider', () => {
  const browser = new BrowserHandle();
  let airlock: Instance;

  before(async () => {
    const idpPort = await freePort();
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
identity:
  issuer: http://127.0.0.1:${idpPort}
  audience: airlock
  jwks_url: http://127.0.0.1:${idpPort}/jwks
  demo_idp: { enabled: true, listen: "127.0.0.1:${idpPort}" }
  login: { issuer_url: "http://127.0.0.1:${idpPort}", client_id: airlock-cli, web_client_id: airlock-web, resource: "urn:airlock" }
policy:
  rules:
    - id: drop-needs-an-approver
      match: { protocols: [postgres], kinds: [drop] }
      require: { approval: { approvers: approvers, count: 1 } }
`);
  });
  after(async () => {
    await browser.close();
    await airlock?.shutdown('test done');
  });

  function ready(t: TestContext): Promise<boolean> {
    return requirePostgres(t).then((ok) => ok && requireChromium(t));
  }

  it('bob signs in at the IdP from the request page, lands back on it and approves; psql runs the DROP once', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_idp');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const address = airlock.postgres!;
    const alice = await airlock.token('alice', ['dev']);
    const run = psql({ ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: alice, PGSSLMODE: 'disable' }, ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    const pattern = /held for approval \(id ([A-Za-z0-9_-]+)\)/;
    await waitFor(() => pattern.test(run.stderr), 10_000, 'the hold NOTICE');
    const id = pattern.exec(run.stderr)![1]!;

    const context = await (await browser.get()).newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.setDefaultTimeout(15_000);
    await page.goto(`${airlock.url}/approvals/${id}`);
    // With sign-in configured (and no web_token_form), no paste form is offered.
    assert.equal(await page.locator('#token-form').count(), 0);
    await page.getByRole('link', { name: "Sign in with your organisation's account" }).click();
    // The identity provider's own pages (oidc-provider's development login form).
    await page.locator('input[name="login"]').fill('bob');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${airlock.url}/approvals/${id}`);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#whoami-subject').textContent(), 'bob');
    assert.equal(await page.locator('#f-command').textContent(), `DROP TABLE ${table}`);
    assert.ok(await tableExists(table), 'nothing ran while held');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/DROP TABLE/g)?.length, 1);
    assert.equal(await tableExists(table), false);
    // No Airlock cookie authorises anything: the sign-in cookie is gone, the token lives in this tab only.
    // (Cookies are per host, not port: the demo IdP's own session cookie on 127.0.0.1 is its business.)
    const cookies = await context.cookies(airlock.url);
    assert.deepEqual(cookies.filter((c) => c.name.startsWith('airlock') && c.value !== ''), []);
    assert.match(String(await page.evaluate('sessionStorage.getItem("airlock.token")')), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('refuses a callback this browser did not start, and never redirects elsewhere after sign-in', async () => {
    const forged = await fetch(`${airlock.url}/auth/callback?code=abc&state=xyz`);
    assert.equal(forged.status, 400);
    const start = await fetch(`${airlock.url}/auth/login?return=https://evil.example/`, { redirect: 'manual' });
    assert.equal(start.status, 303);
    assert.match(start.headers.get('set-cookie') ?? '', /^airlock_sign_in=[^;]+; Path=\/auth; HttpOnly; SameSite=Lax/);
    const idp = new URL(start.headers.get('location')!);
    assert.equal(idp.searchParams.get('redirect_uri'), `${airlock.url}/auth/callback`);
    assert.equal(idp.searchParams.get('code_challenge_method'), 'S256');
  });

  /** alice's DROP of a fresh table through the proxy, held; its approval id. */
  async function heldDrop(prefix: string): Promise<{ table: string; id: string; run: RunningProcess }> {
    const table = uniqueName(prefix);
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const address = airlock.postgres!;
    const alice = await airlock.token('alice', ['dev']);
    const run = psql({ ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: alice, PGSSLMODE: 'disable' }, ['-c', `DROP TABLE ${table}`]);
    const pattern = /held for approval \(id ([A-Za-z0-9_-]+)\)/;
    await waitFor(() => pattern.test(run.stderr), 10_000, 'the hold NOTICE');
    return { table, id: pattern.exec(run.stderr)![1]!, run };
  }

  /** A fresh browser context (no IdP session), signed in at the demo IdP as `user` from `path`. */
  async function signedIn(user: string, path: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await (await browser.get()).newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.setDefaultTimeout(15_000);
    await page.goto(`${airlock.url}${path}`);
    await page.getByRole('link', { name: "Sign in with your organisation's account" }).click();
    await page.locator('input[name="login"]').fill(user);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${airlock.url}${path}`);
    await page.locator('#whoami').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#whoami-subject').textContent(), user);
    return { context, page, errors };
  }

  async function approvalStatus(id: string): Promise<{ status: string; votes: unknown[] }> {
    const admin = await airlock.token('root', ['airlock-admins']);
    return (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { status: string; votes: unknown[] };
  }

  /** Ends a held DROP with carol's denial, so psql returns. */
  async function denyAsCarol(id: string, reason: string): Promise<void> {
    const carol = await airlock.token('carol', ['approvers']);
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/deny`, { method: 'POST', headers: { authorization: `Bearer ${carol}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason }) });
    assert.equal(response.status, 200, await response.text());
  }

  it("bob, signed in at the IdP, sees alice's held statement appear on /approvals without reloading, and denies it with a reason psql shows", async (t) => {
    if (!(await ready(t))) return;
    const { context, page, errors } = await signedIn('bob', '/approvals');
    await page.locator('#list').waitFor({ state: 'visible' });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const { table, id, run } = await heldDrop('web_idp_list');
    const link = page.getByRole('link', { name: `Approval request ${id} by alice` });
    await link.waitFor({ timeout: 20_000 });
    assert.equal(navigations, 0, 'the list updated itself');
    await link.click();
    await page.waitForURL(`${airlock.url}/approvals/${id}`);
    await page.getByRole('button', { name: 'Deny…' }).click();
    await page.getByLabel(/Why deny\?/).fill('use the migration tool');
    await page.getByRole('button', { name: 'Deny request' }).click();
    await page.locator('#status').filter({ hasText: 'Denied' }).waitFor();
    const result = await run.done;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ERROR: {2}airlock: denied by bob: use the migration tool/);
    assert.ok(await tableExists(table), 'a denied DROP never reached PostgreSQL');
    assert.deepEqual(errors, []);
    await context.close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('alice, signed in at the IdP, sees her own request without Approve or Deny and her token cannot approve it; a cross-site form POST or a fetch without a bearer approves nothing', async (t) => {
    if (!(await ready(t))) return;
    const { table, id, run } = await heldDrop('web_idp_self');
    const alice = await signedIn('alice', `/approvals/${id}`);
    await alice.page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await alice.page.locator('#own-request').isVisible(), true);
    assert.equal(await alice.page.getByRole('button', { name: 'Approve', exact: true }).isVisible(), false);
    assert.equal(await alice.page.getByRole('button', { name: 'Deny…' }).isVisible(), false);
    const hash = (await alice.page.locator('#f-hash').textContent())!;
    // The token the IdP issued to alice's page, used on the API directly.
    const aliceToken = (await alice.page.evaluate('sessionStorage.getItem("airlock.token")')) as string;
    const own = await fetch(`${airlock.url}/v1/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ action_hash: hash }) });
    assert.equal(own.status, 403);
    assert.equal(((await own.json()) as { code: string }).code, 'AIRLOCK_SELF_APPROVAL');
    await alice.context.close();

    // bob is signed in in one tab; another site, opened in the same browser, tries to approve for him.
    const bob = await signedIn('bob', `/approvals/${id}`);
    const approveUrl = `${airlock.url}/v1/approvals/${id}/approve`;
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="POST" action="${approveUrl}"><input name="action_hash" value="${hash}"></form>
<script>
fetch(${JSON.stringify(approveUrl)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ action_hash: ${JSON.stringify(hash)} }) })
  .catch(function () {}).then(function () { document.getElementById('f').submit(); });
</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const evil = await bob.context.newPage();
      const formAnswer = evil.waitForResponse((response) => response.url() === approveUrl && response.request().method() === 'POST' && response.request().postData()?.startsWith('action_hash=') === true);
      // localhost is another site than 127.0.0.1 for the browser.
      await evil.goto(`http://localhost:${(attacker.address() as { port: number }).port}/`);
      assert.equal((await formAnswer).status(), 401);
      const view = await approvalStatus(id);
      assert.equal(view.status, 'pending');
      assert.deepEqual(view.votes, []);
      assert.ok(await tableExists(table));
    } finally {
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
    await bob.context.close();
    await denyAsCarol(id, 'cross-site test done');
    assert.match((await run.done).stderr, /denied by carol: cross-site test done/);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it("after bob is revoked through the control API, his signed-in page signs him out and his Approve is refused", async (t) => {
    if (!(await ready(t))) return;
    const { table, id, run } = await heldDrop('web_idp_revoked');
    const bob = await signedIn('bob', `/approvals/${id}`);
    await bob.page.getByRole('button', { name: 'Approve', exact: true }).waitFor();
    const admin = await airlock.token('root', ['airlock-admins']);
    const revoked = await fetch(`${airlock.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'subject', id: 'bob', reason: 'laptop lost' }) });
    assert.equal(revoked.status, 201, await revoked.text());
    try {
      // His next action: Approve (unless the page's own refresh already found him revoked).
      await bob.page.getByRole('button', { name: 'Approve', exact: true }).click({ timeout: 2000 }).catch(() => undefined);
      await bob.page.locator('#signin').waitFor({ state: 'visible' });
      assert.equal(await bob.page.locator('#whoami').isVisible(), false);
      assert.match((await bob.page.getByRole('alert').textContent()) ?? '', /AIRLOCK_REVOKED/);
      assert.equal(await bob.page.evaluate('sessionStorage.getItem("airlock.token")'), null, 'the revoked token is forgotten');
      const view = await approvalStatus(id);
      assert.equal(view.status, 'pending');
      assert.deepEqual(view.votes, []);
      assert.ok(await tableExists(table));
    } finally {
      await fetch(`${airlock.url}/v1/revocations/subject/bob`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    }
    await bob.context.close();
    await denyAsCarol(id, 'revocation test done');
    assert.match((await run.done).stderr, /denied by carol: revocation test done/);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });
});
