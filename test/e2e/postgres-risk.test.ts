import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import { verifyAuditFile } from '../../src/audit/verify.js';
import pg from 'pg';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { direct, psql, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const clock = { offset: 0, now: () => Date.now() + clock.offset };


async function post(airlock: Instance, token: string, path: string, body: unknown) {
  const response = await fetch(`${airlock.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function enroll(airlock: Instance, token: string): Promise<string> {
  const enrolled = await post(airlock, token, '/v1/totp/enroll', {});
  const secret = new URL(enrolled.body['otpauth_uri'] as string).searchParams.get('secret') as string;
  const code = await generate({ secret, epoch: Math.floor(clock.now() / 1000) });
  assert.equal((await post(airlock, token, '/v1/totp/activate', { code })).status, 200);
  return secret;
}

function client(airlock: Instance, token: string, user = 'alice'): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: airlock.postgres?.port, database: 'app', user, password: token, ssl: false });
}

/** Runs one statement through psql; resolves with whether it was held (and kills it if so). */
async function heldOrRan(airlock: Instance, token: string, sql: string): Promise<'held' | 'ran'> {
  const run = psql({ ...process.env, PGHOST: '127.0.0.1', PGPORT: String(airlock.postgres?.port), PGDATABASE: 'app', PGUSER: 'x', PGPASSWORD: token, PGSSLMODE: 'disable' }, ['-v', 'ON_ERROR_STOP=1', '-c', sql]);
  const outcome = await Promise.race([
    run.done.then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return 'ran' as const;
    }),
    waitFor(() => run.stderr.includes('statement held'), 10_000, 'a hold or a result').then(() => 'held' as const),
  ]);
  if (outcome === 'held') {
    run.child.kill('SIGTERM');
    await run.done;
  }
  return outcome;
}

describe('adaptive risk through psql (end to end)', () => {
  let airlock: Instance;
  let admin: string;
  let table: string;

  before(async () => {
    airlock = await startTestAirlock(
      `${REAL_POSTGRES_TARGET}
control: { listen: "127.0.0.1:0", admin_groups: [airlock-admins] }
risk:
  mfa_failures: { threshold: 3, window: 10m, raise_for: 30m }
  new_device: { raise_medium_to_step_up: false }
  bypass:
    - id: sre-on-loopback
      groups: [sre]
      networks: [127.0.0.0/8, "::1/128"]
      max_risk: medium
      revalidate_after: 10m
`,
      { clock },
    );
    admin = await airlock.token('root', ['airlock-admins']);
    table = uniqueName('risk');
    await direct((c) => c.query(`CREATE TABLE ${table} (id int primary key, n int); INSERT INTO ${table} VALUES (1, 0)`));
  });
  after(async () => {
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
    await airlock?.shutdown('test done');
  });

  it('revocation ends a live psql session within 1 s and refuses the reconnection', async (t) => {
    if (!(await requirePostgres(t))) return;
    const token = await airlock.token('eve', ['dev']);
    const session = client(airlock, token, 'eve');
    await session.connect();
    await session.query('SELECT 1');
    const ended = new Promise<Error>((resolve) => session.on('error', resolve));
    const started = Date.now();
    const revoked = await post(airlock, admin, '/v1/revocations', { kind: 'subject', id: 'eve', reason: 'laptop stolen' });
    assert.equal(revoked.status, 201, JSON.stringify(revoked.body));
    const error = await ended;
    assert.ok(Date.now() - started < 1000, `ended after ${Date.now() - started} ms`);
    assert.match(error.message, /access revoked: laptop stolen/);
    const again = client(airlock, token, 'eve');
    await assert.rejects(again.connect(), (err: Error & { code?: string }) => /revoked/.test(err.message) && err.code === '28000');
  });

  it('a statement held when a revocation ends the session is withdrawn naming the revocation', async (t) => {
    if (!(await requirePostgres(t))) return;
    const token = await airlock.token('mallory', ['dev']);
    const session = client(airlock, token, 'mallory');
    await session.connect();
    session.on('error', () => undefined);
    let approvalId: string | null = null;
    session.on('notice', (notice) => {
      approvalId ??= /\(id ([^)]+)\)/.exec(notice.message ?? '')?.[1] ?? null;
    });
    const held = session.query(`DROP TABLE ${table}`).catch((err: Error) => err);
    await waitFor(() => approvalId !== null, 10_000, 'the hold notice');
    assert.equal((await post(airlock, admin, '/v1/revocations', { kind: 'subject', id: 'mallory', reason: 'insider' })).status, 201);
    assert.ok((await held) instanceof Error);
    const headers = { authorization: `Bearer ${admin}` };
    await waitFor(async () => {
      const view = (await (await fetch(`${airlock.url}/v1/approvals/${approvalId}`, { headers })).json()) as { status?: string };
      return view.status === 'withdrawn';
    }, 5000, 'the withdrawal');
    const view = (await (await fetch(`${airlock.url}/v1/approvals/${approvalId}`, { headers })).json()) as { resolution?: { reason?: string } };
    assert.match(view.resolution?.reason ?? '', /^withdrawn: the session was ended: access revoked: insider/);
    assert.equal((await direct((c) => c.query('SELECT to_regclass($1) IS NOT NULL AS present', [table]))).rows[0].present, true);
  });

  it('MFA failures raise the next statement one level, and the raise decays on time', async (t) => {
    if (!(await requirePostgres(t))) return;
    const token = await airlock.token('mike', ['dev']);
    await enroll(airlock, token);
    assert.equal(await heldOrRan(airlock, token, `SELECT n FROM ${table}`), 'ran');
    for (let i = 0; i < 3; i++) assert.equal((await post(airlock, token, '/v1/stepup', { code: '000000' })).status, 401);
    // A read is low risk (allow); three failures make it step_up.
    await waitFor(async () => (await heldOrRan(airlock, token, `SELECT n FROM ${table}`)) === 'held', 5000, 'the raise to apply');
    clock.offset += 31 * 60_000;
    assert.equal(await heldOrRan(airlock, token, `SELECT n FROM ${table}`), 'ran', 'the raise decayed after raise_for');
  });

  it('a bypass works inside its conditions, not outside them, and not after the revalidation interval', async (t) => {
    if (!(await requirePostgres(t))) return;
    const sre = await airlock.token('sam', ['sre']);
    const dev = await airlock.token('dana', ['dev']);
    const secret = await enroll(airlock, sre);
    // dana can step up too (without an authenticator a step-up is refused at once, not held).
    await enroll(airlock, dev);
    const update = `UPDATE ${table} SET n = n + 1 WHERE id = 1`;
    // Activating the factor just now was a verified second factor: inside its conditions the bypass applies.
    assert.equal(await heldOrRan(airlock, sre, update), 'ran', 'inside its conditions');
    assert.equal(await heldOrRan(airlock, dev, update), 'held', 'not for another group');
    clock.offset += 11 * 60_000;
    assert.equal(await heldOrRan(airlock, sre, update), 'held', 'revalidation forced after 10m');
    const stepUp = await post(airlock, sre, '/v1/stepup', { code: await generate({ secret, epoch: Math.floor(clock.now() / 1000) }) });
    assert.equal(stepUp.status, 200, JSON.stringify(stepUp.body));
    assert.equal(await heldOrRan(airlock, sre, update), 'ran', 'a fresh step-up revalidates it');

  });

  it('writes every loop event to the hash-chained audit log, with the rule that caused it', async (t) => {
    if (!(await requirePostgres(t))) return;
    await airlock.shutdown('flush the audit log');
    const file = join(airlock.dataDir, 'audit.log');
    const verified = await verifyAuditFile(file);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    const records = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; rules?: string[]; reason?: string; subject?: string });
    const find = (type: string, subject: string) => records.find((r) => r.type === type && r.subject === subject);
    assert.ok(find('revocation.added', 'eve'), 'revocation audited');
    assert.ok(find('session.terminated', 'eve'), 'terminated session audited');
    assert.match(find('risk.raised', 'mike')?.reason ?? '', /3 MFA failures/);
    assert.ok(find('risk.raised', 'mike')?.rules?.includes('signal:mfa_failures'));
    assert.ok(find('bypass.used', 'sam')?.rules?.includes('sre-on-loopback'));
    assert.ok(records.some((r) => r.type === 'mfa.failure' && r.subject === 'mike'));
  });
});

describe('blocked source ranges (end to end)', () => {
  let airlock: Instance;
  before(async () => {
    airlock = await startTestAirlock(`${REAL_POSTGRES_TARGET}\nrisk: { auth_failures: { threshold: 5, window: 5m, block_for: 15m } }\n`);
  });
  after(async () => airlock?.shutdown('test done'));

  it('refuses every connection from a network after repeated failed logins', async (t) => {
    if (!(await requirePostgres(t))) return;
    const good = await airlock.token('alice', ['dev']);
    for (let i = 0; i < 5; i++) await assert.rejects(client(airlock, 'not-a-token').connect(), { code: '28P01' });
    await assert.rejects(client(airlock, good).connect(), (err: Error & { code?: string }) => /too many failed logins from 127\.0\.0\.0\/24/.test(err.message) && err.code === '28000');
  });
});
