import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

describe('control API', () => {
  let airlock: Instance;
  let token: string;

  before(async () => {
    // Merged YAML: later keys win, so this just sets a small body limit.
    airlock = await startTestAirlock('postgres: { enabled: false }\n', {});
    token = await airlock.token('bob', ['approvers']);
  });
  after(async () => airlock.shutdown('test done'));

  async function call(path: string, init: RequestInit = {}) {
    const response = await fetch(`${airlock.url}${path}`, init);
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  it('answers health and readiness', async () => {
    assert.deepEqual((await call('/healthz')).body, { status: 'ok' });
    const ready = await call('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body['status'], 'ready');
  });

  it('exposes Prometheus metrics', async () => {
    const response = await fetch(`${airlock.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /airlock_/);
  });

  it('answers unknown routes, bad tokens, malformed JSON and oversized bodies with JSON problems', async () => {
    const unknown = await call('/nope');
    assert.equal(unknown.status, 404);
    assert.match(unknown.type, /application\/problem\+json/);
    assert.equal(unknown.body['code'], 'AIRLOCK_NOT_FOUND');

    const noToken = await call('/v1/approvals');
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body['code'], 'AIRLOCK_UNAUTHENTICATED');

    const badToken = await call('/v1/approvals', { headers: { authorization: 'Bearer not.a.jwt' } });
    assert.equal(badToken.status, 401);
    assert.equal(badToken.body['code'], 'AIRLOCK_TOKEN_INVALID');

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const malformed = await call('/v1/approvals/abc/approve', { method: 'POST', headers, body: '{"action_hash": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body['code'], 'AIRLOCK_BAD_REQUEST');

    const oversized = await call('/v1/approvals/abc/approve', { method: 'POST', headers, body: JSON.stringify({ reason: 'x'.repeat(200_000) }) });
    assert.equal(oversized.status, 413);
    assert.equal(oversized.body['code'], 'AIRLOCK_PAYLOAD_TOO_LARGE');

    const proto = await call('/v1/approvals/abc/approve', { method: 'POST', headers, body: '{"__proto__": {"x": 1}}' });
    assert.equal(proto.status, 400);

    const missing = await call('/v1/approvals/abc/approve', { method: 'POST', headers, body: JSON.stringify({ action_hash: 'a' }) });
    assert.equal(missing.status, 404);
    assert.equal(missing.body['code'], 'AIRLOCK_APPROVAL_NOT_FOUND');

    const wrongType = await call('/v1/approvals/abc/deny', { method: 'POST', headers, body: JSON.stringify({ reason: 42 }) });
    assert.equal(wrongType.status, 400);

    // Still serving after all of that.
    assert.equal((await call('/healthz')).status, 200);
  });

  it('CLI: a refusal by the server exits 1 with its code; a missing token is a usage error (2); no server exits 1', async () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], { env: { ...process.env, AIRLOCK_TOKEN: '', ...env } });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
    const unknown = await run(['deny', 'no-such-request', '--reason', 'x', '--url', airlock.url, '--token', token]);
    assert.equal(unknown.status, 1, unknown.stderr);
    assert.match(unknown.stderr, /\(AIRLOCK_[A-Z_]+\)/);
    const noToken = await run(['pending', '--url', airlock.url]);
    assert.equal(noToken.status, 2, noToken.stderr);
    assert.match(noToken.stderr, /no token/);
    const unreachable = await run(['pending', '--url', 'http://127.0.0.1:1', '--token', token]);
    assert.equal(unreachable.status, 1, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach the control API/);
  });
});
