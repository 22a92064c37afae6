import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serialize as s } from 'pg-protocol';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { direct, uniqueName } from '../support/pg-clients.js';
import { requirePostgres } from '../support/services.js';
import { WireClient, type WireMessage, commandTags, errorCodes } from '../support/wire-client.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/**
 * A review of the Gate by an attacker with a raw protocol client: each attack
 * tries to make PostgreSQL run a write (or a setting change) that Airlock
 * classified as something harmless. The policy lets low and medium risk
 * through and denies high and critical, so a missed classification shows up
 * as an effect on the real server. Every attack is checked over a direct
 * connection: the victim table keeps its rows, no role default or function
 * was created, and PostgreSQL's postmaster was not restarted.
 */
describe('e2e: wire-level attacks on the PostgreSQL gate', () => {
  let airlock: Instance;
  let token: string;
  const victim = uniqueName('wa_victim');
  const ROWS = 5;
  const fn = uniqueName('wa_fn');
  let startTime = '';
  let roleSettings = 0;
  const DELETE = `DELETE FROM ${victim}`;

  before(async () => {
    airlock = await startTestAirlock(`
${REAL_POSTGRES_TARGET}
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
    await direct(async (c) => {
      await c.query(`DROP TABLE IF EXISTS ${victim}`);
      await c.query(`DROP FUNCTION IF EXISTS ${fn}_plant(), ${fn}_wipe(), ${fn}_open(), ${fn}_peek()`);
    }).catch(() => undefined);
  });

  async function setUp(): Promise<void> {
    await direct(async (c) => {
      await c.query(`CREATE TABLE IF NOT EXISTS ${victim} (id int)`);
      await c.query(`TRUNCATE ${victim}`);
      await c.query(`INSERT INTO ${victim} SELECT generate_series(1, ${ROWS})`);
      // Code already in the database that an attacker may call (user functions are medium risk).
      await c.query(`CREATE OR REPLACE FUNCTION ${fn}_plant() RETURNS void LANGUAGE plpgsql AS $f$
        BEGIN
          BEGIN EXECUTE 'DEALLOCATE s5'; EXCEPTION WHEN OTHERS THEN NULL; END;
          EXECUTE 'PREPARE s5 AS DELETE FROM ${victim}';
        END $f$`);
      await c.query(`CREATE OR REPLACE FUNCTION ${fn}_wipe() RETURNS int LANGUAGE sql AS $f$ DELETE FROM ${victim}; SELECT 1 $f$`);
      await c.query(`CREATE OR REPLACE FUNCTION ${fn}_open() RETURNS void LANGUAGE plpgsql AS $f$
        DECLARE c refcursor := 'p9'; BEGIN OPEN c FOR SELECT ${fn}_wipe(); END $f$`);
      // Harmless user code that still opens a cursor Airlock did not see.
      await c.query(`CREATE OR REPLACE FUNCTION ${fn}_peek() RETURNS void LANGUAGE plpgsql AS $f$
        DECLARE c refcursor := 'p8'; BEGIN OPEN c FOR SELECT 1; END $f$`);
      startTime = (await c.query('SELECT pg_postmaster_start_time()::text AS t')).rows[0].t as string;
      roleSettings = (await c.query('SELECT count(*)::int AS n FROM pg_db_role_setting')).rows[0].n as number;
    });
  }

  async function unharmed(what: string): Promise<void> {
    await direct(async (c) => {
      const rows = (await c.query(`SELECT count(*)::int AS n FROM ${victim}`)).rows[0].n as number;
      assert.equal(rows, ROWS, `${what}: the victim table lost rows`);
      const settings = (await c.query('SELECT count(*)::int AS n FROM pg_db_role_setting')).rows[0].n as number;
      assert.equal(settings, roleSettings, `${what}: a role or database default was set`);
      const restarted = (await c.query('SELECT pg_postmaster_start_time()::text AS t')).rows[0].t as string;
      assert.equal(restarted, startTime, `${what}: PostgreSQL restarted (a backend crashed)`);
    });
  }

  function connectAs(parameters: Record<string, string> = {}): Promise<WireClient> {
    const address = airlock.postgres as { host: string; port: number };
    return WireClient.connect(address.host, address.port, { user: 'mallory', database: 'app', password: token, parameters });
  }

  /** Sends each round (ending in Sync or a Query) and collects every answer. */
  async function rounds(client: WireClient, ...steps: Buffer[][]): Promise<WireMessage[]> {
    const all: WireMessage[] = [];
    for (const step of steps) {
      client.send(...step);
      all.push(...(await client.untilReady(1)));
    }
    return all;
  }

  /** All rounds written at once (pipelined), then every answer read. */
  async function pipelined(client: WireClient, ...steps: Buffer[][]): Promise<WireMessage[]> {
    client.send(...steps.flat());
    return client.untilReady(steps.length);
  }

  const q = (text: string) => [s.query(text)];
  const parseSync = (name: string, text: string) => [s.parse({ name, text }), s.sync()];
  const run = (statement: string, portal = '') => [s.bind({ portal, statement }), s.execute({ portal }), s.sync()];
  const refused = (messages: readonly WireMessage[]) => errorCodes(messages).some((code) => code === '42501' || code === '0A000' || code === '57014');

  interface Attack {
    readonly name: string;
    run(): Promise<void>;
  }

  const attacks: Attack[] = [];
  const attack = (name: string, body: () => Promise<void>) => attacks.push({ name, run: body });

  /** An attack that must end in a refusal on an open session. */
  const session = (name: string, body: (c: WireClient) => Promise<WireMessage[]>) =>
    attack(name, async () => {
      const client = await connectAs();
      try {
        const messages = await body(client);
        assert.ok(refused(messages) || client.closed, `${name}: nothing was refused (${errorCodes(messages).join(',') || 'no error'})`);
      } finally {
        client.close();
      }
    });

  /** A login that must be refused. */
  const login = (name: string, parameters: Record<string, string>) =>
    attack(name, async () => {
      await assert.rejects(connectAs(parameters), (err: Error & { code?: string }) => {
        assert.ok(err.code === '42501' || err.code === '0A000' || err.code === '42601', `${name}: refused with ${err.code}: ${err.message}`);
        return true;
      });
    });

  // ---- 1. the record of prepared statements and portals -------------------------------------------
  session('re-Parse of a name the server refuses (42P05) leaves the old DELETE in place', (c) =>
    rounds(c, parseSync('s1', DELETE), parseSync('s1', 'SELECT 1'), run('s1')),
  );
  session('the same, pipelined in one write', (c) => pipelined(c, parseSync('s1', DELETE), parseSync('s1', 'SELECT 1'), run('s1')));
  session('SQL PREPARE over an existing name (42P05) then SQL EXECUTE', (c) => rounds(c, parseSync('s2', DELETE), q('PREPARE s2 AS SELECT 1'), q('EXECUTE s2')));
  session('pipelined SQL PREPARE over an existing name then EXECUTE', (c) => pipelined(c, parseSync('s2', DELETE), q('PREPARE s2 AS SELECT 1'), q('EXECUTE s2')));
  session('an error skips the rest of the batch, so the later unnamed Parse never happened', (c) =>
    rounds(
      c,
      parseSync('', DELETE),
      [s.parse({ name: 'a', text: 'SELECT 1/0' }), s.bind({ portal: 'pa', statement: 'a' }), s.execute({ portal: 'pa' }), s.parse({ name: '', text: 'SELECT 1' }), s.sync()],
      run(''),
    ),
  );
  session('the same, pipelined', (c) =>
    pipelined(
      c,
      parseSync('', DELETE),
      [s.parse({ name: 'a', text: 'SELECT 1/0' }), s.bind({ portal: 'pa', statement: 'a' }), s.execute({ portal: 'pa' }), s.parse({ name: '', text: 'SELECT 1' }), s.sync()],
      run(''),
    ),
  );
  session('a Parse-only batch, then Bind/Execute after a Flush', (c) =>
    rounds(c, [s.parse({ name: 'f', text: DELETE }), s.flush(), s.bind({ portal: '', statement: 'f' }), s.execute({}), s.sync()]),
  );
  session('Bind without Execute is gated too (planning can evaluate functions)', (c) => rounds(c, parseSync('b', DELETE), [s.bind({ portal: 'pb', statement: 'b' }), s.sync()]));
  session('a failing unnamed Parse does not make the old unnamed DELETE harmless', (c) =>
    rounds(c, parseSync('', DELETE), parseSync('', `SELECT no_such_column FROM ${victim}`), run('')),
  );
  session('a portal bound to the DELETE under another name', (c) => rounds(c, parseSync('d', DELETE), [s.bind({ portal: 'p1', statement: 'd' }), s.sync()], [s.execute({ portal: 'p1' }), s.sync()]));
  session('Close of the statement then a failing re-Parse', (c) =>
    rounds(c, parseSync('c', DELETE), [s.parse({ name: 'c', text: 'SELECT 1' }), s.close({ type: 'S', name: 'zz' }), s.sync()], run('c')),
  );
  session('EXECUTE before a same-string re-PREPARE runs what the server holds', (c) => rounds(c, parseSync('w', DELETE), q('EXECUTE w; DEALLOCATE w; PREPARE w AS SELECT 1')));
  session('a prepared EXECUTE of the DELETE (nested)', (c) => rounds(c, parseSync('w', DELETE), parseSync('x', 'EXECUTE w'), run('x')));
  session('SQL EXECUTE of a prepared EXECUTE of the DELETE', (c) => rounds(c, parseSync('w', DELETE), parseSync('x', 'EXECUTE w'), q('EXECUTE x')));
  session('a prepared DEALLOCATE, executed, then a re-PREPARE, all in one string', (c) =>
    rounds(c, parseSync('w', DELETE), parseSync('d', 'DEALLOCATE w'), q('EXECUTE w; EXECUTE d; PREPARE w AS SELECT 1')),
  );
  session('DEALLOCATE ALL in one string does not make a later EXECUTE harmless', (c) => rounds(c, parseSync('w', DELETE), q('DEALLOCATE ALL; EXECUTE w')));
  session('user code prepares a DELETE under a name Airlock knows as SELECT 1', (c) => rounds(c, parseSync('s5', 'SELECT 1'), q(`SELECT ${fn}_plant()`), run('s5')));
  session('the same, pipelined', (c) => pipelined(c, parseSync('s5', 'SELECT 1'), q(`SELECT ${fn}_plant()`), run('s5')));
  session('the same through SQL EXECUTE', (c) => rounds(c, parseSync('s5', 'SELECT 1'), q(`SELECT ${fn}_plant()`), q('EXECUTE s5')));
  session('user code opens a cursor named like a portal', (c) => rounds(c, q('BEGIN'), q(`SELECT ${fn}_open()`), [s.execute({ portal: 'p9' }), s.sync()]));
  session('a cursor declared over a portal name Airlock knew', (c) =>
    rounds(c, q('BEGIN'), parseSync('one', 'SELECT 1'), [s.bind({ portal: 'p8', statement: 'one' }), s.sync()], q(`CLOSE p8; DECLARE p8 CURSOR FOR SELECT ${fn}_wipe()`), [s.execute({ portal: 'p8' }), s.sync()]),
  );
  session('a portal from before COMMIT; BEGIN in one string', (c) =>
    rounds(c, q('BEGIN'), parseSync('one', 'SELECT 1'), [s.bind({ portal: 'p7', statement: 'one' }), s.sync()], q(`COMMIT; BEGIN; DECLARE p7 CURSOR FOR SELECT ${fn}_wipe()`), [s.execute({ portal: 'p7' }), s.sync()]),
  );
  session('the PostgreSQL 15 crash: Execute of the unnamed portal after an aborted multi-statement block', (c) =>
    rounds(c, q('SELECT 0; BEGIN'), q('EXECUTE s1'), q('PREPARE s1 AS SELECT 4; DISCARD ALL; SELECT 2'), [s.parse({ name: 's1', text: 'COMMIT' }), s.execute({ portal: '' }), s.sync()]),
  );
  session('Execute of a portal never bound', (c) => rounds(c, [s.execute({ portal: 'nobody' }), s.sync()]));
  session('Bind of a statement never prepared', (c) => rounds(c, run('never')));
  session('a fast-path FunctionCall', async (c) => {
    const call = Buffer.alloc(1 + 4 + 4 + 2 + 2 + 2);
    call.write('F', 0);
    call.writeInt32BE(call.length - 1, 1);
    call.writeInt32BE(2559, 5); // pg_terminate_backend's oid in PostgreSQL 15... whatever it is, it is refused
    call.writeInt16BE(0, 9);
    call.writeInt16BE(0, 11);
    call.writeInt16BE(0, 13);
    c.send(call);
    return c.untilReady(1);
  });

  // ---- 2. settings that change how the server reads bytes -----------------------------------------
  session('SET standard_conforming_strings = off', (c) => rounds(c, q('SET standard_conforming_strings = off'), q(`SELECT '\\' , '; ${DELETE}; --'`)));
  session('SET standard_conforming_strings inside a multi-statement string', (c) => rounds(c, q("SELECT 1; SET standard_conforming_strings TO 'off'; SELECT 2")));
  session('SET LOCAL standard_conforming_strings = false in a transaction', (c) => rounds(c, q('BEGIN'), q('SET LOCAL standard_conforming_strings = false')));
  session('set_config of standard_conforming_strings', (c) => rounds(c, q("SELECT set_config('standard_conforming_strings', 'off', false)")));
  session('set_config spelled with capitals', (c) => rounds(c, q("SELECT pg_catalog.set_config('Standard_Conforming_Strings', 'no', false)")));
  session('set_config through the extended protocol', (c) => rounds(c, parseSync('sc', "SELECT set_config('standard_conforming_strings', 'off', false)"), run('sc')));
  session('PREPARE of a set_config', (c) => rounds(c, q("PREPARE sc AS SELECT set_config('standard_conforming_strings', 'off', false)")));
  session('SET client_encoding to SJIS', (c) => rounds(c, q("SET client_encoding = 'SJIS'")));
  session('SET NAMES BIG5', (c) => rounds(c, q("SET NAMES 'BIG5'")));
  session('SET client_encoding to GBK through set_config', (c) => rounds(c, q("SELECT set_config('client_encoding', 'GBK', false)")));
  session('SET backslash_quote = off', (c) => rounds(c, q('SET backslash_quote = off')));
  session('SET transform_null_equals = on', (c) => rounds(c, q('SET transform_null_equals = on')));
  session('ALTER ROLE ... SET standard_conforming_strings', (c) => rounds(c, q('ALTER ROLE CURRENT_USER SET standard_conforming_strings = off')));
  session('ALTER DATABASE ... SET client_encoding', (c) => rounds(c, q("ALTER DATABASE test SET client_encoding = 'SJIS'")));
  session('a function SET clause', (c) => rounds(c, q(`CREATE FUNCTION ${fn}_x() RETURNS int LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'`)));
  session('ALTER SYSTEM SET', (c) => rounds(c, q('ALTER SYSTEM SET standard_conforming_strings = off')));
  session('a DO block that changes it dynamically', (c) => rounds(c, q("DO $$ BEGIN EXECUTE 'SET standard_conforming_strings = off'; END $$")));
  login('startup parameter standard_conforming_strings=off', { standard_conforming_strings: 'off' });
  login('startup options -c standard_conforming_strings=off', { options: '-c standard_conforming_strings=off' });
  login('startup options --standard-conforming-strings=off', { options: '--standard-conforming-strings=off' });
  login('startup parameter client_encoding=SJIS', { client_encoding: 'SJIS' });
  login('startup options -c client_encoding=BIG5', { options: '-c client_encoding=BIG5' });

  // ---- 3. startup options read as PostgreSQL reads them -------------------------------------------
  login('-c with dashes: session-replication-role', { options: '-c session-replication-role=replica' });
  login('-c attached with dashes', { options: '-csession-replication-role=replica' });
  login('--session-replication-role', { options: '--session-replication-role=replica' });
  login('upper case name', { options: '-c SESSION_REPLICATION_ROLE=replica' });
  login('form feed between -c and the setting', { options: '-c\fsession_replication_role=replica' });
  login('vertical tab between -c and the setting', { options: '-c\vsession_replication_role=replica' });
  login('search-path with pg_catalog last', { options: '-c search-path=public,pg_catalog' });
  login('log-statement through options', { options: '-c log-statement=none' });
  login('session-preload-libraries', { options: '-c session-preload-libraries=auto_explain' });
  login('a backend switch (-P: ignore_system_indexes)', { options: '-P' });
  login('a debug switch (-d 5)', { options: '-d 5' });
  login('grouped switches', { options: '-ec session_replication_role=replica' });
  login('an escaped space inside the name', { options: '-c session_replication\\ _role=replica' });
  login('non-ASCII in options', { options: '-c application_name=\u00a0-c\u00a0session_replication_role=replica' });
  login('startup parameter session_replication_role', { session_replication_role: 'replica' });
  login('startup parameter role', { role: 'pg_read_server_files' });

  it(`refuses every one of ${attacks.length} attacks, with no effect on the server`, { timeout: 300_000 }, async (t) => {
    if (!(await requirePostgres(t))) return;
    assert.ok(attacks.length >= 50, `only ${attacks.length} attacks`);
    await setUp();
    const failures: string[] = [];
    for (const a of attacks) {
      try {
        await a.run();
        await unharmed(a.name);
      } catch (err) {
        failures.push(`${a.name}: ${(err as Error).message}`);
        await setUp();
      }
    }
    assert.deepEqual(failures, []);
  });

  it('still serves what is legitimate around those attacks', async (t) => {
    if (!(await requirePostgres(t))) return;
    await setUp();
    const c = await connectAs({ client_encoding: 'UTF8', options: '-c statement-timeout=5s' });
    try {
      // pg_dump's own settings, and a RESET, pass.
      assert.deepEqual(errorCodes(await c.query("SET standard_conforming_strings = on; SET client_encoding = 'UTF8'; RESET standard_conforming_strings")), []);
      // A literal with a backslash is just a literal.
      const select = await c.query("SELECT '\\' AS b");
      assert.equal(select.find((m) => m.name === 'dataRow')?.fields?.[0], '\\');
      // Prepared statements by name, re-executed, across batches and pipelined.
      const prepared = await pipelined(c, parseSync('ok', `SELECT count(*) FROM ${victim}`), run('ok'), run('ok'), q('EXECUTE ok'));
      assert.deepEqual(errorCodes(prepared), []);
      assert.equal(commandTags(prepared).filter((tag) => tag === 'SELECT 1').length, 3);
      // After user code ran, the names are read back from the server and still work.
      const after = await rounds(c, q(`SELECT ${fn}_peek() FROM (SELECT 1) x WHERE false`), run('ok'));
      assert.deepEqual(errorCodes(after), []);
    } finally {
      c.close();
    }
    await unharmed('legitimate use');
  });
});
