import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { denied } from '../../support/scripted-gate.js';
import { requirePostgres } from '../../support/services.js';

describe('settings sent in the startup packet are gated', () => {
  let harness: ProxyHarness;

  before(async () => {
    harness = await startProxy({ decide: async () => denied('security settings need an approval') });
  });
  after(() => harness?.close());

  it('refuses -c session_replication_role=replica (high risk) with FATAL 42501 before any upstream login', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client({ options: '-c session_replication_role=replica' }));
    await assert.rejects(client.connect(), (err: pg.DatabaseError) => err.code === '42501' && err.severity === 'FATAL' && /startup settings refused/.test(err.message));
    const check = harness.gate.checks.at(-1);
    assert.equal(check?.command, `SET "session_replication_role" TO 'replica'`);
  });

  it('lets a low-risk -c statement_timeout through and applies it upstream', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client({ options: '-c statement_timeout=4321' }));
    await client.connect();
    try {
      assert.equal((await client.query('SHOW statement_timeout')).rows[0].statement_timeout, '4321ms');
    } finally {
      await client.end();
    }
  });

  it('refuses backend switches other than settings with 0A000', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client({ options: '-d 5' }));
    await assert.rejects(client.connect(), (err: pg.DatabaseError) => err.code === '0A000');
  });
});
