import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { direct, keyOf, psql, sendCancel, tableExists, uniqueName } from '../../support/pg-clients.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { HeldDecisions } from '../../support/scripted-gate.js';
import { requirePostgres, waitFor } from '../../support/services.js';

describe('COPY, LISTEN/NOTIFY and cancel through the proxy', () => {
  let harness: ProxyHarness;
  const decisions = new HeldDecisions();

  before(async () => {
    harness = await startProxy({ decide: decisions.decide });
  });
  after(() => harness?.close());

  it('copies in and out with psql \\copy (100k rows, messages split across packets)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('copy');
    await direct((c) => c.query(`CREATE TABLE ${table} (id int, label text)`));
    try {
      const rows = Array.from({ length: 100_000 }, (_, i) => `${i}\tlabel number ${i}`).join('\n') + '\n\\.\n';
      const load = await psql(harness.env(), ['-v', 'ON_ERROR_STOP=1', '-c', `\\copy ${table} FROM STDIN`], rows).done;
      assert.equal(load.code, 0, load.stderr);
      assert.match(load.stdout, /COPY 100000/);
      assert.ok(harness.gate.checks.some((a) => a.command.startsWith(`COPY  ${table} FROM STDIN`) || a.command.includes(`${table} FROM STDIN`)));
      const out = await psql(harness.env(), ['-v', 'ON_ERROR_STOP=1', '-c', `\\copy (SELECT * FROM ${table} ORDER BY id) TO STDOUT`]).done;
      assert.equal(out.code, 0, out.stderr);
      const lines = out.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 100_000);
      assert.equal(lines[99_999], '99999\tlabel number 99999');
    } finally {
      await direct((c) => c.query(`DROP TABLE ${table}`));
    }
  });

  it('a failing COPY FROM STDIN (bad data) reports the upstream error and the session goes on', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('copyfail');
    await direct((c) => c.query(`CREATE TABLE ${table} (id int)`));
    try {
      const result = await psql(harness.env(), ['-At'], `\\copy ${table} FROM STDIN\n1\nnot-a-number\n\\.\nSELECT 'alive';\n`).done;
      assert.match(result.stderr, /invalid input syntax for type integer/);
      assert.match(result.stdout, /alive/);
    } finally {
      await direct((c) => c.query(`DROP TABLE ${table}`));
    }
  });

  it('relays NOTIFY between two proxied connections', async (t) => {
    if (!(await requirePostgres(t))) return;
    const listener = new pg.Client(harness.client());
    const notifier = new pg.Client(harness.client());
    await listener.connect();
    await notifier.connect();
    try {
      const received = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
      await listener.query('LISTEN airlock_test_channel');
      await notifier.query("NOTIFY airlock_test_channel, 'hello through airlock'");
      const message = await received;
      assert.equal(message.channel, 'airlock_test_channel');
      assert.equal(message.payload, 'hello through airlock');
    } finally {
      await listener.end();
      await notifier.end();
    }
  });

  it('cancels a running SELECT pg_sleep(10) through Airlock\'s key (57014, quickly)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const started = Date.now();
      const sleeping = client.query('SELECT pg_sleep(10)');
      sleeping.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const { processId, secretKey } = keyOf(client);
      await sendCancel(harness.host, harness.port, processId, secretKey);
      await assert.rejects(sleeping, (err: pg.DatabaseError) => err.code === '57014');
      assert.ok(Date.now() - started < 5000, 'cancelled well before the sleep ends');
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await client.end();
    }
  });

  it('psql Ctrl+C (SIGINT) cancels a running query', async (t) => {
    if (!(await requirePostgres(t))) return;
    const run = psql(harness.env(), ['-c', 'SELECT pg_sleep(10)']);
    await waitFor(async () => direct(async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' AND state = 'active'")).rows[0].n > 0), 5000, 'the sleep to start');
    run.child.kill('SIGINT');
    const result = await run.done;
    assert.match(result.stderr, /canceling statement due to user request/);
  });

  it('a CancelRequest for a held statement withdraws it (57014) and the session stays usable', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('cancel_held');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const drop = client.query(`DROP TABLE ${table}`).catch((err: pg.DatabaseError) => err);
      const pending = await decisions.next();
      const { processId, secretKey } = keyOf(client);
      await sendCancel(harness.host, harness.port, processId, secretKey);
      const err = await drop;
      assert.ok(err instanceof Error);
      assert.equal((err as pg.DatabaseError).code, '57014');
      assert.equal(err.message, 'canceling statement due to user request');
      assert.ok(pending.signal.aborted, 'the gate saw the request withdrawn');
      pending.approve();
      assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);
      assert.ok(await tableExists(table));
    } finally {
      await client.end();
      await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('a CancelRequest with an unknown key is closed silently', async (t) => {
    if (!(await requirePostgres(t))) return;
    await sendCancel(harness.host, harness.port, 12345, 67890);
    const client = new pg.Client(harness.client());
    await client.connect();
    assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    await client.end();
  });
});
