import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { redisSchema } from '../../../src/config/sections/store.js';
import { RedisStore } from '../../../src/store/redis-store.js';
import { RedisCluster, RedisServer, requireRedisServerBinary } from '../../support/redis-server.js';
import { runStoreSuite } from '../../support/store-suite.js';

const binary = requireRedisServerBinary();

if (!binary) {
  it.skip('RedisStore behaviour (redis-server binary not found on PATH)');
} else {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start(binary);
  });
  after(async () => {
    await server.close();
  });

  for (const protocol of [2, 3] as const) {
    describe(`standalone RESP${protocol}`, () => {
      runStoreSuite(`redis standalone (RESP${protocol})`, async () => {
        // A fresh prefix per test: no test sees another's keys, even on a shared server.
        const config = redisSchema.parse({ url: server.url, key_prefix: `test:${randomUUID()}:` });
        const store = await RedisStore.open({ config, protocol });
        return { store, cleanup: () => store.close() };
      });
    });
  }

  // Cluster mode proves the hash-tagged keys, the scripts and pub/sub across slots.
  describe('cluster (3 masters) RESP2', () => {
    let cluster: RedisCluster;
    before(async () => {
      cluster = await RedisCluster.start(binary);
    });
    after(async () => {
      await cluster.close();
    });
    runStoreSuite('redis cluster (RESP2)', async () => {
      const config = redisSchema.parse({ mode: 'cluster', nodes: cluster.nodes, key_prefix: `test:${randomUUID()}:` });
      const store = await RedisStore.open({ config });
      return { store, cleanup: () => store.close() };
    });
  });
}
