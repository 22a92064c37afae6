import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { direct, psql, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const ROWS = 10_001;

/**
 * A write the text does not bound is measured before it can commit: run
 * inside a savepoint (or a transaction of Airlock's own), its rows counted by
 * PostgreSQL, undone and held for approval above the policy's max_rows. The
 * checks read the real table over a direct connection.
 */
describe('e2e: blast radius of writes, measured before they commit', () => {
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;
  const table = uniqueName('blast');

  before(async () => {
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  defaults:
    low: allow
    medium: allow
    high: { approval: { approvers: approvers, count: 1 } }
    critical: { deny: "critical is denied in this test" }
`);
    aliceToken = await airlock.token('alice', ['engineers']);
    bobToken = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
  });

  async function reset(): Promise<void> {
    await direct(async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
      await c.query(`INSERT INTO ${table} SELECT g, CASE WHEN g = 1 THEN 'one' ELSE 'many' END FROM generate_series(1, ${ROWS}) g`);
    });
  }

  const count = (): Promise<number> => direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number);

  function env(): NodeJS.ProcessEnv {
    const address = airlock.postgres as { host: string; port: number };
    return { ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: aliceToken, PGSSLMODE: 'disable' };
  }


  async function view(id: string): Promise<{ action: { hash: string; facts: { impact?: string } } }> {
    const headers = { authorization: `Bearer ${bobToken}` };
    return (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string; facts: { impact?: string } } };
  }

  async function decide(id: string, decision: 'approve' | 'deny'): Promise<void> {
    const { action } = await view(id);
    const headers = { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' };
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/${decision}`, { method: 'POST', headers, body: JSON.stringify({ action_hash: action.hash, reason: 'e2e' }) });
    assert.equal(response.status, 200);
  }

  it('holds a DELETE of 10,000 rows with the count shown, deletes nothing until approved, then once', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DELETE FROM ${table} WHERE id > 1`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    assert.match(run.stderr, /would delete 10,000 rows of (public\.)?blast_/);
    const id = heldApprovalId(run.stderr) as string;
    assert.match((await view(id)).action.facts.impact ?? '', /would delete 10,000 rows/);
    assert.equal(await count(), ROWS, 'nothing deleted while held');
    await decide(id, 'approve');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DELETE 10000/);
    assert.equal(await count(), 1);
  });

  it('runs a write of one row at once, measured inside its own transaction, and returns its rows', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const result = await psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1', '-c', `DELETE FROM ${table} WHERE v = 'one' RETURNING id, v`]).done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '1|one\nDELETE 1');
    assert.doesNotMatch(result.stderr, /held/);
    assert.equal(await count(), ROWS - 1);
  });

  it('inside BEGIN ... COMMIT, a denied write leaves the transaction failed as PostgreSQL would: nothing commits', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const run = psql(env(), ['-v', 'VERBOSITY=verbose'], `BEGIN;\nINSERT INTO ${table} VALUES (0, 'zero');\nDELETE FROM ${table} WHERE v = 'many';\nCOMMIT;\n`);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    assert.equal(await count(), ROWS);
    await decide(heldApprovalId(run.stderr) as string, 'deny');
    const result = await run.done;
    assert.match(result.stderr, /ERROR: {2}42501/);
    assert.match(result.stdout, /ROLLBACK/);
    assert.equal(await count(), ROWS, 'the INSERT before it rolled back with the transaction');
  });

  it('inside BEGIN ... COMMIT, an approved write runs once in the same transaction, which then commits everything', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const script = `BEGIN;\nINSERT INTO ${table} VALUES (0, 'zero');\nDELETE FROM ${table} WHERE v = 'many';\nSELECT count(*) AS inside FROM ${table};\nCOMMIT;\n`;
    const run = psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1'], script);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    await decide(heldApprovalId(run.stderr) as string, 'approve');
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['BEGIN', 'INSERT 0 1', 'DELETE 10000', '2', 'COMMIT']);
    assert.equal(await count(), 2);
  });

  it('a write that fails while measured fails exactly as it would: same error, same transaction state', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const autocommit = await psql(env(), ['-At'], `DELETE FROM ${table} WHERE id / 0 = 1;\nSELECT 'after';\n`).done;
    assert.match(autocommit.stderr, /division by zero/);
    assert.match(autocommit.stdout, /after/);
    const inside = await psql(env(), ['-At', '-v', 'VERBOSITY=verbose'], `BEGIN;\nUPDATE ${table} SET v = 'x' WHERE id / 0 = 1;\nSELECT 'inside';\nROLLBACK;\nSELECT 'done';\n`).done;
    assert.match(inside.stderr, /22012/);
    assert.match(inside.stderr, /25P02/, 'the transaction is failed, as PostgreSQL leaves it');
    assert.match(inside.stdout, /done/);
    assert.equal(await count(), ROWS);
  });

  it('within the limit inside a transaction, the savepoint is released and a later ROLLBACK undoes the write', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const result = await psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1'], `BEGIN;\nSAVEPOINT mine;\nUPDATE ${table} SET v = 'changed' WHERE id <= 3;\nROLLBACK TO SAVEPOINT mine;\nSELECT count(*) FROM ${table} WHERE v = 'changed';\nUPDATE ${table} SET v = 'changed' WHERE id <= 5;\nCOMMIT;\n`).done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['BEGIN', 'SAVEPOINT', 'UPDATE 3', 'ROLLBACK', '0', 'UPDATE 5', 'COMMIT']);
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE v = 'changed'`)).rows[0].n), 5);
  });

  it('measures extended-protocol writes (a driver with parameters) the same way', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ host: address.host, port: address.port, user: 'alice', database: 'app', password: aliceToken });
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(`${n.message ?? ''}\n${n.detail ?? ''}`));
    await client.connect();
    try {
      const small = await client.query(`UPDATE ${table} SET v = $1 WHERE id <= $2 RETURNING id`, ['few', 3]);
      assert.equal(small.rowCount, 3);
      assert.deepEqual(small.rows.map((r: { id: number }) => r.id).sort(), [1, 2, 3]);
      const big = client.query(`DELETE FROM ${table} WHERE id > $1`, [1]);
      await waitFor(() => notices.some((n) => heldApprovalId(n) !== null), 15_000, 'the hold notice');
      assert.ok(notices.some((n) => /would delete 10,000 rows/.test(n)), notices.join(' | '));
      assert.equal(await count(), ROWS);
      await decide(heldApprovalId(notices.find((n) => heldApprovalId(n) !== null) as string) as string, 'approve');
      assert.equal((await big).rowCount, 10_000);
      assert.equal(await count(), 1);
      // The session goes on as usual with the unnamed statement and portal of its own.
      assert.equal((await client.query('SELECT $1::int AS n', [5])).rows[0].n, 5);
      // A named prepared statement is measured too, and still prepared once after an approved rerun.
      await reset();
      notices.length = 0;
      const named = client.query({ name: 'wipe_many', text: `UPDATE ${table} SET v = $1 WHERE id > $2`, values: ['named', 1] });
      await waitFor(() => notices.some((n) => heldApprovalId(n) !== null), 15_000, 'the hold notice');
      assert.ok(notices.some((n) => /would update 10,000 rows/.test(n)), notices.join(' | '));
      await decide(heldApprovalId(notices.find((n) => heldApprovalId(n) !== null) as string) as string, 'approve');
      assert.equal((await named).rowCount, 10_000);
      const again = await client.query({ name: 'wipe_many', text: `UPDATE ${table} SET v = $1 WHERE id > $2`, values: ['again', 10_000] });
      assert.equal(again.rowCount, 1);
    } finally {
      await client.end();
    }
  });

  it('a write sent with other statements in one query cannot be measured, so it is held', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const run = psql(env(), ['-At', '-v', 'VERBOSITY=verbose', '-c', `DELETE FROM ${table} WHERE id IN (id); SELECT 1`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    assert.match(run.stderr, /could not be measured/);
    await decide(heldApprovalId(run.stderr) as string, 'deny');
    const result = await run.done;
    assert.match(result.stderr, /42501/);
    assert.equal(await count(), ROWS);
  });

  it('an over-limit write whose client disconnects while held is withdrawn, and stays undone', async (t) => {
    if (!(await requirePostgres(t))) return;
    await reset();
    const keyed = await psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1', '-c', `UPDATE ${table} SET v = 'k' WHERE id = 7`]).done;
    assert.equal(keyed.code, 0, keyed.stderr);
    const run = psql(env(), ['-c', `UPDATE ${table} SET v = 'all' WHERE id > 0`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    assert.match(run.stderr, /would update 10,001 rows/);
    run.child.kill();
    await run.done;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE v = 'all'`)).rows[0].n), 0);
    assert.equal(await direct(async (c) => (await c.query(`SELECT v FROM ${table} WHERE id = 7`)).rows[0].v), 'k');
  });
});

/**
 * Writes whose predicates static analysis cannot decide (the review's
 * examples, and more of their kind): each is measured, found to touch every
 * row, undone and refused (this policy denies high), and the table is
 * unchanged, byte for byte.
 */
describe('e2e: writes that hit every row, whatever their predicate looks like', () => {
  let airlock: Instance;
  let token: string;
  const table = uniqueName('blast_all');
  const source = uniqueName('blast_src');

  before(async () => {
    await direct(async (c) => {
      await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text, c char(3))`);
      await c.query(`INSERT INTO ${table} SELECT g, 'v' || g, 'a' FROM generate_series(1, 2000) g`);
      await c.query(`CREATE TABLE ${source} (id int, v text)`);
      await c.query(`INSERT INTO ${source} SELECT g, 'new' FROM generate_series(1, 2000) g`);
    });
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  defaults: { low: allow, medium: allow, high: { deny: "over its row limit" }, critical: { deny: "critical" } }
`);
    token = await airlock.token('mallory', ['engineers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await direct(async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(`DROP TABLE IF EXISTS ${source}`);
    }).catch(() => undefined);
  });

  const fingerprint = (): Promise<string> =>
    direct(async (c) => (await c.query(`SELECT count(*) || ':' || md5(string_agg(id || v || c, ',' ORDER BY id)) AS f FROM ${table}`)).rows[0].f as string);

  const WRITES = [
    `DELETE FROM ${table} WHERE id IN (id)`,
    `DELETE FROM ${table} WHERE ctid IS NOT NULL`,
    `DELETE FROM ${table} WHERE EXISTS (SELECT 1 FROM pg_class)`,
    `DELETE FROM ${table} WHERE 1.5::int = 2`,
    `UPDATE ${table} SET v = 'x' WHERE 'a '::char(3) = 'a'`,
    `UPDATE ${table} SET v = 'x' WHERE c = 'a'`,
    `UPDATE ${table} SET v = 'x' WHERE id > 0`,
    `UPDATE ${table} SET v = 'x' WHERE length(v) > 0`,
    `UPDATE ${table} SET v = 'x' WHERE v IS NOT NULL AND id = id`,
    `DELETE FROM ${table} WHERE id BETWEEN -1 AND 1000000`,
    `DELETE FROM ${table} WHERE id = ANY (SELECT id FROM ${source})`,
    `DELETE FROM ${table} t USING ${source} s WHERE t.id = s.id`,
    `UPDATE ${table} t SET v = s.v FROM ${source} s WHERE t.id = s.id`,
    `INSERT INTO ${table} (id, v, c) SELECT id, v, 'b' FROM ${source} ON CONFLICT (id) DO UPDATE SET v = excluded.v`,
    `MERGE INTO ${table} t USING ${source} s ON t.id > 0 AND t.id = s.id WHEN MATCHED THEN UPDATE SET v = 'merged'`,
    `MERGE INTO ${table} t USING ${source} s ON t.id = s.id WHEN MATCHED THEN DELETE`,
    `WITH gone AS (DELETE FROM ${table} WHERE id > 0 RETURNING id) SELECT count(*) FROM gone`,
    `WITH s AS (SELECT id FROM ${source}) UPDATE ${table} SET v = 'cte' WHERE id IN (SELECT id FROM s)`,
  ];

  it(`measures and refuses each of ${WRITES.length} writes, simple and extended, leaving the table unchanged`, async (t) => {
    if (!(await requirePostgres(t))) return;
    const before = await fingerprint();
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ host: address.host, port: address.port, user: 'mallory', database: 'app', password: token });
    await client.connect();
    const failures: string[] = [];
    try {
      for (const sql of WRITES) {
        for (const form of ['simple', 'extended'] as const) {
          let error: (Error & { code?: string; detail?: string }) | undefined;
          try {
            // With no parameters node-postgres sends a simple Query; a named statement goes through Parse/Bind/Execute.
            await (form === 'simple' ? client.query(sql) : client.query({ name: `w${WRITES.indexOf(sql)}`, text: sql }));
          } catch (err) {
            error = err as Error & { code?: string };
          }
          if (error?.code !== '42501') failures.push(`${form}: ${sql}: ${error ? `${error.code} ${error.message}` : 'it ran'}`);
          const now = await fingerprint();
          if (now !== before) failures.push(`${form}: ${sql}: the table changed`);
        }
      }
      // And a write of a few rows still runs, in both forms.
      assert.equal((await client.query(`UPDATE ${table} SET v = v WHERE id <= 3`)).rowCount, 3);
      assert.equal((await client.query({ name: 'few', text: `UPDATE ${table} SET v = v WHERE id <= $1`, values: [3] })).rowCount, 3);
    } finally {
      await client.end();
    }
    assert.deepEqual(failures, []);
  });

  it('measures writes to a table with triggers too (their own writes count), when the catalog has read their bodies', async (t) => {
    if (!(await requirePostgres(t))) return;
    const guarded = uniqueName('blast_trig');
    const log = `${guarded}_log`;
    await direct(async (c) => {
      await c.query(`CREATE TABLE ${guarded} (id int PRIMARY KEY)`);
      await c.query(`INSERT INTO ${guarded} SELECT generate_series(1, 1500)`);
      await c.query(`CREATE TABLE ${log} (id int)`);
      await c.query(`CREATE FUNCTION ${guarded}_f() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN INSERT INTO ${log} VALUES (OLD.id); RETURN OLD; END $f$`);
      await c.query(`CREATE TRIGGER ${guarded}_t AFTER DELETE ON ${guarded} FOR EACH ROW EXECUTE FUNCTION ${guarded}_f()`);
    });
    const counts = () => direct(async (c) => [(await c.query(`SELECT count(*)::int AS n FROM ${guarded}`)).rows[0].n, (await c.query(`SELECT count(*)::int AS n FROM ${log}`)).rows[0].n]);
    const address = airlock.postgres as { host: string; port: number };
    // The catalog is read every 2 s (and after DDL through Airlock): wait until it knows the trigger.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const client = new pg.Client({ host: address.host, port: address.port, user: 'mallory', database: 'app', password: token });
    await client.connect();
    try {
      await assert.rejects(client.query(`DELETE FROM ${guarded} WHERE id > 0`), (err: Error & { code?: string }) => err.code === '42501');
      assert.deepEqual(await counts(), [1500, 0]);
      assert.equal((await client.query(`DELETE FROM ${guarded} WHERE id <= 2`)).rowCount, 2);
      assert.deepEqual(await counts(), [1498, 2]);
    } finally {
      await client.end();
      await direct(async (c) => {
        await c.query(`DROP TABLE IF EXISTS ${guarded}, ${log}`);
        await c.query(`DROP FUNCTION IF EXISTS ${guarded}_f()`);
      });
    }
  });
});
