import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisSchema } from '../../../src/config/sections/store.js';
import { StoreUnavailableError } from '../../../src/errors.js';
import { createStore } from '../../../src/store/create-store.js';
import { RedisServer, requireRedisServerBinary } from '../../support/redis-server.js';

const binary = requireRedisServerBinary();

if (!binary) {
  it.skip('Redis connection options (redis-server binary not found on PATH)');
} else {
  describe('Redis ACL user', () => {
    let server: RedisServer;
    before(async () => {
      // The default user is disabled: only the ACL user can get in.
      const args = ['--user', 'airlock', 'on', '>s3cret', '~*', '&*', '+@all', '--user', 'default', 'off'];
      server = await RedisServer.start(binary, { args });
    });
    after(async () => {
      await server.close();
    });

    it('connects with username and password from the config', async () => {
      const redis = redisSchema.parse({ url: server.url, username: 'airlock', password: 's3cret' });
      const store = await createStore({ kind: 'redis', redis });
      assert.equal(store.kind, 'redis');
      await store.ping();
      assert.equal(await store.setValue('k', 'v'), true);
      await store.close();
    });

    it('a wrong password fails closed instead of throwing at startup', async () => {
      const redis = redisSchema.parse({ url: server.url, username: 'airlock', password: 'wrong', command_timeout: '200ms' });
      const store = await createStore({ kind: 'redis', redis });
      await assert.rejects(store.ping(), StoreUnavailableError);
      await assert.rejects(store.getValue('k'), StoreUnavailableError);
      await store.close();
    });
  });

  it('createStore gives a memory store for kind memory', async () => {
    const store = await createStore({ kind: 'memory' });
    assert.equal(store.kind, 'memory');
    await store.close();
  });
}
