import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ApprovalBroker } from '../../../src/approvals/broker.js';
import type { ApprovalRecord } from '../../../src/model/approval-record.js';
import { EventBus } from '../../../src/audit/events.js';
import { redisSchema } from '../../../src/config/sections/store.js';
import type { PolicyDecision } from '../../../src/model/requirement.js';
import { RedisStore } from '../../../src/store/redis-store.js';
import { systemClock } from '../../../src/time/clock.js';
import { action, principal, silentLogger } from '../../support/core-fixtures.js';
import { RedisServer, requireRedisServerBinary } from '../../support/redis-server.js';
import { waitFor } from '../../support/services.js';

const binary = requireRedisServerBinary();
const requester = principal('alice', ['dev']);
const approver = principal('bob', ['dba']);
const decision: PolicyDecision = { risk: 'critical', requirement: { kind: 'approval', mode: 'any', quorums: [{ group: 'dba', count: 1 }], timeoutMs: 20_000, mfa: false }, rules: ['r1'], reasons: [] };

if (!binary) {
  it.skip('held requests under store faults (redis-server binary not found on PATH)');
} else {
  describe('a held statement rides out store blips (real Redis, connections killed)', () => {
    let server: RedisServer;
    let admin: Redis;
    before(async () => {
      server = await RedisServer.start(binary);
      admin = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined);
    });
    after(async () => {
      admin?.disconnect();
      await server?.close();
    });

    async function replica(graceMs: number, name: string, prefix = `held:${randomUUID()}:`) {
      const config = redisSchema.parse({ url: server.url, key_prefix: prefix, command_timeout: '500ms' });
      const store = await RedisStore.open({ config, replica: name });
      const broker = new ApprovalBroker({ store, channels: [], bus: new EventBus(), clock: systemClock, logger: silentLogger, replicaId: name, retentionMs: 60_000, pollIntervalMs: 50, storeGraceMs: graceMs });
      return { store, broker, prefix, async close() { broker.close(); await store.close(); } };
    }

    async function hold(r: Awaited<ReturnType<typeof replica>>) {
      let record: ApprovalRecord | undefined;
      const outcome = r.broker.hold(action(requester, 'DROP TABLE t', 'critical'), decision, { onCreated: (c) => (record = c) });
      await waitFor(() => record !== undefined, 5000, 'the request');
      return { record: record as ApprovalRecord, outcome };
    }

    /** Drops one replica's connections (Redis CLIENT KILL by id), as a failover or a proxy restart does. */
    async function dropConnections(name: string): Promise<number> {
      const list = String(await admin.call('CLIENT', 'LIST'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=airlock-${name} `))
        .map((line) => /id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      return ids.length;
    }

    it('approved by another replica while the holder’s connections are dropped: the statement runs, once, in every round', async () => {
      const holder = await replica(5000, 'holder');
      const other = await replica(5000, 'approver', holder.prefix);
      try {
        for (let round = 0; round < 5; round++) {
          const { record, outcome } = await hold(holder);
          assert.ok((await dropConnections('holder')) > 0);
          // The holder's wake-up and its read or consume now meet a reconnecting client.
          const decided = await other.broker.decide({ id: record.id, approver, decision: 'approve', actionHash: record.action.hash, channel: 'test' });
          assert.equal(decided.status, 'approved');
          const result = await outcome;
          assert.equal(result.kind, 'approved', `round ${round}: ${JSON.stringify(result)}`);
          await waitFor(async () => (await other.store.getApproval(record.id))?.status === 'consumed', 5000, 'consumed');
        }
      } finally {
        await holder.close();
        await other.close();
      }
    });

    it('an outage longer than the grace fails the held statement closed', async () => {
      const r = await replica(300, 'short-grace');
      try {
        const { outcome } = await hold(r);
        await server.stop();
        const result = await outcome;
        assert.equal(result.kind, 'failed');
      } finally {
        // Closed while Redis is down, so its clients are not mid-reconnect (resubscribing) when they are torn down.
        await r.close();
        await server.restart();
      }
    });
  });
}
