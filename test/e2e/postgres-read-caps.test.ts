import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { direct, psql, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * A rule caps the rows a read may return: a read PostgreSQL estimates above
 * the cap is held first; one that only turns out larger is stopped (and
 * cancelled upstream) at the cap with a clear error.
 */
describe('e2e: read caps (max_rows on reads)', () => {
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;
  const table = uniqueName('readcap');

  before(async () => {
    await direct(async (c) => {
      await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
      await c.query(`INSERT INTO ${table} SELECT g, 'row ' || g FROM generate_series(1, 10001) g`);
      await c.query(`ANALYZE ${table}`);
    });
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  defaults:
    low: allow
    medium: allow
    high: { approval: { approvers: approvers, count: 1 } }
  rules:
    - id: cap-readcap
      match: { objects: ["readcap_*"], kinds: [select] }
      max_rows: 100
`);
    aliceToken = await airlock.token('alice', ['engineers']);
    bobToken = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
  });

  function env(): NodeJS.ProcessEnv {
    const address = airlock.postgres as { host: string; port: number };
    return { ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: aliceToken, PGSSLMODE: 'disable' };
  }

  it('holds a read estimated above the cap, with the estimate shown; denied, it never runs', async (t) => {
    if (!(await requirePostgres(t))) return;
    const run = psql(env(), ['-At', '-v', 'VERBOSITY=verbose', '-c', `SELECT * FROM ${table}`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 15_000, 'the hold notice');
    assert.match(run.stderr, /would return about 10,001 rows/);
    const id = heldApprovalId(run.stderr) as string;
    const headers = { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const denied = await fetch(`${airlock.url}/v1/approvals/${id}/deny`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash, reason: 'too much' }) });
    assert.equal(denied.status, 200);
    const result = await run.done;
    assert.match(result.stderr, /42501/);
    assert.equal(result.stdout.trim(), '');
  });

  it('stops a read that turns out larger than estimated at the cap, and the session goes on', async (t) => {
    if (!(await requirePostgres(t))) return;
    // The planner guesses 0.5% for an expression it has no statistics on: about 50 rows of 10,001.
    const result = await psql(env(), ['-At', '-v', 'VERBOSITY=verbose'], `SELECT id FROM ${table} WHERE id % 2 = 0;\nSELECT 'still here';\n`).done;
    assert.match(result.stderr, /54000/);
    assert.match(result.stderr, /more than 100 rows/);
    assert.match(result.stdout, /still here/);
  });

  it('lets a read within the cap through whole', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1', '-c', `SELECT count(*) FROM (SELECT * FROM ${table} WHERE id <= 10) x`]).done;
    assert.equal(result.code, 0, result.stderr);
    const rows = await psql(env(), ['-At', '-v', 'ON_ERROR_STOP=1', '-c', `SELECT id FROM ${table} WHERE id <= 100 ORDER BY id`]).done;
    assert.equal(rows.code, 0, rows.stderr);
    assert.equal(rows.stdout.trim().split('\n').length, 100);
  });

  it('caps extended-protocol reads too (a driver with parameters)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ host: address.host, port: address.port, user: 'alice', database: 'app', password: aliceToken });
    await client.connect();
    try {
      await assert.rejects(client.query(`SELECT id FROM ${table} WHERE id > $1`, [0]), (err: Error & { code?: string }) => err.code === '54000');
      assert.equal((await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE id > $1`, [0])).rows[0].n, 10001);
    } finally {
      await client.end();
    }
  });
});
