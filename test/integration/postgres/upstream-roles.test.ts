import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { direct, uniqueName } from '../../support/pg-clients.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';
import { POSTGRES, requirePostgres } from '../../support/services.js';

// Groups map to upstream roles, so PostgreSQL's own privileges narrow what each group may do,
// and pg_stat_activity names the engineer. The harness's principals are in group `engineers`.
describe('upstream roles by group, attribution, and privileged upstream roles', () => {
  const reader = uniqueName('airlock_ro');
  const table = uniqueName('roles_t');
  let harness: ProxyHarness;
  const privileged: string[] = [];

  before(async () => {
    await direct(async (c) => {
      await c.query(`CREATE ROLE ${reader} LOGIN`);
      await c.query(`CREATE TABLE ${table} (n int)`);
      await c.query(`INSERT INTO ${table} VALUES (1)`);
      await c.query(`GRANT SELECT ON ${table} TO ${reader}`);
    }).catch(() => undefined);
    harness = await startProxy({
      targets: [
        {
          name: 'app',
          protocol: 'postgres',
          upstream: { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: POSTGRES.database },
          roles: [
            { name: 'admin', user: POSTGRES.user, groups: ['dba'] },
            { name: 'readonly', user: reader, groups: ['engineers'] },
          ],
        },
        { name: 'plain', protocol: 'postgres', upstream: { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: POSTGRES.database } },
      ],
      onPrivilegedUpstream: (target, user) => privileged.push(`${target}/${user}`),
    });
  });
  after(async () => {
    await harness?.close();
    await direct(async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.query(`DROP ROLE IF EXISTS ${reader}`);
    }).catch(() => undefined);
  });

  async function session(user: string, database = 'app'): Promise<pg.Client> {
    const client = new pg.Client(harness.client({ user, database, application_name: 'reports' }));
    await client.connect();
    return client;
  }

  it('the user name picks a role the groups allow; the session runs as that role and carries the subject', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = await session('readonly');
    try {
      const row = (await client.query("SELECT current_user AS who, current_setting('application_name') AS app")).rows[0];
      assert.equal(row.who, reader);
      assert.equal(row.app, 'reports [airlock:alice]');
      assert.equal((await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 1);
      // PostgreSQL itself refuses what the role may not do, whatever the gate allowed.
      await assert.rejects(client.query(`DELETE FROM ${table} WHERE n = 1`), (err: Error & { code?: string }) => err.code === '42501');
    } finally {
      await client.end();
    }
    assert.equal((await direct((c) => c.query(`SELECT count(*)::int AS n FROM ${table}`))).rows[0].n, 1);
  });

  it('a user name that is no role picks the first role the groups allow', async (t) => {
    if (!(await requirePostgres(t))) return;
    const client = await session('alice');
    try {
      assert.equal((await client.query('SELECT current_user AS who')).rows[0].who, reader);
    } finally {
      await client.end();
    }
  });

  it('a role the groups do not allow is refused at login', async (t) => {
    if (!(await requirePostgres(t))) return;
    await assert.rejects(session('admin'), (err: Error & { code?: string }) => {
      assert.equal(err.code, '42501');
      assert.match(err.message, /role "admin" of target "app" is not allowed for your groups/);
      return true;
    });
  });

  it('a superuser upstream role is reported once per target and role, with no effect on the session', async (t) => {
    if (!(await requirePostgres(t))) return;
    for (let i = 0; i < 2; i++) {
      const client = await session('alice', 'plain');
      try {
        assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      } finally {
        await client.end();
      }
    }
    assert.deepEqual(privileged, [`plain/${POSTGRES.user}`]);
  });
});
