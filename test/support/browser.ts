import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (apt-get install -y chromium); Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.AIRLOCK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ensures Chromium is installed. In CI (CI=true) its absence fails the test
 * and names the binary and package; elsewhere the test skips. Returns false
 * when the caller should return early.
 */
export function requireChromium(t: TestContext): boolean {
  if (executable(CHROMIUM_PATH)) return true;
  const message = `Chromium is not installed at ${CHROMIUM_PATH} (Debian package "chromium": apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`${message}; the browser tests require it in CI`);
  t.skip(message);
  return false;
}

/** One headless Chromium per test file, launched on first use. */
export class BrowserHandle {
  private browser: Promise<Browser> | null = null;

  get(): Promise<Browser> {
    this.browser ??= chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], timeout: 30_000 });
    return this.browser;
  }

  async close(): Promise<void> {
    const pending = this.browser;
    this.browser = null;
    if (pending) await pending.then((b) => b.close(), () => undefined);
  }
}
