import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startTestAirlock } from '../support/airlock-instance.js';
import { RecordingUpstream } from '../support/http-upstream.js';
import { REDIS, requireRedis, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * Two replicas sharing the real Redis: a WebSocket relayed by replica B is
 * closed with 1008 within a second of a revocation made on replica A, and a
 * request deferred on A (202) is redeemed once on B.
 */
describe('HTTP proxy across two replicas sharing Redis', () => {
  let a: Instance | undefined;
  let b: Instance | undefined;
  let upstream: RecordingUpstream;

  before(async () => {
    upstream = await new RecordingUpstream().start();
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-http-replicas-'));
    const prefix = `airlock-test-${randomUUID()}:`;
    const yaml = (name: string) => `
server: { data_dir: ${JSON.stringify(dataDir)}, replica_id: ${name} }
audit: { file: ${JSON.stringify(join(dataDir, `${name}-audit.log`))} }
# Not a test of outages: under load (3 test files at once) a request was once refused 503, store unavailable, most likely a Redis reply slower than the 500 ms default, which counts as an outage.
store: { kind: redis, redis: { url: "redis://${REDIS.host}:${REDIS.port}", key_prefix: "${prefix}", command_timeout: 3s } }
http: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - { name: api, protocol: http, upstream: { url: "${upstream.url}" }, hosts: [127.0.0.1] }
`;
    try {
      a = await startTestAirlock(yaml('replica-a'));
      b = await startTestAirlock(yaml('replica-b'));
    } catch (err) {
      if (process.env.CI) throw err;
    }
  });
  after(async () => {
    await a?.shutdown('test done');
    await b?.shutdown('test done');
    await upstream?.close();
  });

  it('closes a WebSocket on replica B with 1008 within a second of a revocation on replica A', async (t) => {
    if (!(await requireRedis(t)) || !a || !b) return;
    const erin = await a.token('erin', ['dev']);
    const ws = new WebSocket(`ws://127.0.0.1:${b.http!.port}/ws`, { headers: { authorization: `Bearer ${erin}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const admin = await a.token('root', ['airlock-admins']);
    const started = Date.now();
    const revoke = await fetch(`${a.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'subject', id: 'erin', reason: 'compromised' }) });
    assert.equal(revoke.status, 201, await revoke.text());
    assert.equal(await closed, 1008);
    assert.ok(Date.now() - started < 1000, `closed ${Date.now() - started} ms after the revocation`);
  });

  it('redeems on replica B, once, a request deferred on replica A', async (t) => {
    if (!(await requireRedis(t)) || !a || !b) return;
    const frank = await a.token('frank', ['dev']);
    const bob = await a.token('bob', ['approvers']);
    const headers = { authorization: `Bearer ${frank}`, prefer: 'respond-async' };
    const first = await fetch(`http://127.0.0.1:${a.http!.port}/reports/9`, { method: 'DELETE', headers });
    assert.equal(first.status, 202);
    const id = first.headers.get('airlock-approval')!;
    const record = (await a.broker.get(id))!;
    const decided = await fetch(`${b.url}/v1/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ action_hash: record.action.hash }) });
    assert.equal(decided.status, 200, await decided.text());
    const [onB, onA] = await Promise.all([
      fetch(`http://127.0.0.1:${b.http!.port}/reports/9`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id } }),
      fetch(`http://127.0.0.1:${a.http!.port}/reports/9`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id } }),
    ]);
    assert.deepEqual([onB.status, onA.status].sort(), [200, 403], 'exactly one of two concurrent retries runs');
    await waitFor(() => upstream.count('DELETE', '/reports/9') === 1, 2000, 'the DELETE upstream');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(upstream.count('DELETE', '/reports/9'), 1, 'forwarded exactly once');
  });
});
