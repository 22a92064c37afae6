import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startTestAirlock } from '../support/airlock-instance.js';
import { POSTGRES, requirePostgres } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

const DATABASE = `airlock_catalog_${process.pid}`;
const ROWS = 5;

/**
 * Objects an attacker planted (or found) in the database: names that look
 * harmless in a statement but run code that deletes rows or ends another
 * session. They are created directly, as the database owner, in a database
 * of this test's own (some of them change what every statement in a
 * database can run).
 */
const PLANTED = `
CREATE TABLE victim (id int PRIMARY KEY, v text);
INSERT INTO victim SELECT g, 'v' || g FROM generate_series(1, ${ROWS}) g;
CREATE TABLE notes (id int, body text);
CREATE TABLE sentinel (pid int);
CREATE FUNCTION wipe_row_by_id(int) RETURNS int LANGUAGE sql AS $$ DELETE FROM victim; SELECT 1 $$;
CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS $$ DELETE FROM victim; SELECT 1 $$;
CREATE FUNCTION wipe_pl() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; RETURN 1; END $$;
CREATE FUNCTION wipe_row(victim) RETURNS int LANGUAGE sql AS $$ DELETE FROM victim; SELECT 1 $$;
CREATE FUNCTION wipe_note(notes) RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; RETURN 1; END $$;
CREATE FUNCTION kill_sentinel() RETURNS bool LANGUAGE sql AS $$ SELECT pg_terminate_backend(pid) FROM sentinel $$;
CREATE FUNCTION kill(int) RETURNS bool LANGUAGE sql AS $$ SELECT pg_terminate_backend($1) $$;
CREATE FUNCTION kill2(int, int) RETURNS bool LANGUAGE sql AS $$ SELECT pg_terminate_backend($2) $$;
CREATE FUNCTION read_file(text) RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file($1) $$;
CREATE FUNCTION internal_kill(int, bigint DEFAULT 0) RETURNS bool LANGUAGE internal AS 'pg_terminate_backend';
CREATE FUNCTION chain2() RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION chain1() RETURNS int LANGUAGE sql AS $$ SELECT chain2() $$;
CREATE FUNCTION loop_a(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF n > 0 THEN RETURN loop_b(n - 1); END IF; RETURN wipe(); END $$;
CREATE FUNCTION loop_b(n int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN loop_a(n); END $$;
CREATE FUNCTION dyn() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM victim'; END $$;
CREATE FUNCTION atomic_wipe() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM victim; END;
CREATE FUNCTION return_kill() RETURNS bool LANGUAGE sql RETURN (SELECT pg_terminate_backend(pid) FROM sentinel);
CREATE FUNCTION definer_wipe() RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM victim $$;
CREATE FUNCTION safe_len(text) RETURNS int LANGUAGE sql AS $$ SELECT length($1) $$;
CREATE PROCEDURE wipe_proc() LANGUAGE sql AS $$ DELETE FROM victim $$;
CREATE FUNCTION wipe_state(int, int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; RETURN 0; END $$;
CREATE FUNCTION wipe_final(int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; RETURN 0; END $$;
CREATE FUNCTION plain_state(int, int) RETURNS int LANGUAGE sql AS $$ SELECT $1 + $2 $$;
CREATE AGGREGATE wipe_agg(int) (SFUNC = wipe_state, STYPE = int, INITCOND = '0');
CREATE AGGREGATE final_agg(int) (SFUNC = plain_state, STYPE = int, INITCOND = '0', FINALFUNC = wipe_final);
CREATE AGGREGATE public.max(text, bool) (SFUNC = set_config, STYPE = text, INITCOND = 'role');
CREATE FUNCTION public.length(bigint, bigint) RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('/etc/hostname') $$;
CREATE FUNCTION public.upper(int) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION public.abs(text) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION public.now(int) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION public.repeat(int, int) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION public.md5(int) RETURNS bool LANGUAGE sql AS $$ SELECT kill_sentinel() $$;
CREATE FUNCTION public.left(int, int) RETURNS bool LANGUAGE sql AS $$ SELECT kill_sentinel() $$;
CREATE FUNCTION public.round(text) RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file($1) $$;
CREATE FUNCTION public.concat_ws(int, int) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE FUNCTION public.sum(text, text) RETURNS int LANGUAGE sql AS $$ SELECT wipe() $$;
CREATE OPERATOR ### (RIGHTARG = text, FUNCTION = pg_read_file);
CREATE OPERATOR #!# (RIGHTARG = int, FUNCTION = kill);
CREATE OPERATOR ~~~ (LEFTARG = int, RIGHTARG = int, FUNCTION = kill2);
CREATE OPERATOR !!! (RIGHTARG = int, FUNCTION = wipe_row_by_id);
CREATE SCHEMA ops;
CREATE OPERATOR ops.@@@ (RIGHTARG = int, FUNCTION = kill);
CREATE FUNCTION trg_wipe() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; RETURN NEW; END $$;
CREATE TABLE trig_t (x int);
CREATE TRIGGER trig_t_wipe BEFORE INSERT OR UPDATE OR DELETE ON trig_t FOR EACH ROW EXECUTE FUNCTION trg_wipe();
CREATE TABLE stmt_trig_t (x int);
CREATE TRIGGER stmt_trig_t_wipe AFTER TRUNCATE ON stmt_trig_t FOR EACH STATEMENT EXECUTE FUNCTION trg_wipe();
CREATE TABLE rule_t (x int);
CREATE RULE rule_t_wipe AS ON INSERT TO rule_t DO ALSO DELETE FROM victim;
CREATE TABLE update_rule_t (x int);
CREATE RULE update_rule_t_wipe AS ON UPDATE TO update_rule_t DO INSTEAD SELECT kill_sentinel();
CREATE TABLE default_t (x int, y int DEFAULT wipe());
CREATE TABLE check_t (x int CHECK (kill_sentinel() IS NOT NULL));
CREATE DOMAIN deadly AS int CHECK (kill_sentinel() IS NOT NULL);
CREATE DOMAIN deadlier AS deadly;
CREATE TABLE domain_t (x deadlier);
CREATE FUNCTION imm_kill(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pid) FROM sentinel; RETURN $1; END $$;
CREATE TABLE index_t (x int);
CREATE INDEX index_t_kill ON index_t (imm_kill(x));
CREATE VIEW wipe_v AS SELECT wipe() AS w;
CREATE VIEW wipe_vv AS SELECT * FROM wipe_v;
CREATE VIEW trig_v AS SELECT * FROM trig_t;
CREATE VIEW instead_v AS SELECT 1 AS x;
CREATE TRIGGER instead_v_wipe INSTEAD OF INSERT ON instead_v FOR EACH ROW EXECUTE FUNCTION trg_wipe();
CREATE TABLE gen_t (x int, y int GENERATED ALWAYS AS (imm_kill(x)) STORED);
`;

interface Case {
  readonly sql: string;
  /** 'refused': high or critical (denied by this test's policy); 'allowed': it runs. */
  readonly expect: 'refused' | 'allowed';
}

const refused = (sql: string): Case => ({ sql, expect: 'refused' });
const allowed = (sql: string): Case => ({ sql, expect: 'allowed' });
const SENTINEL = '(SELECT pid FROM sentinel)';

const CASES: readonly Case[] = [
  // Operators bound to dangerous functions, prefix and infix, qualified or not, in every expression position.
  refused(`SELECT ### '/etc/hostname'`),
  refused(`SELECT length(### '/etc/hostname')`),
  refused(`SELECT * FROM victim WHERE v = ### '/etc/hostname'`),
  refused(`SELECT #!# ${SENTINEL}`),
  refused(`SELECT 1 ~~~ ${SENTINEL}`),
  refused(`SELECT 1 WHERE 1 ~~~ ANY (ARRAY[${SENTINEL}])`),
  refused(`SELECT 1 WHERE 1 ~~~ ALL (SELECT pid FROM sentinel)`),
  refused(`SELECT OPERATOR(ops.@@@) ${SENTINEL}`),
  refused(`SELECT OPERATOR(public.#!#) ${SENTINEL}`),
  refused(`SELECT !!! 1`),
  refused(`SELECT id FROM victim ORDER BY #!# ${SENTINEL}`),
  refused(`SELECT CASE WHEN true THEN #!# ${SENTINEL} END`),
  refused(`UPDATE notes SET body = ### '/etc/hostname' WHERE id = 1`),
  refused(`WITH x AS (SELECT #!# ${SENTINEL}) SELECT * FROM x`),
  refused(`EXPLAIN ANALYZE SELECT #!# ${SENTINEL}`),
  // Overloads that shadow built-ins (CVE-2018-1058 pattern) and aggregates built on dangerous functions.
  refused(`SELECT max('pg_monitor', false)`),
  refused(`SELECT length(1, 2)`),
  refused(`SELECT upper(1)`),
  refused(`SELECT abs('x')`),
  refused(`SELECT now(1)`),
  refused(`SELECT repeat(1, 2)`),
  refused(`SELECT md5(1)`),
  refused(`SELECT "left"(1, 2)`),
  refused(`SELECT round('/etc/hostname')`),
  refused(`SELECT concat_ws(1, 2)`),
  refused(`SELECT sum('a', 'b')`),
  refused(`SELECT wipe_agg(id) FROM victim`),
  refused(`SELECT final_agg(id) FROM victim`),
  refused(`SELECT wipe_agg(id) OVER () FROM victim`),
  refused(`SELECT public.max('pg_monitor', false)`),
  // Attribute notation: a column reference that calls a function of the row.
  refused(`SELECT x.wipe_row FROM victim x`),
  refused(`SELECT (x).wipe_row FROM victim x`),
  refused(`SELECT victim.wipe_row FROM victim`),
  refused(`SELECT public.victim.wipe_row FROM public.victim`),
  refused(`SELECT (ROW(1, 'a')::victim).wipe_row`),
  refused(`SELECT n.wipe_note FROM notes n`),
  refused(`SELECT 1 FROM victim x WHERE x.wipe_row > 0`),
  refused(`SELECT wipe_row(x) FROM victim x`),
  // User functions whose bodies write, read files or end sessions, however deep.
  refused(`SELECT wipe()`),
  refused(`SELECT wipe_pl()`),
  refused(`SELECT public.wipe()`),
  refused(`SELECT chain1()`),
  refused(`SELECT loop_a(3)`),
  refused(`SELECT dyn()`),
  refused(`SELECT atomic_wipe()`),
  refused(`SELECT return_kill()`),
  refused(`SELECT definer_wipe()`),
  refused(`SELECT kill_sentinel()`),
  refused(`SELECT read_file('/etc/hostname')`),
  refused(`SELECT internal_kill(${SENTINEL})`),
  refused(`CALL wipe_proc()`),
  refused(`SELECT * FROM victim WHERE id = wipe()`),
  refused(`SELECT * FROM generate_series(1, wipe())`),
  refused(`VALUES (wipe())`),
  refused(`SELECT (SELECT chain2())`),
  // Writes that fire triggers, rules, defaults, checks, domains, index and generated expressions.
  refused(`INSERT INTO trig_t VALUES (1)`),
  refused(`UPDATE trig_t SET x = 2 WHERE x = 1`),
  refused(`DELETE FROM trig_t WHERE x = 1`),
  refused(`TRUNCATE stmt_trig_t`),
  refused(`INSERT INTO rule_t VALUES (1)`),
  refused(`UPDATE update_rule_t SET x = 1 WHERE x = 0`),
  refused(`INSERT INTO default_t (x) VALUES (1)`),
  refused(`INSERT INTO check_t VALUES (1)`),
  refused(`INSERT INTO domain_t VALUES (1)`),
  refused(`SELECT 1::deadly`),
  refused(`SELECT CAST(1 AS deadlier)`),
  refused(`INSERT INTO index_t VALUES (1)`),
  refused(`INSERT INTO gen_t (x) VALUES (1)`),
  refused(`WITH w AS (INSERT INTO trig_t VALUES (1) RETURNING x) SELECT * FROM w`),
  refused(`INSERT INTO trig_v VALUES (1)`),
  refused(`INSERT INTO instead_v VALUES (1)`),
  refused(`MERGE INTO trig_t t USING (SELECT 1 AS x) s ON t.x = s.x WHEN NOT MATCHED THEN INSERT VALUES (s.x)`),
  // Views whose query runs user code.
  refused(`SELECT * FROM wipe_v`),
  refused(`SELECT * FROM wipe_vv`),
  refused(`SELECT count(*) FROM public.wipe_v`),
  refused(`SELECT * FROM victim WHERE EXISTS (SELECT 1 FROM wipe_v)`),
  // Functions the hand-kept list must cover, with no user object involved.
  refused(`SELECT pg_logical_slot_get_changes('airlock_none', NULL, NULL)`),
  refused(`SELECT pg_replication_slot_advance('airlock_none', '0/0')`),
  refused(`SELECT pg_copy_logical_replication_slot('airlock_none', 'airlock_other')`),
  refused(`SELECT pg_stat_reset()`),
  refused(`SELECT pg_backup_start('airlock')`),
  refused(`SELECT pg_wal_replay_pause()`),
  refused(`SELECT pg_import_system_collations('pg_catalog')`),
  refused(`SELECT table_to_xml('victim', true, true, '')`),
  refused(`SELECT schema_to_xml('public', true, true, '')`),
  refused(`SELECT database_to_xml(true, true, '')`),
  refused(`DO $$ DECLARE a int[]; BEGIN a[(SELECT wipe())] := 1; END $$`),
  refused(`SELECT pg_read_file('/etc/hostname')`),
  // Look-alikes that resolve to nothing but built-ins or harmless code, and run.
  allowed(`SELECT length('abc')`),
  allowed(`SELECT max(id) FROM victim`),
  allowed(`SELECT x.id, x.v FROM victim x`),
  allowed(`SELECT (x).id FROM victim x`),
  allowed(`SELECT v FROM victim WHERE id = 1`),
  allowed(`SELECT count(*) FROM victim`),
  allowed(`SELECT safe_len('abc')`),
  allowed(`SELECT sum(id) FROM victim`),
  allowed(`SELECT 2 + 2, 'a' || 'b', 1 BETWEEN 0 AND 2`),
  allowed(`INSERT INTO notes VALUES (1, 'a')`),
  allowed(`UPDATE notes SET body = 'b' WHERE id = 1`),
  allowed(`SELECT * FROM victim WHERE v LIKE 'v%' ORDER BY id`),
  // Reading a table fires none of its triggers, rules or defaults.
  allowed(`INSERT INTO notes SELECT x, 'a' FROM trig_t`),
  allowed(`SELECT * FROM rule_t, default_t, check_t, domain_t, index_t`),
];

describe('e2e: names resolved through the target catalog', () => {
  let airlock: Instance;
  let token: string;
  let sentinel: pg.Client;
  let sentinelPid = 0;

  const connectDirect = async (database: string): Promise<pg.Client> => {
    const client = new pg.Client({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database });
    await client.connect();
    return client;
  };

  before(async () => {
    const admin = await connectDirect(POSTGRES.database);
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    const owner = await connectDirect(DATABASE);
    await owner.query(PLANTED);
    await owner.end();
    sentinel = await connectDirect(DATABASE);
    sentinelPid = (await sentinel.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    sentinel.on('error', () => undefined);
    await sentinel.query('INSERT INTO sentinel VALUES ($1)', [sentinelPid]);
    airlock = await startTestAirlock(`
postgres: { listen: "127.0.0.1:0", catalog: { refresh_interval: 200ms } }
targets:
  - name: app
    protocol: postgres
    upstream: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, user: ${POSTGRES.user}, database: ${DATABASE} }
policy:
  defaults:
    low: allow
    medium: allow
    high: { deny: "high risk is denied in this test" }
    critical: { deny: "critical risk is denied in this test" }
`);
    token = await airlock.token('mallory', ['engineers']);
  });

  after(async () => {
    await airlock?.shutdown('test done');
    await sentinel?.end().catch(() => undefined);
    const admin = await connectDirect(POSTGRES.database).catch(() => null);
    if (admin) {
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DATABASE]).catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`).catch(() => undefined);
      await admin.end();
    }
  });

  async function throughAirlock<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const address = airlock.postgres as { host: string; port: number };
    const client = new pg.Client({ host: address.host, port: address.port, user: 'mallory', database: 'app', password: token });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The effect on the real server: no victim row lost, the sentinel session alive. */
  async function unharmed(what: string): Promise<void> {
    const check = await connectDirect(DATABASE);
    try {
      const rows = (await check.query('SELECT count(*)::int AS n FROM victim')).rows[0].n as number;
      assert.equal(rows, ROWS, `${what}: the victim table lost rows`);
      const alive = (await check.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [sentinelPid])).rows[0].n as number;
      assert.equal(alive, 1, `${what}: the sentinel session was terminated`);
    } finally {
      await check.end();
    }
  }

  it(`holds back what each name really runs (${CASES.length} cases), with no effect on the server`, async (t) => {
    if (!(await requirePostgres(t))) return;
    assert.ok(CASES.filter((c) => c.expect === 'refused').length >= 80, 'at least 80 attack cases');
    const failures: string[] = [];
    await throughAirlock(async (client) => {
      for (const c of CASES) {
        let error: (Error & { code?: string }) | undefined;
        try {
          await client.query(c.sql);
        } catch (err) {
          error = err as Error & { code?: string };
        }
        if (c.expect === 'refused' && error?.code !== '42501') failures.push(`${c.sql}: expected a denial (42501), got ${error ? `${error.code}: ${error.message}` : 'success'}`);
        if (c.expect === 'allowed' && error !== undefined) failures.push(`${c.sql}: expected it to run, got ${error.code}: ${error.message}`);
        await unharmed(c.sql);
      }
    });
    assert.deepEqual(failures, []);
  });

  it('a function replaced after the session started is judged by its new body', async (t) => {
    if (!(await requirePostgres(t))) return;
    const owner = await connectDirect(DATABASE);
    try {
      await owner.query(`CREATE OR REPLACE FUNCTION later() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`);
      await throughAirlock(async (client) => {
        await waitForCatalog(client, 'SELECT later()');
        await owner.query(`CREATE OR REPLACE FUNCTION later() RETURNS int LANGUAGE sql AS $$ DELETE FROM victim; SELECT 1 $$`);
        // Within the refresh interval the new body is read; until then a call may still pass as the old one did.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await assert.rejects(client.query('SELECT later()'), (err: Error & { code?: string }) => err.code === '42501');
      });
      await unharmed('replaced function');
    } finally {
      await owner.query('DROP FUNCTION IF EXISTS later()');
      await owner.end();
    }
  });

  it('user operators spelled like =, casts and event triggers reach every statement they can run in', async (t) => {
    if (!(await requirePostgres(t))) return;
    const owner = await connectDirect(DATABASE);
    try {
      await owner.query(`CREATE FUNCTION text_eq_int(text, int) RETURNS bool LANGUAGE sql AS $$ SELECT kill_sentinel() $$`);
      await owner.query(`CREATE OPERATOR = (LEFTARG = text, RIGHTARG = int, FUNCTION = text_eq_int)`);
      await throughAirlock(async (client) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await assert.rejects(client.query(`SELECT * FROM victim WHERE v = 1`), (err: Error & { code?: string }) => err.code === '42501');
        await assert.rejects(client.query(`SELECT * FROM victim WHERE v IN (1, 2)`), (err: Error & { code?: string }) => err.code === '42501');
      });
      await unharmed('implicit operator');
      await owner.query(`DROP OPERATOR = (text, int)`);
      await owner.query(`CREATE FUNCTION evt_wipe() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM victim; END $$`);
      await owner.query(`CREATE EVENT TRIGGER evt_wipe ON ddl_command_start EXECUTE FUNCTION evt_wipe()`);
      await throughAirlock(async (client) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        // CREATE TABLE alone is medium (allowed here); the event trigger makes it delete every row.
        await assert.rejects(client.query(`CREATE TABLE evt_target (x int)`), (err: Error & { code?: string }) => err.code === '42501');
      });
      await unharmed('event trigger');
    } finally {
      await owner.query('DROP EVENT TRIGGER IF EXISTS evt_wipe').catch(() => undefined);
      await owner.end();
    }
  });

  async function waitForCatalog(client: pg.Client, sql: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await client.query(sql);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
});
