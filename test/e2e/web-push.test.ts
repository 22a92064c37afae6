import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { freePort } from '../support/airlock-process.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { direct, psql, tableExists, uniqueName } from '../support/pg-clients.js';
import { LocalPushService, type TestSubscription } from '../support/push-service.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * "Notify me on this device" in a real browser: bob signs in at the demo's
 * identity provider, turns notifications on, and the real service worker
 * (/push-sw.js) registers under the pages' CSP; alice's DROP is held; the
 * local push service receives and decrypts the push Airlock sends for bob;
 * that payload, delivered to the real service worker over CDP, shows a
 * notification for the request.
 */
describe('e2e: push notifications on the approval pages', () => {
  const browser = new BrowserHandle();
  const pushService = new LocalPushService();
  let airlock: Instance;

  before(async () => {
    await pushService.start();
    const idpPort = await freePort();
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
identity:
  issuer: http://127.0.0.1:${idpPort}
  audience: airlock
  jwks_url: http://127.0.0.1:${idpPort}/jwks
  demo_idp: { enabled: true, listen: "127.0.0.1:${idpPort}" }
  login: { issuer_url: "http://127.0.0.1:${idpPort}", client_id: airlock-cli, web_client_id: airlock-web, resource: "urn:airlock" }
approvals:
  channels:
    push: { subject: "mailto:ops@example.com", endpoint_hosts: ["127.0.0.1"] }
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
    await pushService.close();
  });

  function ready(t: TestContext): Promise<boolean> {
    return requirePostgres(t).then((ok) => ok && requireChromium(t));
  }

  async function signInAtIdp(page: Page, user: string): Promise<void> {
    await page.getByRole('link', { name: "Sign in with your organisation's account" }).click();
    await page.locator('input[name="login"]').fill(user);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
  }

  it('serves the service worker as same-origin JavaScript and the VAPID public key; subscriptions need a token', async () => {
    const worker = await fetch(`${airlock.url}/push-sw.js`);
    assert.equal(worker.status, 200);
    assert.equal(worker.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(worker.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await worker.text(), /addEventListener\('push'/);
    const key = (await (await fetch(`${airlock.url}/v1/push/key`)).json()) as { public_key: string };
    assert.equal(Buffer.from(key.public_key, 'base64url').length, 65);
    const sub = pushService.subscribe();
    const anonymous = await fetch(`${airlock.url}/v1/push/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sub) });
    assert.equal(anonymous.status, 401);
    const bob = await airlock.token('bob', ['approvers']);
    const post = (body: unknown) => fetch(`${airlock.url}/v1/push/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const elsewhere = await post({ endpoint: 'http://10.0.0.1/push/x', keys: sub.keys });
    assert.equal(elsewhere.status, 400);
    assert.match(((await elsewhere.json()) as { detail: string }).detail, /not a configured push service/);
    assert.equal((await post({ endpoint: sub.endpoint, keys: sub.keys, padding: 'x'.repeat(5000) })).status, 413);
    assert.equal((await post({ endpoint: sub.endpoint, keys: sub.keys })).status, 201);
    const removed = await fetch(`${airlock.url}/v1/push/subscriptions`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: sub.endpoint }) });
    assert.equal(removed.status, 204);
    assert.deepEqual(await airlock.store.setMembers('push:subs:bob'), []);

    // A revoked subject's devices hear nothing more.
    assert.equal((await post({ endpoint: sub.endpoint, keys: sub.keys })).status, 201);
    assert.equal((await airlock.store.setMembers('push:subs:bob')).length, 1);
    const admin = await airlock.token('root', ['airlock-admins']);
    const revoke = await fetch(`${airlock.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'subject', id: 'bob', reason: 'left the team' }) });
    assert.equal(revoke.status, 201);
    try {
      await waitFor(async () => (await airlock.store.setMembers('push:subs:bob')).length === 0, 5000, "bob's subscriptions removed");
      assert.equal((await post({ endpoint: sub.endpoint, keys: sub.keys })).status, 403, 'and he cannot subscribe again');
    } finally {
      await fetch(`${airlock.url}/v1/revocations/subject/bob`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    }
  });

  it('bob turns notifications on; the real service worker shows the push Airlock sent for alice\'s held DROP', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_push');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const device: TestSubscription = pushService.subscribe();

    const context = await (await browser.get()).newContext();
    await context.grantPermissions(['notifications'], { origin: airlock.url });
    // Chromium cannot create a real push subscription here: PushManager.subscribe
    // talks to Google's push service, which this offline machine cannot reach.
    // In this test only, subscribe() answers with a subscription whose endpoint
    // is the local push service and whose keys are the test's own ECDH pair, so
    // the test can decrypt what Airlock sends. Everything else (the page, the
    // service worker, its registration, the notification) is the browser's own.
    const fake = JSON.stringify({ endpoint: device.endpoint, p256dh: device.keys.p256dh, auth: device.keys.auth });
    await context.addInitScript(`(() => {
      const fake = ${fake};
      // Kept across page loads, as a browser keeps a real subscription.
      const saved = localStorage.getItem('test.subscription');
      let current = null;
      const toBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
      const make = (options) => ({
        endpoint: fake.endpoint,
        expirationTime: null,
        options,
        getKey: (name) => toBytes(name === 'p256dh' ? fake.p256dh : fake.auth),
        toJSON: () => ({ endpoint: fake.endpoint, expirationTime: null, keys: { p256dh: fake.p256dh, auth: fake.auth } }),
        unsubscribe: async () => { current = null; localStorage.removeItem('test.subscription'); return true; },
      });
      if (saved) current = make({ userVisibleOnly: true, applicationServerKey: new Uint8Array(JSON.parse(saved)).buffer });
      PushManager.prototype.subscribe = async function (options) {
        window.subscribedWith = options;
        current = make(options || {});
        localStorage.setItem('test.subscription', JSON.stringify(Array.from(new Uint8Array(options.applicationServerKey))));
        return current;
      };
      PushManager.prototype.getSubscription = async function () { return current; };
    })();`);

    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // Airlock's pages only: the demo IdP's own pages load things of their own.
    page.on('console', (message) => {
      if (message.type() === 'error' && message.location().url.startsWith(airlock.url)) errors.push(message.text());
    });
    page.setDefaultTimeout(15_000);
    await page.goto(`${airlock.url}/approvals`);
    assert.equal(await page.getByRole('button', { name: 'Notify me on this device' }).isVisible(), false, 'not offered before signing in');
    await signInAtIdp(page, 'bob');
    await page.waitForURL(`${airlock.url}/approvals`);
    await page.getByRole('button', { name: 'Notify me on this device' }).click();
    await page.locator('#push-state').filter({ hasText: 'Notifications are on for this device.' }).waitFor();

    // The real worker, from this origin, under the pages' CSP and Trusted Types.
    const scriptUrl = await page.evaluate('navigator.serviceWorker.ready.then((r) => r.active && r.active.scriptURL)');
    assert.equal(scriptUrl, `${airlock.url}/push-sw.js`);
    const key = (await (await fetch(`${airlock.url}/v1/push/key`)).json()) as { public_key: string };
    const usedKey = (await page.evaluate('({ key: btoa(String.fromCharCode(...new Uint8Array(window.subscribedWith.applicationServerKey))), userVisibleOnly: window.subscribedWith.userVisibleOnly })')) as { key: string; userVisibleOnly: boolean };
    assert.equal(Buffer.from(usedKey.key, 'base64').toString('base64url'), key.public_key, 'subscribed with the VAPID public key');
    assert.equal(usedKey.userVisibleOnly, true);
    const stored = await airlock.store.setMembers('push:subs:bob');
    assert.equal(stored.length, 1, 'the server stored the subscription for bob');

    // The registration id, from CDP, to deliver a push to the real worker.
    const cdp = await context.newCDPSession(page);
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> }) => {
      for (const r of event.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    await waitFor(() => registrations.has(`${airlock.url}/`), 10_000, 'the service worker registration over CDP');

    const alice = await airlock.token('alice', ['dev']);
    const address = airlock.postgres!;
    const run = psql({ ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: alice, PGSSLMODE: 'disable' }, ['-c', `DROP TABLE ${table}`]);
    const pattern = /held for approval \(id ([A-Za-z0-9_-]+)\)/;
    await waitFor(() => pattern.test(run.stderr), 10_000, 'the hold NOTICE');
    const id = pattern.exec(run.stderr)![1]!;

    const [push] = await pushService.waitFor(device.name);
    assert.equal(push!.status, 201, push!.error);
    const payload = JSON.parse(push!.payload!) as { id: string; url: string; title: string; body: string };
    assert.equal(payload.id, id);
    assert.equal(new URL(payload.url).pathname, `/approvals/${id}`);
    assert.equal(payload.title, 'Approval needed: postgres on app');
    assert.equal(payload.body, `alice (risk critical): DROP TABLE ${table}`);

    // CDP stands in for the push service. On a loaded machine Chromium has been seen to drop a delivery
    // to a worker it was still starting; a push service redelivers, and so does this: the notification's
    // tag is the request id, so a second delivery replaces the first and one notification is shown either way.
    let shown: Array<{ title: string; body: string; tag: string; url: string; actions: string[] }> = [];
    for (let attempt = 1; shown.length === 0; attempt++) {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: airlock.url, registrationId: registrations.get(`${airlock.url}/`)!, data: push!.payload! });
      const delivered = await waitFor(
        async () => {
          shown = await page.evaluate(
            'navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((list) => list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url, actions: (n.actions || []).map((a) => a.title) })))',
          );
          return shown.length > 0;
        },
        5_000,
        'the notification',
      ).then(
        () => true,
        (err: unknown) => {
          if (attempt >= 3) throw err;
          return false;
        },
      );
      if (delivered) break;
    }
    assert.deepEqual(shown, [{ title: 'Approval needed: postgres on app', body: `alice (risk critical): DROP TABLE ${table}`, tag: id, url: `${airlock.url}/approvals/${id}`, actions: ['Open'] }]);
    assert.ok(await tableExists(table), 'a notification decides nothing');

    // Deciding still needs the signed-in page; it remembers this device's notifications are on.
    await page.goto(`${airlock.url}/approvals/${id}`);
    await page.locator('#push-state').filter({ hasText: 'Notifications are on for this device.' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Stop notifications on this device' }).isVisible(), true);
    await page.getByRole('button', { name: 'Deny…' }).click();
    await page.getByLabel(/Why deny\?/).fill('push test done');
    await page.getByRole('button', { name: 'Deny request' }).click();
    await page.locator('#status').filter({ hasText: 'Denied' }).waitFor();
    const result = await run.done;
    assert.match(result.stderr, /denied by bob: push test done/);
    await page.getByRole('button', { name: 'Stop notifications on this device' }).click();
    await page.getByRole('button', { name: 'Notify me on this device' }).waitFor();
    assert.deepEqual(await airlock.store.setMembers('push:subs:bob'), [], 'the server forgot this device');
    assert.deepEqual(errors, []);
    await context.close();
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });
});
