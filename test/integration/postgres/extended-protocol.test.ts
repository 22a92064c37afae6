import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { direct, uniqueName } from '../../support/pg-clients.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { HeldDecisions } from '../../support/scripted-gate.js';
import { requirePostgres } from '../../support/services.js';

describe('extended protocol and pipelining through the proxy', () => {
  let harness: ProxyHarness;
  const decisions = new HeldDecisions();
  let table: string;

  before(async () => {
    harness = await startProxy({ decide: decisions.decide });
    table = uniqueName('ext');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`)).catch(() => undefined);
  });
  after(async () => {
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
    await harness?.close();
  });

  async function withClient<T>(fn: (c: pg.Client) => Promise<T>, extra: Record<string, unknown> = {}): Promise<T> {
    const client = new pg.Client(harness.client(extra));
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  async function sum(): Promise<number> {
    return direct(async (c) => (await c.query(`SELECT coalesce(sum(n), 0)::int AS s FROM ${table}`)).rows[0].s);
  }

  it('runs named prepared statements; re-executions are gated with the prepared text', async (t) => {
    if (!(await requirePostgres(t))) return;
    await withClient(async (client) => {
      const before = harness.gate.checks.length;
      for (let i = 0; i < 3; i++) {
        const result = await client.query({ name: 'double', text: 'SELECT $1::int * 2 AS v', values: [i] });
        assert.equal(result.rows[0].v, i * 2);
      }
      const checks = harness.gate.checks.slice(before);
      assert.equal(checks.length, 3);
      for (const check of checks) assert.equal(check.command, 'SELECT $1::int * 2 AS v');
    });
  });

  it('holds a risky named statement at every execution, not only when it is prepared', async (t) => {
    if (!(await requirePostgres(t))) return;
    await direct((c) => c.query(`TRUNCATE ${table}; INSERT INTO ${table} VALUES (0), (0)`));
    await withClient(async (client) => {
      const first = client.query({ name: 'bump', text: `UPDATE ${table} SET n = n + $1`, values: [1] });
      const held = await decisions.next();
      assert.equal(held.action.command, `UPDATE ${table} SET n = n + $1`);
      held.approve();
      assert.equal((await first).rowCount, 2);
      // Second execution: Bind/Execute of the already-prepared statement only.
      const second = client.query({ name: 'bump', text: `UPDATE ${table} SET n = n + $1`, values: [10] });
      const heldAgain = await decisions.next();
      assert.equal(heldAgain.action.command, `UPDATE ${table} SET n = n + $1`);
      heldAgain.deny();
      await assert.rejects(second, (err: pg.DatabaseError) => err.code === '42501');
      assert.equal((await client.query('SELECT 7 AS seven')).rows[0].seven, 7);
    });
    assert.equal(await sum(), 2);
  });

  it('keeps pipelined queries in order; a held one blocks those after it until approved', async (t) => {
    if (!(await requirePostgres(t))) return;
    await direct((c) => c.query(`TRUNCATE ${table}`));
    await withClient(
      async (client) => {
        const results: Promise<pg.QueryResult>[] = [];
        for (let i = 0; i < 10; i++) results.push(client.query('SELECT $1::int AS i', [i]));
        results.push(client.query(`INSERT INTO ${table} VALUES (1)`));
        const risky = client.query(`UPDATE ${table} SET n = n + 100`);
        const afterRisky = client.query(`SELECT count(*)::int AS c FROM ${table} WHERE n > 100`);
        const held = await decisions.next();
        for (let i = 0; i < 10; i++) assert.equal((await results[i])?.rows[0].i, i);
        let settled = false;
        void afterRisky.then(() => (settled = true));
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(settled, false, 'nothing after the held query is answered before its verdict');
        held.approve();
        assert.equal((await risky).rowCount, 1);
        assert.equal((await afterRisky).rows[0].c, 1);
      },
      { pipeline: true },
    );
  });

  it('a denied query in a pipeline fails alone; the queries around it succeed', async (t) => {
    if (!(await requirePostgres(t))) return;
    await withClient(
      async (client) => {
        const a = client.query('SELECT $1::text AS v', ['a']);
        const b = client.query(`DELETE FROM ${table}`);
        const c = client.query('SELECT $1::text AS v', ['c']);
        const d = client.query('SELECT 4 AS v');
        (await decisions.next()).deny();
        assert.equal((await a).rows[0].v, 'a');
        await assert.rejects(b, (err: pg.DatabaseError) => err.code === '42501');
        assert.equal((await c).rows[0].v, 'c');
        assert.equal((await d).rows[0].v, 4);
      },
      { pipeline: true },
    );
    assert.equal(await sum(), 101);
  });

  it('an extended-protocol denial inside a transaction aborts the upstream transaction too', async (t) => {
    if (!(await requirePostgres(t))) return;
    await direct((c) => c.query(`TRUNCATE ${table}`));
    await withClient(async (client) => {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} VALUES ($1)`, [5]);
      const denied = client.query(`UPDATE ${table} SET n = $1`, [0]);
      (await decisions.next()).deny();
      await assert.rejects(denied, (err: pg.DatabaseError) => err.code === '42501');
      await assert.rejects(client.query('SELECT $1::int', [1]), (err: pg.DatabaseError) => err.code === '25P02');
      const commit = await client.query('COMMIT');
      assert.equal(commit.command, 'ROLLBACK');
    });
    assert.equal(await sum(), 0);
  });

  it('rejects an unparseable statement in Parse with 42601 and keeps the session', async (t) => {
    if (!(await requirePostgres(t))) return;
    await withClient(async (client) => {
      await assert.rejects(client.query('SELEC $1::int', [1]), (err: pg.DatabaseError) => err.code === '42601');
      assert.equal((await client.query('SELECT $1::int AS v', [9])).rows[0].v, 9);
    });
  });

  it('gates SQL-level EXECUTE with the text of the prepared statement', async (t) => {
    if (!(await requirePostgres(t))) return;
    await direct((c) => c.query(`TRUNCATE ${table}; INSERT INTO ${table} VALUES (1)`));
    await withClient(async (client) => {
      const prepare = client.query(`PREPARE wipe AS DELETE FROM ${table}`);
      (await decisions.next()).approve();
      await prepare;
      const execute = client.query('EXECUTE wipe');
      const held = await decisions.next();
      assert.equal(held.action.command, `EXECUTE wipe\n-- wipe: DELETE FROM ${table}`);
      assert.ok(held.action.classification.facts.flags.includes('no_where'));
      held.deny();
      await assert.rejects(execute, (err: pg.DatabaseError) => err.code === '42501');
      await client.query('DEALLOCATE wipe');
      // A Bind of a statement Airlock never saw prepared is gated as high risk (fail closed).
    });
    assert.equal(await sum(), 1);
  });
});
