import { connect } from 'node:net';
import type { TestContext } from 'node:test';

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Ensures a real server the test needs is up. In CI (CI=true) an absent
 * server fails the test and names what is missing; elsewhere the test skips.
 * Returns false when the caller should return early.
 */
export async function requireService(t: TestContext, name: string, host: string, port: number): Promise<boolean> {
  if (await reachable(host, port)) return true;
  const message = `${name} is not reachable at ${host}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${message} (required in CI)`);
  t.skip(message);
  return false;
}

export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;
export const REDIS = { host: '127.0.0.1', port: 6379 } as const;

export function requirePostgres(t: TestContext): Promise<boolean> {
  return requireService(t, 'PostgreSQL', POSTGRES.host, POSTGRES.port);
}

export function requireRedis(t: TestContext): Promise<boolean> {
  return requireService(t, 'Redis', REDIS.host, REDIS.port);
}

/** Resolves when `predicate` returns true, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
