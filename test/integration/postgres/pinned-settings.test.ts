import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { direct, uniqueName } from '../../support/pg-clients.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { POSTGRES, requirePostgres } from '../../support/services.js';

// The backstop behind the classifier's refusals: the server's own reports of the settings that
// change how it reads text. A path Airlock did not see (a role default, a user function) ends the session.
describe('the server reports a setting the classifier does not assume', () => {
  const role = uniqueName('airlock_scs');
  const fn = uniqueName('airlock_flip');
  let harness: ProxyHarness;

  before(async () => {
    await direct(async (c) => {
      await c.query(`CREATE ROLE ${role} LOGIN`);
      await c.query(`ALTER ROLE ${role} SET standard_conforming_strings = off`);
      await c.query(`CREATE FUNCTION public.${fn}() RETURNS text LANGUAGE sql AS $$ SELECT set_config('standard_conforming_strings', 'off', false) $$`);
    }).catch(() => undefined);
    harness = await startProxy({
      targets: [
        { name: 'app', protocol: 'postgres', upstream: { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: POSTGRES.database } },
        { name: 'legacy', protocol: 'postgres', upstream: { host: POSTGRES.host, port: POSTGRES.port, user: role, database: POSTGRES.database } },
      ],
    });
  });
  after(async () => {
    await harness?.close();
    await direct(async (c) => {
      await c.query(`DROP FUNCTION IF EXISTS public.${fn}()`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
    }).catch(() => undefined);
  });

  it('refuses a session whose role starts it with standard_conforming_strings off', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client({ database: 'legacy' }));
    await assert.rejects(client.connect(), (err: Error & { code?: string }) => {
      assert.equal(err.code, '0A000');
      assert.match(err.message, /starts sessions with standard_conforming_strings is off/);
      return true;
    });
    const record = harness.gate.checks.find((a) => a.classification.facts.flags.includes('pinned_setting:standard_conforming_strings'));
    assert.ok(record, 'the refusal went through the gate (audited)');
  });

  it('ends a session when code Airlock did not read turns it off, before the next statement is read', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = new pg.Client(harness.client());
    client.on('error', () => undefined);
    await client.connect();
    const flipped = await client.query(`SELECT public.${fn}()`).then(
      () => null,
      (err: Error & { code?: string }) => err,
    );
    // The answer may or may not arrive before the FATAL; the session is over either way.
    if (flipped) assert.equal(flipped.code, '0A000');
    await assert.rejects(client.query("SELECT '\\' , 'x'"));
  });
});
