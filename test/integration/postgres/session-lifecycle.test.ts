import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { startProxy } from '../../support/pg-proxy.js';
import { requirePostgres, waitFor } from '../../support/services.js';

describe('session life cycle', () => {
  it('registers sessions; terminate(reason) ends one with FATAL 57P01 and the reason', async (t) => {
    if (!(await requirePostgres(t))) return;
    const harness = await startProxy();
    try {
      const client = new pg.Client(harness.client());
      const errors: pg.DatabaseError[] = [];
      client.on('error', (err) => errors.push(err as pg.DatabaseError));
      await client.connect();
      assert.equal(harness.sessions.size, 1);
      const [session] = harness.sessions.list();
      assert.equal(session?.protocol, 'postgres');
      assert.equal(session?.principal.subject, 'alice');
      assert.equal(session?.target, 'app');
      assert.equal(harness.sessions.terminateWhere((s) => s.principal.subject === 'alice', 'airlock: your access was revoked'), 1);
      await waitFor(() => errors.length > 0, 5000, 'the FATAL');
      assert.equal(errors[0]?.code, '57P01');
      assert.equal(errors[0]?.message, 'airlock: your access was revoked');
      await waitFor(() => harness.proxy.stats().activeConnections === 0, 5000, 'the connection to close');
    } finally {
      await harness.close();
    }
  });

  it('close(deadline) lets a running statement finish, then ends the session and refuses new ones', async (t) => {
    if (!(await requirePostgres(t))) return;
    const harness = await startProxy();
    const client = new pg.Client(harness.client());
    const errors: pg.DatabaseError[] = [];
    client.on('error', (err) => errors.push(err as pg.DatabaseError));
    await client.connect();
    const running = client.query('SELECT pg_sleep(0.5), 7 AS seven');
    await new Promise((r) => setTimeout(r, 100));
    const closing = harness.proxy.close(5000);
    assert.equal((await running).rows[0].seven, 7);
    await closing;
    await waitFor(() => errors.length > 0, 5000, 'the FATAL');
    assert.equal(errors[0]?.code, '57P01');
    const late = new pg.Client(harness.client());
    await assert.rejects(late.connect());
  });
});
