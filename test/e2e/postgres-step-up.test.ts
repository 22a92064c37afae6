import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { AirlockEvent } from '../../src/audit/events.js';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { direct, psql, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/** Real time plus an offset the test moves, so a fresh TOTP step is reachable without waiting 30 s. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

describe('step-up through psql (end to end)', () => {
  let airlock: Instance;
  let token: string;
  let secret: string;
  let table: string;
  const events: AirlockEvent[] = [];

  async function api(path: string, body: unknown, bearer = token) {
    const response = await fetch(`${airlock.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function currentCode(): Promise<string> {
    return generate({ secret, epoch: Math.floor(clock.now() / 1000) });
  }

  function env() {
    return { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(airlock.postgres?.port), PGDATABASE: 'app', PGUSER: 'alice', PGPASSWORD: token, PGSSLMODE: 'disable', PGAPPNAME: 'step-up-test' };
  }

  before(async () => {
    airlock = await startTestAirlock(
      REAL_POSTGRES_TARGET,
      { clock },
    );
    airlock.bus.on((e) => events.push(e));
    token = await airlock.token('alice', ['dev']);
    const enrolled = await api('/v1/totp/enroll', {});
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    secret = new URL(enrolled.body['otpauth_uri'] as string).searchParams.get('secret') as string;
    assert.equal((await api('/v1/totp/activate', { code: await currentCode() })).status, 200);
    table = uniqueName('stepup');
    await direct((c) => c.query(`CREATE TABLE ${table} (id int primary key, n int); INSERT INTO ${table} VALUES (1, 0), (2, 0)`));
  });
  after(async () => {
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
    await airlock?.shutdown('test done');
  });

  it('holds a medium-risk UPDATE, releases it once on a valid code, and lets the next one pass within the grant', async (t) => {
    if (!(await requirePostgres(t))) return;
    // One psql session runs both statements; the second waits for the first.
    const run = psql(env(), ['-v', 'ON_ERROR_STOP=1', '-c', `UPDATE ${table} SET n = n + 1 WHERE id = 1`, '-c', `UPDATE ${table} SET n = n + 1 WHERE id = 2`]);
    await waitFor(() => /airlock confirm ([A-Za-z0-9_-]{22})/.test(run.stderr), 10_000, 'the step-up notice');
    const id = /airlock confirm ([A-Za-z0-9_-]{22})/.exec(run.stderr)?.[1] as string;
    assert.match(run.stderr, /step-up required/);

    // A wrong code keeps it held and is counted.
    const wrong = await api(`/v1/approvals/${id}/confirm`, { code: '000000' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body['code'], 'AIRLOCK_MFA_INVALID');
    assert.equal((await direct((c) => c.query(`SELECT n FROM ${table} WHERE id = 1`))).rows[0].n, 0, 'still held');

    // Someone else cannot confirm it (and cannot even see it).
    const mallory = await airlock.token('mallory', ['dev']);
    assert.equal((await api(`/v1/approvals/${id}/confirm`, { code: '123456' }, mallory)).status, 404);

    clock.offset += 30_000; // the activation code's step is used up; move to a fresh one
    const ok = await api(`/v1/approvals/${id}/confirm`, { code: await currentCode() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    const rows = (await direct((c) => c.query(`SELECT id, n FROM ${table} ORDER BY id`))).rows;
    assert.deepEqual(rows, [{ id: 1, n: 1 }, { id: 2, n: 1 }], 'first ran once; second passed on the grant');
    // The second statement was not held: exactly one step-up notice.
    assert.equal(result.stderr.match(/statement held/g)?.length ?? 0, 1, result.stderr);

    // The same code cannot be used again.
    const replay = await api(`/v1/approvals/${id}/confirm`, { code: await currentCode() });
    assert.equal(replay.status, 409, JSON.stringify(replay.body));
    const failures = events.filter((e) => e.type === 'mfa.failure' && e.subject === 'alice');
    assert.equal(failures.length, 1, 'the wrong code was counted once');
    assert.ok(!JSON.stringify(events).includes('000000'), 'codes never reach events');
  });

  it('refuses at once, saying how to enrol, when the requester has no authenticator (no 3-minute wait)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const newcomer = await airlock.token('newcomer', ['dev']);
    const started = Date.now();
    const result = await psql({ ...env(), PGPASSWORD: newcomer, PGUSER: 'newcomer' }, ['-v', 'ON_ERROR_STOP=1', '-c', `UPDATE ${table} SET n = n + 100 WHERE id = 1`]).done;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /ERROR: {2}airlock: this statement needs step-up with your second factor, and newcomer has no authenticator enrolled: run `airlock totp enroll`/);
    assert.ok(!result.stderr.includes('statement held'), 'never held');
    assert.ok(Date.now() - started < 10_000);
    assert.notEqual((await direct((c) => c.query(`SELECT n FROM ${table} WHERE id = 1`))).rows[0].n >= 100, true);
  });

  it('does not carry the grant to another session', async (t) => {
    if (!(await requirePostgres(t))) return;
    const run = psql(env(), ['-c', `UPDATE ${table} SET n = n + 1 WHERE id = 1`]);
    await waitFor(() => run.stderr.includes('step-up required'), 10_000, 'a new step-up in a new session');
    run.child.kill('SIGTERM');
    await run.done;
  });
});
