import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestAirlock } from '../support/airlock-instance.js';
import { shellBoxConfig } from '../support/shell-box-config.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { BrowserHandle, requireChromium } from '../support/browser.js';
import { waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// The browser terminal (/terminal/TARGET) in Debian's Chromium: xterm.js over
// the WebSocket terminal, under the pages' strict CSP (no violation allowed),
// with the same line gate as ssh.
describe('e2e: the browser terminal', () => {
  let airlock: Instance;
  const browser = new BrowserHandle();
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-web-terminal-'));

  before(async () => {
    airlock = await startTestAirlock(shellBoxConfig(scratch, 'web_token_form: true'));
  });
  after(async () => {
    await browser.close();
    await airlock?.shutdown('test done');
    rmSync(scratch, { recursive: true, force: true });
  });

  const screen = async (page: Page) => String(await page.evaluate("(document.querySelector('.xterm-rows') || {}).innerText || ''"));

  it('signs in, runs a line, holds a risky one until another user approves it, with no CSP violation', async (t) => {
    if (!requireChromium(t)) return;
    const page = await (await browser.get()).newPage();
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))");
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await page.goto(`${airlock.url}/terminal/box`);
    await page.getByLabel('Access token (JWT)').fill(await airlock.token('alice', ['engineers']));
    await page.getByRole('button', { name: 'Continue' }).click();
    // Keys typed before bash's prompt is back go to the running program, and an unfinished line typed then is
    // dropped at the prompt (docs/shell.md): like a person, the test waits for the prompt before typing.
    const atPrompt = async () => /box:\S*[$#]\s*$/.test(`${(await screen(page)).trimEnd().split('\n').at(-1)} `);
    await waitFor(atPrompt, 15_000, 'the prompt in the browser terminal');

    await page.keyboard.type('echo hello from the browser');
    await page.keyboard.press('Enter');
    await waitFor(async () => /^hello from the browser$/m.test(await screen(page)), 10_000, 'the echo output');
    await waitFor(atPrompt, 10_000, 'the prompt after echo');

    const victim = join(scratch, 'victim');
    mkdirSync(victim);
    await page.keyboard.type(`rm -rf ${victim}`);
    await page.keyboard.press('Enter');
    await waitFor(async () => heldApprovalId(await screen(page)) !== null, 10_000, 'the hold notice in the browser terminal').catch(async (e) => {
      throw new Error(`${(e as Error).message}; the terminal shows: ${JSON.stringify(await screen(page))}`);
    });
    assert.ok(existsSync(victim), 'nothing ran while held');
    const id = heldApprovalId(await screen(page)) as string;
    const bob = await airlock.token('bob', ['approvers']);
    const headers = { authorization: `Bearer ${bob}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const approved = await fetch(`${airlock.url}/v1/approvals/${id}/approve`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash }) });
    assert.equal(approved.status, 200);
    await waitFor(() => !existsSync(victim), 10_000, 'the approved rm to run');
    await waitFor(atPrompt, 10_000, 'the next prompt');

    // Ctrl-C at Airlock's prompt drops the line.
    await page.keyboard.type('rm -rf /tmp/never');
    await page.keyboard.press('Control+C');
    await waitFor(async () => /rm -rf \/tmp\/never\^C/.test(await screen(page)), 10_000, 'the dropped line');
    await waitFor(atPrompt, 10_000, 'the prompt after Ctrl-C');

    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    await waitFor(async () => /exited with status 3/.test((await page.locator('#status').textContent()) ?? ''), 10_000, 'the exit status');
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
    assert.deepEqual(errors, [], 'no page error');
    await page.close();
  });

  it('serves only the xterm files it names, and no terminal for a malformed target name', async () => {
    const css = await fetch(`${airlock.url}/assets/xterm/xterm.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    assert.equal((await fetch(`${airlock.url}/assets/xterm/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${airlock.url}/assets/xterm/package.json`)).status, 404);
    assert.equal((await fetch(`${airlock.url}/terminal/${encodeURIComponent('../etc')}`)).status, 404);
  });
});
