import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { approve, getApproval, heldApprovalId, ReplicaGroup, type AirlockProcess, type AuditLine } from '../support/airlock-process.js';
import { direct, psql, tableExists, uniqueName } from '../support/pg-clients.js';
import { RedisServer, requireRedisServerBinary } from '../support/redis-server.js';
import { requirePostgres, waitFor } from '../support/services.js';

/** A statement sent through a replica by the pg driver, held until its notice names the approval. */
interface HeldStatement {
  readonly client: pg.Client;
  readonly id: string;
  /** Settles with the statement's outcome; never rejects. */
  readonly outcome: Promise<{ ok: true; result: pg.QueryResult } | { ok: false; error: Error & { code?: string } }>;
}

// Two `airlock serve` processes (A and B) share one real redis-server: a
// statement held on one is decided on the other, forwarded exactly once, and
// every failure (Redis gone, a replica killed) fails closed.
describe('e2e: two replicas sharing Redis', () => {
  let redis: RedisServer | null = null;
  let group: ReplicaGroup;
  let a: AirlockProcess;
  let b: AirlockProcess;
  let alice: string;
  let bob: string;
  const clients: pg.Client[] = [];

  before(async () => {
    const binary = requireRedisServerBinary();
    if (!binary) return;
    redis = await RedisServer.start(binary);
    group = new ReplicaGroup({ redisUrl: redis.url, approvalTimeout: '10s', gatedInsertObjects: ['gated_runs_*', 'public.gated_runs_*'] });
    [a, b] = await Promise.all([group.start('replica-a'), group.start('replica-b')]);
    alice = await group.token('alice', ['engineers']);
    bob = await group.token('bob', ['approvers']);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await group?.close();
    await redis?.close();
  });

  /** Skips without the servers; otherwise waits until every live replica has the store (an earlier failure may have left Redis reconnecting). */
  async function ready(t: TestContext): Promise<boolean> {
    if (!redis) {
      t.skip('redis-server is not installed');
      return false;
    }
    if (!(await requirePostgres(t))) return false;
    await redis.restart();
    for (const replica of [a, b].filter((r) => r.running)) {
      await waitFor(async () => (await replica.readyz().catch(() => null))?.status === 200, 10_000, `${replica.name} to be ready`);
    }
    return true;
  }

  async function connect(replica: AirlockProcess, token = alice): Promise<pg.Client> {
    const client = new pg.Client(replica.pgConfig('alice', token));
    client.on('error', () => undefined); // a killed replica ends the socket: the query reports it
    await client.connect();
    clients.push(client);
    return client;
  }

  async function hold(replica: AirlockProcess, sql: string): Promise<HeldStatement> {
    const client = await connect(replica);
    const notice: { id: string | null } = { id: null };
    client.on('notice', (message) => (notice.id ??= heldApprovalId(message.message ?? '')));
    const outcome = client.query(sql).then(
      (result) => ({ ok: true as const, result }),
      (error: Error & { code?: string }) => ({ ok: false as const, error }),
    );
    await waitFor(() => notice.id !== null, 10_000, `the hold notice for ${sql}`);
    return { client, id: notice.id as string, outcome };
  }

  async function createTable(name: string, columns = 'n int'): Promise<void> {
    await direct((c) => c.query(`CREATE TABLE ${name} (${columns})`));
  }

  async function dropTable(name: string): Promise<void> {
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${name}`));
  }

  function resolvedLines(replicas: readonly AirlockProcess[], id: string): AuditLine[] {
    return replicas.flatMap((r) => r.audit()).filter((l) => l.type === 'approval.resolved' && l.approvalId === id);
  }

  it('a statement held on A and approved through B runs once, on A', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('rep_drop');
    await createTable(table);
    const run = psql(a.pgEnv('alice', alice), ['-v', 'ON_ERROR_STOP=1', '-c', `DROP TABLE ${table}`]);
    await waitFor(() => heldApprovalId(run.stderr) !== null, 10_000, 'the hold notice in psql');
    const id = heldApprovalId(run.stderr) as string;
    assert.ok(await tableExists(table), 'nothing runs while held');

    // B sees the request A created, and B's decision wakes A.
    const view = await getApproval(b, id, bob);
    assert.equal(view.status, 'pending');
    assert.equal(view.action.command, `DROP TABLE ${table}`);
    const decided = await approve(b, id, bob, view.action.hash);
    assert.equal(decided.status, 200, JSON.stringify(decided.body));

    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /DROP TABLE/);
    assert.equal(await tableExists(table), false);
    await waitFor(() => a.audit().some((l) => l.type === 'verdict' && l.approvalId === id), 5000, "A's verdict line");
    const verdicts = a.audit().filter((l) => l.type === 'verdict' && l.approvalId === id);
    assert.deepEqual(verdicts.map((l) => [l.data?.allowed, l.data?.path]), [[true, 'approval']]);
    assert.equal(b.audit().filter((l) => l.type === 'verdict' && l.approvalId === id).length, 0, 'B forwards nothing');
    // B closed the request (it won the compare-and-set), so B audits the resolution.
    await waitFor(() => resolvedLines([a, b], id).length > 0, 5000, 'the approval.resolved line');
    assert.deepEqual(resolvedLines([a, b], id).map((l) => [l.replica, l.data?.status]), [['replica-b', 'approved']]);
  });

  it('a revocation issued on B ends a live session on A within 1 s and refuses the reconnection', async (t) => {
    if (!(await ready(t))) return;
    const mallory = await group.token('mallory', ['engineers']);
    const admin = await group.token('root', ['airlock-admins']);
    const session = await connect(a, mallory);
    await session.query('SELECT 1');
    const ended = new Promise<Error>((resolve) => session.on('error', resolve));
    const started = Date.now();
    const response = await fetch(`${b.url}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'subject', id: 'mallory', reason: 'credentials leaked' }),
    });
    assert.equal(response.status, 201, await response.text());
    const error = await ended;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `the session on A ended after ${elapsed} ms`);
    assert.match(error.message, /access revoked: credentials leaked/);
    await assert.rejects(connect(a, mallory), (err: Error & { code?: string }) => err.code === '28000' && /revoked/.test(err.message));
    await assert.rejects(connect(b, mallory), (err: Error & { code?: string }) => err.code === '28000' && /revoked/.test(err.message));
  });

  it('50 concurrent approvals split across A and B forward the held INSERT once', async (t) => {
    if (!(await ready(t))) return;
    const table = uniqueName('gated_runs');
    await createTable(table, 'id serial primary key, note text');
    try {
      const held = await hold(a, `INSERT INTO ${table} (note) VALUES ('held on A')`);
      const approvers = await Promise.all(Array.from({ length: 50 }, (_, i) => group.token(`approver-${i}`, ['approvers'])));
      const via = (i: number) => (i % 2 === 0 ? a : b);
      // Every approver reads the request first (as the CLI does), which also opens one
      // keep-alive connection each, so the 50 decisions then land together.
      const views = await Promise.all(approvers.map((token, i) => getApproval(via(i), held.id, token)));
      const hash = views[0]?.action.hash as string;
      const decisions = await Promise.all(approvers.map((token, i) => approve(via(i), held.id, token, hash)));

      const outcome = await held.outcome;
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.equal(outcome.result.rowCount, 1);
      const statuses = decisions.map((d) => d.status);
      assert.ok(statuses.every((s) => s === 200 || s === 409), `only 200 or 409: ${statuses.join(',')}`);
      assert.ok(statuses.includes(200), 'at least one approval counted');
      for (const d of decisions.filter((x) => x.status === 409)) assert.match(String(d.body.code), /AIRLOCK_(APPROVAL_CLOSED|ALREADY_DECIDED)/);

      assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n), 1, 'the INSERT ran once upstream');
      await waitFor(() => resolvedLines([a, b], held.id).length > 0, 5000, 'the approval.resolved line');
      await waitFor(() => a.audit().some((l) => l.type === 'verdict' && l.approvalId === held.id), 5000, "A's verdict line");
      assert.equal(resolvedLines([a, b], held.id).length, 1, 'resolved once, by one replica');
      assert.equal([a, b].flatMap((r) => r.audit()).filter((l) => l.type === 'verdict' && l.approvalId === held.id && l.data?.allowed === true).length, 1);
      // The session is still usable, and another identical INSERT would be held again: the approval was single-use.
      assert.equal((await held.client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await dropTable(table);
    }
  });

  it('/readyz reports 503 degraded while Redis is down and 200 once it is back', async (t) => {
    if (!(await ready(t)) || !redis) return;
    await redis.stop();
    try {
      for (const replica of [a, b]) {
        await waitFor(async () => (await replica.readyz().catch(() => null))?.status === 503, 5000, `${replica.name} to report 503`);
        const { body } = await replica.readyz();
        assert.equal(body.status, 'degraded');
        assert.equal(body.checks?.store, 'unavailable');
      }
    } finally {
      await redis.restart();
    }
    for (const replica of [a, b]) {
      await waitFor(async () => (await replica.readyz().catch(() => null))?.status === 200, 10_000, `${replica.name} to report 200 again`);
      const { body } = await replica.readyz();
      assert.equal(body.status, 'ready');
      assert.equal(body.checks?.store, 'ok');
    }
  });

  it('Redis killed while an action is held: it is denied and not forwarded, safe SELECTs pass; approvals work again after Redis returns', async (t) => {
    if (!(await ready(t)) || !redis) return;
    const held = uniqueName('rep_outage_held');
    const other = uniqueName('rep_outage_other');
    const after = uniqueName('rep_outage_after');
    await Promise.all([createTable(held), createTable(other), createTable(after)]);
    await direct((c) => c.query(`INSERT INTO ${other} VALUES (1), (2)`));
    const reader = await connect(b); // a session opened before the outage
    try {
      const pending = await hold(a, `DROP TABLE ${held}`);
      await redis.stop();
      try {
        const outcome = await pending.outcome;
        assert.equal(outcome.ok, false, 'a held action is never forwarded without the store');
        if (!outcome.ok) {
          assert.equal(outcome.error.code, '57P03');
          assert.match(outcome.error.message, /store unavailable/);
        }
        assert.ok(await tableExists(held), 'the held DROP did not reach PostgreSQL');
        // The holder's session survives the denial.
        assert.equal((await pending.client.query('SELECT 2 AS two')).rows[0].two, 2);

        // Safe statements keep flowing on both replicas; a new risky one is refused at once.
        assert.equal((await reader.query(`SELECT count(*)::int AS n FROM ${other}`)).rows[0].n, 2);
        assert.equal((await pending.client.query(`SELECT count(*)::int AS n FROM ${other}`)).rows[0].n, 2);
        await assert.rejects(reader.query(`TRUNCATE ${other}`), (err: pg.DatabaseError) => err.code === '57P03');
        assert.equal(await direct(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${other}`)).rows[0].n), 2);
      } finally {
        await redis.restart();
      }
      for (const replica of [a, b]) await waitFor(async () => (await replica.readyz().catch(() => null))?.status === 200, 10_000, `${replica.name} to reconnect to Redis`);

      const again = await hold(a, `DROP TABLE ${after}`);
      const view = await getApproval(b, again.id, bob);
      assert.equal((await approve(b, again.id, bob, view.action.hash)).status, 200);
      const outcome = await again.outcome;
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      assert.equal(await tableExists(after), false);
      assert.ok(await tableExists(held), 'the statement denied during the outage stays denied');
    } finally {
      await Promise.all([dropTable(held), dropTable(other), dropTable(after)]);
    }
  });

  // Last: it kills replica A.
  it('a replica killed while holding: nothing is forwarded; the survivor marks its requests orphaned within seconds and refuses to approve them', async (t) => {
    if (!(await ready(t))) return;
    const ignored = uniqueName('rep_killed_ignored');
    const approved = uniqueName('rep_killed_approved');
    await Promise.all([createTable(ignored), createTable(approved)]);
    try {
      const left = await hold(a, `DROP TABLE ${ignored}`);
      const late = await hold(a, `DROP TABLE ${approved}`);
      const views = await Promise.all([left, late].map((h) => getApproval(b, h.id, bob)));
      await a.kill();
      const killedAt = Date.now();
      for (const h of [left, late]) assert.equal((await h.outcome).ok, false, 'the client of a killed replica gets an error');

      const resolvedOnB = (id: string) => b.audit().filter((l) => l.type === 'approval.resolved' && l.approvalId === id);
      await waitFor(() => resolvedOnB(left.id).length > 0 && resolvedOnB(late.id).length > 0, 15_000, "B's approval.resolved lines for the orphaned requests");
      assert.ok(Date.now() - killedAt < 10_000, `orphaned after ${Date.now() - killedAt} ms`);
      for (const h of [left, late]) {
        const [line] = resolvedOnB(h.id);
        assert.equal(line?.data?.status, 'orphaned');
        assert.equal(line?.replica, 'replica-b');
        assert.match(String(line?.reason), /the replica holding the statement is gone; nothing was run/);
        assert.equal((await getApproval(b, h.id, bob)).status, 'orphaned');
      }
      // Approving what nobody can run answers 409 with the reason, never "approved".
      const tooLate = await approve(b, late.id, bob, views[1]?.action.hash as string);
      assert.equal(tooLate.status, 409);
      assert.equal(tooLate.body.code, 'AIRLOCK_APPROVAL_CLOSED');
      assert.match(String(tooLate.body.detail ?? tooLate.body.title ?? JSON.stringify(tooLate.body)), /orphaned/);
      assert.deepEqual(resolvedOnB(late.id).map((l) => l.data?.status), ['orphaned']);
      assert.ok(await tableExists(ignored), 'nothing was forwarded by anyone');
      assert.ok(await tableExists(approved), 'nothing was forwarded by anyone');
    } finally {
      await Promise.all([dropTable(ignored), dropTable(approved)]);
    }
  });
});
