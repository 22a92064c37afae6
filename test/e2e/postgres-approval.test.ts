import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { heldApprovalId } from '../support/airlock-process.js';
import { direct, psql, tableExists, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// The real composition (src/server.ts): JWT from the dev issuer, policy,
// approvals broker, control API; the PostgreSQL proxy in front of a real server.
describe('e2e: PostgreSQL through the real Airlock', () => {
  let airlock: Instance;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
policy:
  defaults:
    low: allow
    medium: allow
    high: { approval: { approvers: approvers, count: 1 } }
    critical: { approval: { approvers: approvers, count: 1 } }
`);
    aliceToken = await airlock.token('alice', ['engineers']);
    bobToken = await airlock.token('bob', ['approvers']);
  });
  after(async () => airlock?.shutdown('test done'));

  function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const address = airlock.postgres as { host: string; port: number };
    return { ...process.env, PGHOST: address.host, PGPORT: String(address.port), PGUSER: 'alice', PGDATABASE: 'app', PGPASSWORD: aliceToken, PGSSLMODE: 'disable', ...extra };
  }

  async function decide(id: string, decision: 'approve' | 'deny'): Promise<number> {
    const headers = { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' };
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${id}`, { headers })).json()) as { action: { hash: string } };
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/${decision}`, { method: 'POST', headers, body: JSON.stringify({ action_hash: view.action.hash, reason: 'e2e' }) });
    return response.status;
  }

  it('runs a SELECT with a JWT as the password (sslmode=require, self-signed)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(env({ PGSSLMODE: 'require' }), ['-At', '-c', 'SELECT 40 + 2']).done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '42');
  });

  it('holds DROP TABLE with a notice naming the approval; an approver approves through the control API', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('e2e_drop');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 10_000, 'the hold notice');
    assert.ok(await tableExists(table));
    assert.equal(await decide(heldApprovalId(run.stderr) as string, 'approve'), 200);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await tableExists(table), false);
  });

  it('a denial reaches psql as 42501; inside a transaction COMMIT then reports ROLLBACK', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('e2e_deny');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const run = psql(env(), ['-v', 'VERBOSITY=verbose'], `BEGIN;\nINSERT INTO ${table} VALUES (1);\nDROP TABLE ${table};\nCOMMIT;\n`);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 10_000, 'the hold notice');
    assert.equal(await decide(heldApprovalId(run.stderr) as string, 'deny'), 200);
    const result = await run.done;
    assert.match(result.stderr, /ERROR: {2}42501/);
    assert.match(result.stdout, /ROLLBACK/);
    assert.ok(await tableExists(table));
    assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n), 0);
    await direct((c) => c.query(`DROP TABLE ${table}`));
  });

  it('rejects a forged token with 28P01', async (t) => {
    if (!(await requirePostgres(t))) return;
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ ...address, user: 'alice', database: 'app', password: `${aliceToken.slice(0, -4)}AAAA` });
    await assert.rejects(client.connect(), (err: pg.DatabaseError) => err.code === '28P01');
  });
});
