import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { freePort } from '../support/airlock-process.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { direct, psql, tableExists, uniqueName } from '../support/pg-clients.js';
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
});
