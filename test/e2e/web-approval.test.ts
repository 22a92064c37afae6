import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { generate } from 'otplib';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { direct, psql, tableExists, uniqueName, type RunningProcess } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// The approval web page in a real browser (Debian chromium driven by
// playwright-core) against the real composition: psql through the proxy is
// held, the page linked from the NOTICE decides, PostgreSQL shows the result.
describe('e2e: the approval web page', () => {
  const browser = new BrowserHandle();
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  rules:
    - id: drop-needs-an-approver
      match: { protocols: [postgres], kinds: [drop] }
      require: { approval: { approvers: approvers, count: 1 } }
    - id: truncate-needs-step-up
      match: { protocols: [postgres], kinds: [truncate] }
      require: step_up
    - id: alter-needs-an-approver-with-totp
      match: { protocols: [postgres], kinds: [alter] }
      require: { approval: { approvers: approvers, count: 1, mfa: true } }
    - id: bulk-deletes-allowed
      match: { protocols: [postgres], kinds: [delete], objects: ["web_bulk_*"] }
      require: allow
`);
    aliceToken = await airlock.token('alice', ['engineers']);
    bobToken = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await browser.close();
    await airlock?.shutdown('test done');
  });

  function env(): NodeJS.ProcessEnv {
    const address = airlock.postgres as { host: string; port: number };
    return { ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: aliceToken, PGSSLMODE: 'disable' };
  }

  /**
   * The approval URL printed in the hold NOTICE, and its path. The test opens
   * the path on the control API's real address: without server.public_url the
   * printed origin carries the configured port, which is 0 in tests.
   */
  async function noticeUrl(run: { stderr: string }): Promise<{ printed: string; path: string; id: string }> {
    const pattern = /NOTICE: {2}(?:[0-9A-Z]{5}: )?airlock: statement held for (?:approval|step-up) \(id ([A-Za-z0-9_-]+)\):.* or at (\S+)/;
    await waitFor(() => pattern.test(run.stderr), 10_000, 'the hold NOTICE with the approval URL');
    const [, id, printed] = pattern.exec(run.stderr) as RegExpExecArray;
    const path = new URL(printed as string).pathname;
    assert.equal(path, `/approvals/${id}`);
    return { printed: printed as string, path, id: id as string };
  }

  interface Watched {
    page: Page;
    dialogs: string[];
    errors: string[];
  }

  /** A fresh browser context (its own sessionStorage) with dialogs and script errors recorded. */
  async function openPage(path: string): Promise<Watched> {
    const context = await (await browser.get()).newContext();
    const page = await context.newPage();
    const watched: Watched = { page, dialogs: [], errors: [] };
    page.on('dialog', (dialog) => {
      watched.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => watched.errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') watched.errors.push(message.text());
    });
    page.setDefaultTimeout(10_000);
    await page.goto(`${airlock.url}${path}`);
    return watched;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('Access token (JWT)').fill(token);
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  /** Enrols `token`'s subject in TOTP (activated with the previous step's code); returns a code source. */
  async function enrolTotp(token: string): Promise<(atMs?: number) => Promise<string>> {
    const call = async (path: string, body: unknown) => {
      const response = await fetch(`${airlock.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Record<string, unknown>;
    };
    const { secret } = (await call('/v1/totp/enroll', {})) as { secret: string };
    const codeAt = (atMs = Date.now()) => generate({ secret, epoch: Math.floor(atMs / 1000), algorithm: 'sha1', digits: 6, period: 30 });
    // Codes are single use per time step: activation spends the previous step, the test the current one.
    await call('/v1/totp/activate', { code: await codeAt(Date.now() - 30_000) });
    return codeAt;
  }

  function ready(t: TestContext): Promise<boolean> {
    return requirePostgres(t).then((ok) => ok && requireChromium(t));
  }

  it('serves the page with a per-response CSP nonce and strict headers; a malformed id is a 404', async () => {
    const first = await fetch(`${airlock.url}/approvals/abcDEF_123-x`);
    const second = await fetch(`${airlock.url}/approvals/abcDEF_123-x`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    const csp = first.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.notEqual(/nonce-([^']+)/.exec(second.headers.get('content-security-policy') ?? '')?.[1], nonce, 'a fresh nonce per response');
    assert.equal(first.headers.get('x-frame-options'), 'DENY');
    assert.equal(first.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const html = await first.text();
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.ok(!/<script(?![^>]*nonce=)/.test(html), 'every script carries the nonce');
    assert.ok(!/https?:\/\//.test(html), 'nothing is loaded from elsewhere');
    await second.text();
    const list = await fetch(`${airlock.url}/approvals`);
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-security-policy') ?? '', /script-src 'nonce-/);
    await list.text();
    const bad = await fetch(`${airlock.url}/approvals/${encodeURIComponent('<script>')}`);
    assert.equal(bad.status, 404);
    assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  it('shows approvers what a write measured over its row limit would do, and runs it once approved', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_bulk');
    await direct(async (c) => {
      await c.query(`CREATE TABLE ${table} (n int)`);
      await c.query(`INSERT INTO ${table} SELECT generate_series(1, 1500)`);
    });
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DELETE FROM ${table} WHERE n > 0`]);
    const { path } = await noticeUrl(run);
    const { page, errors } = await openPage(path);
    await signIn(page, bobToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.match((await page.locator('#f-impact').textContent()) ?? '', /^would delete 1,500 rows of public\.web_bulk_/);
    assert.equal(await page.locator('#f-impact').isVisible(), true);
    assert.match((await page.locator('#f-rules').textContent()) ?? '', /airlock:max-rows/);
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n), 1500, 'nothing deleted while held');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DELETE 1500/);
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n), 0);
    assert.deepEqual(errors, []);
    await page.context().close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('psql DROP TABLE is held; the approver opens the NOTICE link, pastes a token, approves: it runs once', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_drop');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    const { path, id } = await noticeUrl(run);
    const { page, dialogs, errors } = await openPage(path);

    await signIn(page, bobToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Approval needed: postgres on app');
    assert.equal(await page.locator('#f-command').textContent(), `DROP TABLE ${table}`);
    assert.match((await page.locator('#f-requester').textContent()) ?? '', /^alice/);
    assert.equal(await page.locator('#f-risk').textContent(), 'critical');
    assert.equal(await page.locator('#f-rules').textContent(), 'drop-needs-an-approver');
    assert.equal(await page.locator('#f-eligible').textContent(), '1 of approvers');
    assert.equal(await page.locator('#f-progress').textContent(), '0 of 1 from approvers');
    assert.match((await page.locator('#f-expiry').textContent()) ?? '', /^in \d+m \d\ds/);
    assert.equal(await page.locator('#f-id').textContent(), id);
    assert.equal(await page.locator('#whoami-subject').textContent(), 'bob');
    assert.ok(await tableExists(table), 'nothing ran while held');

    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
    assert.match((await page.locator('#notice').textContent()) ?? '', /You approved this request/);

    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(/DROP TABLE/g)?.length, 1, result.stdout);
    assert.equal(await tableExists(table), false);
    // The token stays in the tab's sessionStorage only.
    assert.deepEqual(await page.evaluate('[sessionStorage.getItem("airlock.token"), localStorage.length, document.cookie]'), [bobToken, 0, '']);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("offers the requester no Approve or Deny on their own request, and the API refuses it; another approver then denies with a reason", async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_self');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const run = psql(env(), ['-v', 'VERBOSITY=verbose', '-c', `DROP TABLE ${table}`]);
    const { path, id } = await noticeUrl(run);
    const { page, dialogs, errors } = await openPage(path);

    await signIn(page, aliceToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#own-request').isVisible(), true);
    assert.equal(await page.getByRole('button', { name: 'Approve', exact: true }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Deny…' }).isVisible(), false);
    const hash = await page.locator('#f-hash').textContent();
    const refused = await fetch(`${airlock.url}/v1/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ action_hash: hash }) });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'AIRLOCK_SELF_APPROVAL');
    assert.equal(await page.locator('#status').textContent(), 'Waiting for a decision');
    assert.ok(await tableExists(table));

    // A different token in the same tab: bob denies, which needs a reason.
    const alert = page.getByRole('alert');
    await page.getByRole('button', { name: 'Use a different token' }).click();
    await signIn(page, bobToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Deny…' }).click();
    await page.getByRole('button', { name: 'Deny request' }).click();
    await alert.filter({ hasText: /Say why/ }).waitFor();
    await page.getByLabel(/Why deny\?/).fill('not during the freeze');
    await page.getByRole('button', { name: 'Deny request' }).click();
    await page.locator('#status').filter({ hasText: 'Denied' }).waitFor();

    const result = await run.done;
    assert.match(result.stderr, /ERROR: {2}42501: airlock: denied by bob: not during the freeze/);
    assert.ok(await tableExists(table), 'a denied DROP never reached PostgreSQL');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await page.context().close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('renders an attacker-controlled command as text on the request page and in the list (no dialog, no script)', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_xss');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const payload = `<script>alert(1)</script><img src=x onerror="alert(2)"><svg onload=alert(3)>`;
    const command = `DROP TABLE ${table} /* ${payload} */`;
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ ...address, user: 'alice', database: 'app', password: aliceToken, ssl: false });
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.connect();
    try {
      const query = client.query(command);
      const run = { get stderr() { return notices.map((m) => `NOTICE:  ${m}`).join('\n'); } };
      const { path, id } = await noticeUrl(run);

      const list = await openPage('/approvals');
      await signIn(list.page, bobToken);
      const link = list.page.getByRole('link', { name: new RegExp(`Approval request ${id} by alice`) });
      await link.waitFor();
      assert.match((await list.page.locator('#rows').textContent()) ?? '', /<script>alert\(1\)<\/script>/);
      await link.click();
      await list.page.waitForURL(`**${path}`);
      // sessionStorage carried the token to the request page of the same tab.
      await list.page.locator('#request').waitFor({ state: 'visible' });
      const page = list.page;
      assert.equal(await page.locator('#f-command').textContent(), command);
      assert.equal(await page.locator('#f-command *').count(), 0, 'no element was created from the command');
      assert.equal(await page.locator('script').count(), 1, 'only the page\'s own script');
      assert.equal(await page.locator('img, svg').count(), 0);
      await page.getByRole('button', { name: 'Approve', exact: true }).click();
      await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
      await query;
      assert.equal(await tableExists(table), false);
      assert.deepEqual(list.dialogs, [], 'no dialog fired');
      assert.deepEqual(list.errors, []);
      await page.context().close();
    } finally {
      await client.end();
    }
  });

  it('step-up: the requester confirms their own held statement with a TOTP code on the page', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_stepup');
    await direct((c) => c.query(`CREATE TABLE ${table} AS SELECT 1 AS n`));
    const code = await enrolTotp(aliceToken);
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `TRUNCATE ${table}`]);
    const { path } = await noticeUrl(run);
    const { page, dialogs, errors } = await openPage(path);
    await signIn(page, aliceToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Step-up needed: postgres on app');
    assert.equal(await page.locator('#decide').isVisible(), false, 'nobody approves a step-up');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').filter({ hasText: /6-digit code/ }).waitFor();
    await page.getByRole('textbox', { name: 'Your TOTP code' }).fill(await code());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /TRUNCATE TABLE/);
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n), 0);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await page.context().close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it("an approval that requires MFA asks for the approver's code; a wrong code is shown, the right one approves", async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_mfa');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const code = await enrolTotp(bobToken);
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `ALTER TABLE ${table} ADD COLUMN m int`]);
    const { path } = await noticeUrl(run);
    const { page, dialogs, errors } = await openPage(path);
    await signIn(page, bobToken);
    await page.locator('#request').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#f-eligible').textContent(), '1 of approvers (with their TOTP code)');
    const input = page.getByRole('textbox', { name: 'Your TOTP code' });
    await input.fill('000000' === (await code()) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /AIRLOCK_MFA_INVALID/ }).waitFor();
    assert.equal(await page.locator('#status').textContent(), 'Waiting for a decision');
    await input.fill(await code());
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.locator('#status').filter({ hasText: /Approved/ }).waitFor();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const columns = await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = $1`, [table])).rows[0].n);
    assert.equal(columns, 2);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await page.context().close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });
});
