import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { direct, psql, tableExists, uniqueName } from '../../support/pg-clients.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { HeldDecisions } from '../../support/scripted-gate.js';
import { requirePostgres, waitFor } from '../../support/services.js';

describe('held, approved and denied statements', () => {
  let harness: ProxyHarness;
  const decisions = new HeldDecisions();

  before(async () => {
    harness = await startProxy({ decide: decisions.decide, listener: { notice_interval: '200ms' } });
  });
  after(() => harness?.close());

  async function createTable(name: string, rows = 0): Promise<void> {
    await direct(async (c) => {
      await c.query(`CREATE TABLE ${name} (n int)`);
      if (rows > 0) await c.query(`INSERT INTO ${name} SELECT 0 FROM generate_series(1, ${rows})`);
    });
  }

  it('holds DROP TABLE, shows the notice while waiting, and runs it once when approved', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('held_drop');
    await createTable(table);
    const run = psql(harness.env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    const pending = await decisions.next();
    assert.equal(pending.action.command, `DROP TABLE ${table}`);
    assert.equal(pending.action.classification.risk, 'critical');
    await waitFor(() => run.stderr.includes('NOTICE:  airlock: statement held for approval'), 5000, 'the hold notice in psql');
    assert.match(run.stderr, new RegExp(`DROP TABLE ${table} — approve with \`airlock approve apr_\\d+\` or at http://airlock.test/approvals/apr_\\d+`));
    await waitFor(() => run.stderr.includes('still waiting for approval'), 5000, 'a repeated notice');
    assert.ok(await tableExists(table), 'nothing ran while held');
    pending.approve();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DROP TABLE/);
    assert.equal(await tableExists(table), false);
    assert.equal(harness.gate.checks.filter((a) => a.command === `DROP TABLE ${table}`).length, 1);
  });

  it('runs an approved UPDATE without WHERE exactly once', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('held_update');
    await createTable(table, 3);
    const run = psql(harness.env(), ['-c', `UPDATE ${table} SET n = n + 1`]);
    (await decisions.next()).approve();
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /UPDATE 3/);
    const sum = await direct(async (c) => (await c.query(`SELECT sum(n)::int AS s FROM ${table}`)).rows[0].s);
    assert.equal(sum, 3);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('denies with 42501 and the reason; the table stays and the session keeps working', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('denied_drop');
    await createTable(table);
    const run = psql(harness.env(), ['-v', 'VERBOSITY=verbose', '-At'], `DROP TABLE ${table};\nSELECT 'still alive';\n`);
    (await decisions.next()).deny('denied by approver@example.com: not during business hours');
    const result = await run.done;
    assert.match(result.stderr, /ERROR: {2}42501: airlock: denied by approver@example.com: not during business hours/);
    assert.match(result.stderr, /DETAIL: {2}approval apr_\d+; decided by approver@example.com; rules: test-rule/);
    assert.match(result.stdout, /still alive/);
    assert.ok(await tableExists(table));
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('answers a timed-out approval with 57014', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const query = client.query('TRUNCATE pg_catalog_does_not_matter');
      (await decisions.next()).expire();
      await assert.rejects(query, (err: pg.DatabaseError) => err.code === '57014' && /timed out/.test(err.message));
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await client.end();
    }
  });

  it('inside BEGIN ... COMMIT a denied statement aborts both sides: COMMIT reports ROLLBACK and nothing is committed', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('tx_denied');
    await createTable(table);
    const script = `BEGIN;\nINSERT INTO ${table} VALUES (42);\nDROP TABLE ${table};\nSELECT 'after denial';\nCOMMIT;\n`;
    const run = psql(harness.env(), ['-v', 'VERBOSITY=verbose'], script);
    (await decisions.next()).deny();
    const result = await run.done;
    assert.match(result.stderr, /ERROR: {2}42501: airlock: denied/);
    // The upstream agrees the transaction failed: the next statement is refused by PostgreSQL itself.
    assert.match(result.stderr, /ERROR: {2}25P02: current transaction is aborted/);
    assert.match(result.stdout, /ROLLBACK/);
    assert.ok(await tableExists(table));
    const count = await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
    assert.equal(count, 0);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('inside a transaction an approved statement commits with the rest', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('tx_approved');
    await createTable(table, 2);
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} VALUES (5)`);
      const update = client.query(`UPDATE ${table} SET n = n + 1`);
      (await decisions.next()).approve();
      assert.equal((await update).rowCount, 3);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    const sum = await direct(async (c) => (await c.query(`SELECT sum(n)::int AS s FROM ${table}`)).rows[0].s);
    assert.equal(sum, 8);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('rejects unparseable SQL with 42601 without sending it, and the session still works (also inside a transaction)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const before = harness.gate.checks.length;
      await assert.rejects(client.query('SELEC 1 FROM nowhere'), (err: pg.DatabaseError) => err.code === '42601' && /could not be parsed/.test(err.message));
      assert.equal(harness.gate.checks.length, before, 'unparseable SQL is not even gated');
      assert.equal((await client.query('SELECT 3 AS three')).rows[0].three, 3);
      await client.query('BEGIN');
      await assert.rejects(client.query('SELEC 2'), (err: pg.DatabaseError) => err.code === '42601');
      await assert.rejects(client.query('SELECT 4'), (err: pg.DatabaseError) => err.code === '25P02');
      await client.query('ROLLBACK');
      assert.equal((await client.query('SELECT 5 AS five')).rows[0].five, 5);
    } finally {
      await client.end();
    }
  });

  it('withdraws the held statement when the client disconnects', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('disconnect');
    await createTable(table);
    const run = psql(harness.env(), ['-c', `DROP TABLE ${table}`]);
    const pending = await decisions.next();
    await waitFor(() => run.stderr.includes('held for approval'), 5000, 'the hold notice');
    run.child.kill('SIGKILL');
    await waitFor(() => pending.signal.aborted, 5000, 'the gate signal to abort');
    pending.approve();
    await waitFor(() => harness.sessions.size === 0, 5000, 'the session to end');
    assert.ok(await tableExists(table), 'a withdrawn statement never runs, even if approved late');
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });
});
