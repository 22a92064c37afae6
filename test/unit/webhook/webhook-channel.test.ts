import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebhookChannel } from '../../../src/approvals/channels/webhook-channel.js';
import { verifyRequestSignature } from '../../../src/control/request-signature.js';
import { NOW, harness, makeRecord, silentLogger } from '../slack/fixtures.js';

const SECRET = 'webhook-secret-0123456789';
const LINKS = { url: 'https://airlock.example/approvals/x', approveCommand: 'airlock approve x', denyCommand: 'airlock deny x' };

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly status: number;
}

describe('WebhookChannel', () => {
  const received: Received[] = [];
  const script: { status: number; headers?: Record<string, string> }[] = [];
  let server: Server;
  let url = '';
  before(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const next = script.shift() ?? { status: 204 };
      received.push({ headers: req.headers, body: Buffer.concat(chunks), status: next.status });
      res.writeHead(next.status, next.headers ?? {});
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
    script.length = 0;
  });

  function channel(retries = 3, target = url) {
    const h = harness();
    const ch = new WebhookChannel({
      config: { url: target, secret: SECRET, timeout: 1000, retries, max_queue: 10 },
      logger: silentLogger,
      bus: h.bus,
      clock: h.clock,
      backoffBaseMs: 5,
    });
    return { ...h, ch };
  }

  it('POSTs signed JSON that verifies with the Slack scheme, secrets masked, then updates', async () => {
    const { ch } = channel();
    const record = makeRecord({ command: "ALTER ROLE x PASSWORD 'hunter2'" });
    await ch.notify(record, LINKS);
    await ch.update({ ...record, status: 'approved', resolution: { status: 'approved', at: NOW, by: ['bob'], reason: 'approved by bob' } });
    await ch.idle();
    assert.equal(received.length, 2);
    for (const r of received) {
      assert.equal(r.headers['content-type'], 'application/json');
      const check = await verifyRequestSignature({
        secret: SECRET,
        timestamp: r.headers['x-airlock-timestamp'] as string,
        signature: r.headers['x-airlock-signature'] as string,
        body: r.body,
        nowMs: NOW,
      });
      assert.deepEqual(check, { ok: true });
    }
    const first = JSON.parse(received[0]!.body.toString());
    assert.equal(first.type, 'approval.requested');
    assert.equal(first.request.id, record.id);
    assert.equal(first.request.action.hash, record.action.hash);
    assert.equal(first.request.action.command, "ALTER ROLE x PASSWORD '****'");
    assert.equal(first.request.action.command_masked, true);
    assert.equal(first.links.url, LINKS.url);
    assert.ok(!received[0]!.body.toString().includes('hunter2'));
    const second = JSON.parse(received[1]!.body.toString());
    assert.equal(second.type, 'approval.updated');
    assert.deepEqual(second.request.resolution.by, ['bob']);
  });

  it('retries 5xx and 429 (Retry-After) with the same delivery id, then succeeds', async () => {
    const { ch } = channel();
    script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '0' } });
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.deepEqual(received.map((r) => r.status), [503, 429, 204]);
    assert.equal(new Set(received.map((r) => r.headers['x-airlock-delivery'])).size, 1);
    assert.deepEqual(ch.stats(), { queued: 0, sent: 1, failed: 0, dropped: 0 });
  });

  it('does not retry a 4xx refusal, and reports it', async () => {
    const { ch, events } = channel();
    script.push({ status: 400 });
    await ch.notify(makeRecord(), LINKS);
    await ch.idle();
    assert.equal(received.length, 1);
    assert.equal(ch.stats().failed, 1);
    assert.match(String(events.find((e) => e.type === 'approval.notify_failed')?.reason), /HTTP 400 \(not retried\)/);
  });

  it('never throws when the receiver is unreachable: gives up after the configured retries', async () => {
    const { ch, events } = channel(2, 'http://127.0.0.1:1/unreachable');
    await assert.doesNotReject(ch.notify(makeRecord(), LINKS));
    await ch.idle();
    assert.equal(ch.stats().failed, 1);
    const failed = events.find((e) => e.type === 'approval.notify_failed');
    assert.match(String(failed?.reason), /after 3 attempts: network error/);
    assert.equal(failed?.data?.['channel'], 'webhook');
  });
});
