import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { hasChannelModules, loadChannelModules } from '../../../src/approvals/channels/channel-modules.js';
import { PushChannel } from '../../../src/approvals/channels/push-channel.js';
import { generateVapidKeys } from '../../../src/approvals/channels/vapid-keys.js';
import { ApproverDirectory } from '../../../src/approvals/approver-directory.js';
import { PushSubscriptions } from '../../../src/approvals/push-subscriptions.js';
import { EventBus } from '../../../src/audit/events.js';
import type { ApprovalRecord } from '../../../src/model/approval-record.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { systemClock } from '../../../src/time/clock.js';
import { parseConfig } from '../../../src/config/load.js';
import { principal, silentLogger } from '../../support/core-fixtures.js';
import { LocalPushService, type TestSubscription } from '../../support/push-service.js';
import { REDIS, requireRedis, waitFor } from '../../support/services.js';
import { randomUUID } from 'node:crypto';
import { redisSchema } from '../../../src/config/sections/store.js';
import { RedisStore } from '../../../src/store/redis-store.js';

const LINKS = { url: 'https://airlock.example/approvals/REQ', approveCommand: 'airlock approve REQ', denyCommand: 'airlock deny REQ' };
let counter = 0;

function record(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  counter++;
  const now = Date.now();
  return {
    id: `pushReq${counter}`.padEnd(22, 'A'),
    kind: 'approval',
    status: 'pending',
    createdAt: now,
    expiresAt: now + 600_000,
    requester: { subject: 'alice', groups: ['dba'] },
    action: {
      hash: 'h'.repeat(64),
      protocol: 'postgres',
      target: 'prod-db',
      sessionId: 's1',
      source: '10.0.0.7',
      command: "ALTER ROLE app PASSWORD 'hunter2-very-secret'",
      risk: 'critical',
      rules: ['roles'],
      facts: { kinds: ['alter_role'], objects: [], flags: [] },
    },
    requirement: { kind: 'approval', mode: 'all', quorums: [{ group: 'dba', count: 1 }], timeoutMs: 600_000, mfa: false },
    eligible: '1 of dba',
    votes: [],
    replica: 'r1',
    ...overrides,
  };
}

describe('PushChannel against a local push service (VAPID checked, RFC 8291 payload decrypted)', () => {
  const service = new LocalPushService();
  before(() => service.start());
  after(() => service.close());

  function setup(options: { maxQueue?: number; retries?: number; directory?: ConstructorParameters<typeof ApproverDirectory>[0]['entries'] } = {}) {
    const store = new MemoryStore({ clock: systemClock });
    const registry = new Registry();
    const bus = new EventBus();
    const subscriptions = new PushSubscriptions({ store, clock: systemClock, maxPerUser: 3, endpointHosts: ['127.0.0.1', 'push.example.com'] });
    const channel = new PushChannel({
      config: { subject: 'mailto:ops@example.com', ttl: 600_000, timeout: 5000, retries: options.retries ?? 2, max_queue: options.maxQueue ?? 100 },
      keys: generateVapidKeys(),
      subscriptions,
      directory: new ApproverDirectory({ entries: options.directory ?? [], clock: systemClock }),
      logger: silentLogger,
      bus,
      clock: systemClock,
      registry,
      backoffBaseMs: 5,
    });
    const device = async (subject: string, groups: string[]): Promise<TestSubscription> => {
      const sub = service.subscribe();
      await subscriptions.save(principal(subject, groups), { endpoint: sub.endpoint, keys: sub.keys, expirationTime: null });
      return sub;
    };
    return { store, registry, subscriptions, channel, device, close: async () => { await channel.close(); await store.close(); } };
  }

  it('an eligible approver gets the decrypted payload with id and url, secrets masked; the requester and non-approvers get nothing', async () => {
    const { channel, device, close } = setup();
    const bob = await device('bob', ['dba']);
    const alice = await device('alice', ['dba']);
    const carol = await device('carol', ['dev']);
    const request = record();
    await channel.notify(request, { ...LINKS, url: `https://airlock.example/approvals/${request.id}` });
    await channel.idle();
    const [push] = await service.waitFor(bob.name);
    assert.equal(push!.status, 201, push!.error);
    assert.equal(push!.vapidSubject, 'mailto:ops@example.com');
    assert.equal(push!.ttl, '600');
    const payload = JSON.parse(push!.payload!) as Record<string, string>;
    assert.equal(payload.id, request.id);
    assert.equal(payload.kind, 'approval');
    assert.equal(payload.url, `https://airlock.example/approvals/${request.id}`);
    assert.equal(payload.title, 'Approval needed: postgres on prod-db');
    assert.match(payload.body!, /^alice \(risk critical\): ALTER ROLE app PASSWORD '\*\*\*\*'$/);
    assert.ok(!push!.payload!.includes('hunter2'), 'the password never leaves the process');
    assert.ok(!/approve\?|token|action_hash/i.test(push!.payload!), 'no approve-by-link');
    assert.deepEqual(service.for(alice.name), [], 'the requester is never asked to approve their own request');
    assert.deepEqual(service.for(carol.name), [], 'not an approver of dba');
    assert.equal(channel.stats().sent, 2, 'the recipients lookup and one push');
    await close();
  });

  it('the directory, when it knows a person, decides their groups over the token they subscribed with', async () => {
    const { channel, device, close } = setup({ directory: [{ subject: 'dave', groups: ['dev'] }] });
    const dave = await device('dave', ['dba']);
    await channel.notify(record(), LINKS);
    await channel.idle();
    assert.deepEqual(service.for(dave.name), []);
    await close();
  });

  it("a step-up request goes to the requester's own devices only", async () => {
    const { channel, device, close } = setup();
    const bob = await device('bob', ['dba']);
    const alice = await device('alice', ['dev']);
    const request = record({ kind: 'step_up', requirement: { kind: 'step_up', timeoutMs: 180_000 } as unknown as ApprovalRecord['requirement'], eligible: 'the requester with TOTP' });
    await channel.notify(request, LINKS);
    await channel.idle();
    const [push] = await service.waitFor(alice.name);
    const payload = JSON.parse(push!.payload!) as Record<string, string>;
    assert.equal(payload.kind, 'step_up');
    assert.equal(payload.title, 'Confirm your own action: postgres on prod-db');
    assert.deepEqual(service.for(bob.name), []);
    await close();
  });

  it('410 and 404 remove the subscription (counted as gone); the next request skips it', async () => {
    const { channel, device, subscriptions, registry, close } = setup();
    const gone = await device('bob', ['dba']);
    const missing = await device('bob', ['dba']);
    const kept = await device('bob', ['dba']);
    service.script(gone.name, 410);
    service.script(missing.name, 404);
    await channel.notify(record(), LINKS);
    await channel.idle();
    assert.deepEqual((await subscriptions.list('bob')).map((s) => s.endpoint), [kept.endpoint]);
    const metrics = await registry.getMetricsAsJSON();
    const pushes = metrics.find((m) => m.name === 'airlock_push_messages_total')!;
    const count = (outcome: string) => pushes.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    assert.equal(count('gone'), 2);
    assert.equal(count('sent'), 1);
    await channel.notify(record(), LINKS);
    await channel.idle();
    assert.equal(service.for(gone.name).length, 1, 'no second push to a gone subscription');
    assert.equal(service.for(kept.name).length, 2);
    await close();
  });

  it('500 and 429 are retried with backoff until the push service accepts', async () => {
    const { channel, device, registry, close } = setup({ retries: 3 });
    const bob = await device('bob', ['dba']);
    service.script(bob.name, 500, 429);
    await channel.notify(record(), LINKS);
    await channel.idle();
    assert.deepEqual(service.for(bob.name).map((r) => r.status), [500, 429, 201]);
    assert.equal(channel.stats().failed, 0);
    const text = await registry.metrics();
    assert.match(text, /airlock_push_messages_total\{outcome="retried"\} 2/);
    assert.match(text, /airlock_approval_channel_deliveries_total\{channel="push",outcome="sent"\} 2/);
    await close();
  });

  it('gives up after its retries and counts the failure; a 400 is not retried', async () => {
    const { channel, device, close } = setup({ retries: 1 });
    const flaky = await device('bob', ['dba']);
    const refused = await device('carol', ['dba']);
    service.script(flaky.name, 503, 503);
    service.script(refused.name, 400);
    await channel.notify(record(), LINKS);
    await channel.idle();
    assert.equal(service.for(flaky.name).length, 2);
    assert.equal(service.for(refused.name).length, 1);
    assert.equal(channel.stats().failed, 2);
    await close();
  });

  it('holds its queue cap: pushes beyond max_queue are dropped and counted, never queued without bound', async () => {
    const { channel, device, close } = setup({ maxQueue: 3 });
    const devices: TestSubscription[] = [];
    for (const subject of ['b1', 'b2', 'b3', 'b4', 'b5']) devices.push(await device(subject, ['dba']));
    const releases = devices.map((d) => service.hold(d.name));
    await channel.notify(record(), LINKS);
    await waitFor(() => channel.stats().dropped > 0, 5000, 'a dropped push');
    assert.ok(channel.stats().queued <= 3, `queued ${channel.stats().queued}`);
    releases.forEach((release) => release());
    await channel.idle();
    const stats = channel.stats();
    assert.equal(stats.queued, 0);
    assert.equal(stats.dropped, 3, 'five pushes, room for three (the recipients lookup held one slot)');
    assert.equal(stats.sent, 3);
    await close();
  });

  it('keeps at most max_subscriptions_per_user devices (the oldest make room) and checks what it stores', async () => {
    const { subscriptions, close } = setup();
    const bob = principal('bob', ['dba']);
    const subs = [service.subscribe(), service.subscribe(), service.subscribe(), service.subscribe()];
    for (const sub of subs) await subscriptions.save(bob, { endpoint: sub.endpoint, keys: sub.keys });
    assert.deepEqual(new Set((await subscriptions.list('bob')).map((s) => s.endpoint)), new Set(subs.slice(1).map((s) => s.endpoint)));
    const keys = subs[0]!.keys;
    const refused = async (body: unknown, pattern: RegExp) => assert.rejects(subscriptions.save(bob, body), (err: Error & { code?: string }) => err.code === 'AIRLOCK_BAD_REQUEST' && pattern.test(err.message));
    await refused({ endpoint: 'http://push.example.com/x', keys }, /must be https/);
    await refused({ endpoint: 'https://169.254.169.254/latest', keys }, /not a configured push service/);
    await refused({ endpoint: 'https://push.example.com.evil.test/x', keys }, /not a configured push service/);
    await refused({ endpoint: 'https://user:pw@push.example.com/x', keys }, /credentials/);
    await refused({ endpoint: 'ftp://127.0.0.1/x', keys }, /must be https/);
    await refused({ endpoint: `https://push.example.com/${'x'.repeat(3000)}`, keys }, /longer than/);
    await refused({ endpoint: 'https://push.example.com/x', keys: { ...keys, p256dh: keys.p256dh.slice(2) } }, /p256dh/);
    await refused({ endpoint: 'https://push.example.com/x', keys: { ...keys, auth: 'AAAA' } }, /auth/);
    await refused({ endpoint: 'https://push.example.com/x' }, /p256dh/);
    await refused(['https://push.example.com/x'], /endpoint is required/);
    const offCurve = Buffer.alloc(65, 1);
    offCurve[0] = 0x04;
    await refused({ endpoint: 'https://push.example.com/x', keys: { ...keys, p256dh: offCurve.toString('base64url') } }, /not a point on P-256/);
    await subscriptions.save(bob, { endpoint: 'https://push.example.com/ok', keys });
    // One browser, then someone else signs in there and turns notifications on: the device is theirs now.
    await subscriptions.save(principal('carol', ['dba']), { endpoint: 'https://push.example.com/ok', keys });
    assert.ok(!(await subscriptions.list('bob')).some((s) => s.endpoint === 'https://push.example.com/ok'));
    assert.deepEqual((await subscriptions.list('carol')).map((s) => s.endpoint), ['https://push.example.com/ok']);
    await close();
  });

  it('is loaded lazily: web-push is imported only when the config enables push', async () => {
    const without = parseConfig('approvals: { channels: { console: { enabled: false } } }', 'test', {});
    assert.equal((await loadChannelModules(without)).push, undefined);
    const withPush = parseConfig('approvals: { channels: { push: { subject: "mailto:ops@example.com" } } }', 'test', {});
    assert.equal(hasChannelModules(withPush, {}), false);
    const modules = await loadChannelModules(withPush);
    assert.equal(typeof modules.push?.PushChannel, 'function');
  });

  it('replicas on one Redis share subscriptions: one stores, the other sends and removes a gone one', async (t) => {
    if (!(await requireRedis(t))) return;
    const config = redisSchema.parse({ url: `redis://${REDIS.host}:${REDIS.port}`, key_prefix: `test:${randomUUID()}:` });
    const [storeA, storeB] = [await RedisStore.open({ config }), await RedisStore.open({ config })];
    try {
      const options = { clock: systemClock, maxPerUser: 3, endpointHosts: ['127.0.0.1'] };
      const onA = new PushSubscriptions({ store: storeA, ...options });
      const onB = new PushSubscriptions({ store: storeB, ...options });
      const kept = service.subscribe();
      const gone = service.subscribe();
      await onA.save(principal('bob', ['dba']), { endpoint: kept.endpoint, keys: kept.keys });
      await onA.save(principal('bob', ['dba']), { endpoint: gone.endpoint, keys: gone.keys });
      service.script(gone.name, 410);
      const channel = new PushChannel({
        config: { subject: 'https://airlock.example/contact', ttl: 60_000, timeout: 5000, retries: 1, max_queue: 10 },
        keys: generateVapidKeys(),
        subscriptions: onB,
        directory: new ApproverDirectory({ entries: [], clock: systemClock }),
        logger: silentLogger,
        bus: new EventBus(),
        clock: systemClock,
      });
      await channel.notify(record(), LINKS);
      await channel.idle();
      assert.equal(service.for(kept.name)[0]?.status, 201);
      assert.equal(service.for(kept.name)[0]?.vapidSubject, 'https://airlock.example/contact');
      assert.deepEqual((await onA.list('bob')).map((s) => s.endpoint), [kept.endpoint], 'replica A sees what replica B removed');
      await channel.close();
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });
});
