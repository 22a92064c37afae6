import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { direct, psql, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/** Desktop and phone widths the approval page must work at (a phone is where approvers often are). */
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800, isMobile: false },
  { name: 'phone', width: 390, height: 844, isMobile: true },
] as const;

/**
 * The approval page at desktop and phone width in a real browser: nothing
 * overflows sideways, the decision buttons are on screen and big enough to
 * tap, the command wraps. Writes the screenshots the README shows when
 * AIRLOCK_SCREENSHOTS is set (docs/screenshots/).
 */
describe('e2e: the approval page at desktop and phone width', () => {
  const browser = new BrowserHandle();
  let airlock: Instance;

  before(async () => {
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
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

  it('fits the screen and keeps Approve and Deny tappable at both widths', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('web_layout_a_rather_long_table_name');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const address = airlock.postgres!;
    const alice = await airlock.token('alice', ['dev']);
    const bob = await airlock.token('bob', ['approvers']);
    const run = psql({ ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: alice, PGSSLMODE: 'disable', PGOPTIONS: '-c airlock.reason=INC-2042\\ nightly\\ cleanup' }, ['-c', `DROP TABLE ${table} /* ${'x'.repeat(200)} */`]);
    const pattern = /held for approval \(id ([A-Za-z0-9_-]+)\)/;
    await waitFor(() => pattern.test(run.stderr), 10_000, 'the hold NOTICE');
    const id = pattern.exec(run.stderr)![1]!;
    const shots = process.env.AIRLOCK_SCREENSHOTS ? 'docs/screenshots' : null;
    if (shots) mkdirSync(shots, { recursive: true });
    for (const viewport of VIEWPORTS) {
      const context = await (await browser.get()).newContext({ viewport: { width: viewport.width, height: viewport.height }, isMobile: viewport.isMobile, hasTouch: viewport.isMobile, deviceScaleFactor: viewport.isMobile ? 2 : 1 });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${airlock.url}/approvals/${id}`);
      await page.getByLabel('Access token (JWT)').fill(bob);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('#request').waitFor({ state: 'visible' });
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(Number(overflow) <= 0, `${viewport.name}: the page scrolls sideways by ${String(overflow)} px`);
      for (const name of ['Approve', 'Deny…']) {
        const button = page.getByRole('button', { name, exact: true });
        const box = await button.boundingBox();
        assert.ok(box, `${viewport.name}: ${name} is rendered`);
        assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `${viewport.name}: ${name} is within the screen width`);
        assert.ok(box.height >= 40 && box.width >= 44, `${viewport.name}: ${name} is big enough to tap (${box.width}x${box.height})`);
      }
      const command = await page.locator('#f-command').boundingBox();
      assert.ok(command && command.x + command.width <= viewport.width, `${viewport.name}: the command wraps inside the screen`);
      if (shots) await page.screenshot({ path: `${shots}/approval-${viewport.name}.png`, fullPage: true });
      await context.close();
    }
    run.child.kill();
    await run.done.catch(() => undefined);
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
  });
});
