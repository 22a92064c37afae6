import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresListenerSchema } from '../../../src/config/sections/protocols.js';
import { loadOrCreateTlsMaterial } from '../../../src/tls/listener-certificate.js';
import { psql } from '../../support/pg-clients.js';
import { type ProxyHarness, TOKEN, startProxy } from '../../support/pg-proxy.js';
import { requirePostgres } from '../../support/services.js';

describe('psql through the proxy', () => {
  let harness: ProxyHarness;
  let tlsHarness: ProxyHarness;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-pg-tls-'));
    const tls = await loadOrCreateTlsMaterial(postgresListenerSchema.parse({}), dataDir);
    harness = await startProxy();
    tlsHarness = await startProxy({ tls, listener: { plaintext: 'never' } });
  });

  after(async () => {
    await harness?.close();
    await tlsHarness?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a SELECT in plaintext on loopback, as the target user and database', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(harness.env(), ['-At', '-c', 'SELECT 1, current_user, current_database()']).done;
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), '1|postgres|test');
    const check = harness.gate.checks.find((a) => a.command === 'SELECT 1, current_user, current_database()');
    assert.ok(check, 'the SELECT went through the gate');
    assert.equal(check.principal.subject, 'alice');
    assert.equal(check.target, 'app');
    assert.equal(check.source, '127.0.0.1');
  });

  it('runs a SELECT over TLS (sslmode=require) with the self-signed certificate', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(tlsHarness.env({ PGSSLMODE: 'require' }), ['-At', '-c', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()']).done;
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    // TLS ends at Airlock; the hop to this upstream is configured plain.
    assert.equal(result.stdout.trim(), 'f');
    const again = await loadOrCreateTlsMaterial(postgresListenerSchema.parse({}), dataDir);
    assert.ok(again, 'the certificate is reused, not regenerated');
  });

  it('refuses a password without TLS where plaintext is never allowed (28000)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(tlsHarness.env({ PGSSLMODE: 'disable' }), ['-c', 'SELECT 1']).done;
    assert.equal(result.code, 2);
    assert.match(result.stderr, /FATAL: {2}airlock: TLS is required/);
    assert.ok(tlsHarness.proxy.stats().connectionsAccepted >= 1);
  });

  it('answers a bad token with 28P01 and an unknown database with 3D000', async (t) => {
    if (!(await requirePostgres(t))) return;
    const bad = new pg.Client(harness.client({ password: 'not-a-token' }));
    // PostgreSQL's own wording (drivers and tools match on it); Airlock's reason in DETAIL.
    await assert.rejects(bad.connect(), (err: pg.DatabaseError) => err.code === '28P01' && err.severity === 'FATAL' && err.message === 'password authentication failed for user "alice"' && typeof err.detail === 'string' && err.detail.length > 0);
    // The token exactly as sent: a stray space or newline makes it another string, refused.
    for (const password of [` ${TOKEN}`, `${TOKEN}\n`, `${TOKEN} `]) {
      const padded = new pg.Client(harness.client({ password }));
      await assert.rejects(padded.connect(), (err: pg.DatabaseError) => err.code === '28P01');
    }
    const unknown = new pg.Client(harness.client({ database: 'nope' }));
    await assert.rejects(unknown.connect(), (err: pg.DatabaseError) => err.code === '3D000' && /target "nope"/.test(err.message));
  });

  it('selects the target from -c airlock.target and takes the reason from -c airlock.reason', async (t) => {
    if (!(await requirePostgres(t))) return;
    const options = '-c airlock.target=app -c airlock.reason=INC-1234 -c statement_timeout=12345';
    const result = await psql(harness.env({ PGDATABASE: 'whatever', PGOPTIONS: options }), ['-At', '-c', "SELECT current_setting('statement_timeout') AS reason_check"]).done;
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim(), '12345ms');
    const check = harness.gate.checks.find((a) => a.command.includes('reason_check'));
    assert.equal(check?.reason, 'INC-1234');
  });

  it('takes the reason from SET airlock.reason for later statements', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await psql(harness.env(), ['-At'], "SET airlock.reason = 'CHG-42';\nSELECT 'after_set';\n").done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(harness.gate.checks.find((a) => a.command.includes('after_set'))?.reason, 'CHG-42');
  });

  it('keeps the client startup parameters (application_name, client_encoding, DateStyle)', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client({ application_name: 'through-airlock' }));
    await client.connect();
    try {
      const row = (await client.query("SELECT current_setting('application_name') AS app, current_setting('client_encoding') AS enc")).rows[0];
      // The engineer's subject rides along, so pg_stat_activity names the person.
      assert.equal(row.app, 'through-airlock [airlock:alice]');
      assert.equal(row.enc, 'UTF8');
      // Airlock's own key, not the upstream's pid.
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      assert.notEqual((client as unknown as { processID: number }).processID, pid);
    } finally {
      await client.end();
    }
  });

  it('answers an empty query like PostgreSQL does', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    await client.connect();
    try {
      const result = await client.query('');
      assert.equal(result.rows.length, 0);
      assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);
    } finally {
      await client.end();
    }
  });
});
