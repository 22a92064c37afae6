import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { redisSchema } from '../../../src/config/sections/store.js';
import { StoreUnavailableError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/store/redis-store.js';
import type { Store } from '../../../src/store/store.js';
import { waitFor } from '../../support/services.js';
import { RedisServer, requireRedisServerBinary } from '../../support/redis-server.js';
import { approvalRecord, resolution, vote } from '../../support/store-suite.js';

const COMMAND_TIMEOUT_MS = 500;
/** Fail closed "quickly": the configured timeout plus scheduling slack, never a hang. */
const FAIL_DEADLINE_MS = COMMAND_TIMEOUT_MS + 400;

const binary = requireRedisServerBinary();

async function rejectsQuickly(call: Promise<unknown>, what: string): Promise<void> {
  const started = Date.now();
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof StoreUnavailableError, `${what}: expected StoreUnavailableError, got ${String(err)}`);
    assert.equal(err.code, 'AIRLOCK_STORE_UNAVAILABLE');
    assert.equal(err.message, 'approval store unavailable');
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < FAIL_DEADLINE_MS, `${what} took ${elapsed} ms to fail`);
}

/** Every Store method, called once with harmless arguments. */
function everyCall(store: Store): Record<string, () => Promise<unknown>> {
  const id = randomUUID();
  return {
    createApproval: () => store.createApproval(approvalRecord({ id }), 60_000),
    getApproval: () => store.getApproval(id),
    listApprovals: () => store.listApprovals(),
    listOpenApprovals: () => store.listOpenApprovals(),
    addVote: () => store.addVote(id, vote('bob')),
    transitionApproval: () => store.transitionApproval(id, 'pending', 'denied', resolution('denied')),
    watchApproval: () => store.watchApproval(id, () => undefined),
    getValue: () => store.getValue('k'),
    setValue: () => store.setValue('k', 'v'),
    deleteValue: () => store.deleteValue('k'),
    raiseHighWater: () => store.raiseHighWater('hw', 1, 1000),
    hitCounter: () => store.hitCounter('c', 1000),
    recordEvent: () => store.recordEvent('e', Date.now(), 1000),
    countEvents: () => store.countEvents('e', 0),
    addToSet: () => store.addToSet('s', 'm'),
    removeFromSet: () => store.removeFromSet('s', 'm'),
    setMembers: () => store.setMembers('s'),
    publish: () => store.publish('t', 'm'),
    subscribe: () => store.subscribe('t', () => undefined),
    ping: () => store.ping(),
  };
}

if (!binary) {
  it.skip('RedisStore faults (redis-server binary not found on PATH)');
} else {
  describe('RedisStore under faults', () => {
    let server: RedisServer;
    let prefix: string;
    const stores: RedisStore[] = [];

    async function open(): Promise<RedisStore> {
      const config = redisSchema.parse({ url: server.url, key_prefix: prefix, command_timeout: `${COMMAND_TIMEOUT_MS}ms` });
      const store = await RedisStore.open({ config });
      stores.push(store);
      return store;
    }

    async function untilUsable(store: Store): Promise<void> {
      await waitFor(() => store.ping().then(() => true, () => false), 10_000, 'store usable again');
    }

    before(async () => {
      server = await RedisServer.start(binary);
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await server.restart(); // a test that stopped the server leaves it running for the next
      server.resume();
      prefix = `faults:${randomUUID()}:`;
    });
    after(async () => {
      await server.close();
    });
    prefix = `faults:${randomUUID()}:`;

    it('Redis killed: every call rejects with StoreUnavailableError, quickly, and each failure is reported by operation', async () => {
      const reported: string[] = [];
      const config = redisSchema.parse({ url: server.url, key_prefix: prefix, command_timeout: `${COMMAND_TIMEOUT_MS}ms` });
      const store = await RedisStore.open({ config, onError: (operation) => reported.push(operation) });
      stores.push(store);
      await store.ping();
      await server.stop();
      const calls = Object.entries(everyCall(store));
      for (const [name, call] of calls) await rejectsQuickly(call(), name);
      assert.ok(reported.length >= calls.length, `reported ${reported.length} of ${calls.length}: ${reported.join(',')}`);
      assert.ok(reported.includes('ping'));
    });

    it('Redis hung (SIGSTOP): calls time out after command_timeout instead of hanging', async () => {
      const store = await open();
      await store.ping();
      server.pause();
      await rejectsQuickly(store.getValue('k'), 'getValue on a hung server');
      await rejectsQuickly(store.transitionApproval('x', 'pending', 'denied', resolution('denied')), 'transition on a hung server');
      await rejectsQuickly(store.ping(), 'ping on a hung server');
      server.resume();
      await untilUsable(store);
    });

    it('Redis restarted: the same store works again without being recreated', async () => {
      const store = await open();
      await store.setValue('before', '1');
      await server.stop();
      await rejectsQuickly(store.getValue('before'), 'getValue while down');
      await server.restart();
      await untilUsable(store);
      assert.equal(await store.getValue('before'), null, 'the restarted server has no persistence');
      assert.equal(await store.setValue('after', '2'), true);
      assert.equal(await store.getValue('after'), '2');
    });

    it('Redis down at startup: open() returns, calls fail closed, then work once Redis is up', async () => {
      await server.stop();
      const started = Date.now();
      const store = await open();
      assert.ok(Date.now() - started < 5000);
      await rejectsQuickly(store.ping(), 'ping before Redis ever answered');
      await server.restart();
      await untilUsable(store);
      await store.createApproval(approvalRecord(), 60_000);
    });

    it('a subscription made before a restart receives messages published after it', async () => {
      const subscriberStore = await open();
      const publisherStore = await open();
      const received: string[] = [];
      await subscriberStore.subscribe('revocations', (m) => received.push(m));
      await server.stop();
      await server.restart();
      await untilUsable(subscriberStore);
      await untilUsable(publisherStore);
      // Resubscription completes asynchronously; publish until it is seen, with a deadline.
      await waitFor(
        async () => {
          await publisherStore.publish('revocations', 'after-restart').catch(() => undefined);
          return received.includes('after-restart');
        },
        5000,
        'message after resubscribe',
      );
    });

    it('an approval watcher is woken after the subscriber reconnects, so it re-reads', async () => {
      const store = await open();
      const record = approvalRecord();
      await store.createApproval(record, 60_000);
      let calls = 0;
      await store.watchApproval(record.id, () => calls++);
      await server.stop();
      await server.restart();
      await waitFor(() => calls > 0, 10_000, 'wake-up after reconnect');
    });

    it('two replicas see each other’s votes, and a transition on one wakes a watcher on the other', async () => {
      const a = await open();
      const b = await open();
      const record = approvalRecord();
      await a.createApproval(record, 60_000);
      assert.equal((await b.addVote(record.id, vote('bob'))).added, true);
      assert.deepEqual((await a.getApproval(record.id))?.votes.map((v) => v.approver), ['bob']);
      assert.equal((await a.addVote(record.id, vote('bob'))).added, false, 'one vote per approver across replicas');

      let woken!: () => void;
      const wake = new Promise<void>((resolve) => (woken = resolve));
      const unsubscribe = await b.watchApproval(record.id, () => woken());
      await a.transitionApproval(record.id, 'pending', 'approved', resolution('approved'));
      await Promise.race([wake, new Promise((_, reject) => setTimeout(() => reject(new Error('watcher on b not woken')), 2000))]);
      assert.equal((await b.getApproval(record.id))?.status, 'approved');
      await unsubscribe();
    });

    it('50 concurrent votes and transitions split across two replicas: exactly one winner each', async () => {
      const a = await open();
      const b = await open();
      const record = approvalRecord();
      await a.createApproval(record, 60_000);
      const votes = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).addVote(record.id, vote('bob'))));
      assert.equal(votes.filter((v) => v.added).length, 1);
      const decisions = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).transitionApproval(record.id, 'pending', 'approved', resolution('approved', [`r${i}`]))),
      );
      assert.equal(decisions.filter((d) => d !== null).length, 1);
      const consumed = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).transitionApproval(record.id, 'approved', 'consumed', resolution('consumed'))),
      );
      assert.equal(consumed.filter((d) => d !== null).length, 1);
      assert.equal((await a.getApproval(record.id))?.status, 'consumed');
    });

    it('a command in flight when Redis dies is not replayed after the reconnect', async () => {
      const store = await open();
      assert.equal(await store.hitCounter('once', 60_000), 1);
      server.pause();
      const inFlight = store.hitCounter('once', 60_000);
      await assert.rejects(inFlight, StoreUnavailableError);
      await server.stop();
      await server.restart();
      await untilUsable(store);
      // The fresh server has no counter: had the INCR been resent it would answer 2.
      assert.equal(await store.hitCounter('once', 60_000), 1);
    });
  });
}
