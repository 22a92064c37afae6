import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { direct, spawnProgram, uniqueName } from '../support/pg-clients.js';
import { requirePostgres } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// Third-party drivers with their own protocol habits: postgres.js pipelines
// named prepared statements; psycopg2 (libpq) uses COPY and server-side cursors.
describe('e2e: third-party PostgreSQL drivers through Airlock', () => {
  let airlock: Instance;
  let token: string;

  before(async () => {
    airlock = await startTestAirlock(`${REAL_POSTGRES_TARGET}
approvals: { timeout: 2s }
policy:
  rules:
    - { id: writes-ok, match: { risk: medium }, require: allow }
`);
    token = await airlock.token('alice', ['dev']);
  });
  after(async () => airlock?.shutdown('test done'));

  it('postgres.js: pipelined prepared statements, transactions, cursors, and a held statement that times out', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('js');
    const notices: string[] = [];
    const sql = postgres({ host: '127.0.0.1', port: airlock.postgres?.port as number, database: 'app', username: 'alice', password: token, ssl: false, max: 4, onnotice: (n) => notices.push(String(n.message)) });
    try {
      const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => sql`SELECT ${i}::int AS i, ${`x${i}`} AS s`));
      assert.deepEqual(rows[49]?.[0], { i: 49, s: 'x49' });
      await sql.begin(async (tx) => {
        await tx`CREATE TABLE ${tx(table)} (id int primary key, v text)`;
        await tx`INSERT INTO ${tx(table)} ${tx([{ id: 1, v: 'a' }, { id: 2, v: 'b' }], 'id', 'v')} ON CONFLICT (id) DO UPDATE SET v = excluded.v`;
        const updated = await tx`UPDATE ${tx(table)} SET v = 'c' WHERE id = ${1} RETURNING *`;
        assert.deepEqual([...updated], [{ id: 1, v: 'c' }]);
      });
      const held = await sql`DELETE FROM ${sql(table)}`.catch((err: Error & { code?: string }) => err);
      assert.ok(held instanceof Error && held.code === '57014', `expected 57014, got ${String(held)}`);
      assert.ok(notices.some((n) => n.includes('held for approval')));
      const [left] = await sql`SELECT count(*)::int AS n FROM ${sql(table)}`;
      assert.equal(left?.n, 2, 'the held DELETE never ran');
      const seen: number[] = [];
      await sql`SELECT g FROM generate_series(1, 1000) g`.cursor(100, (batch) => {
        seen.push(...batch.map((r) => r.g as number));
      });
      assert.equal(seen.length, 1000);
    } finally {
      await sql.end();
      await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('psycopg2 (libpq): execute_values, COPY both ways, a server-side cursor, TLS, and a held DROP', async (t) => {
    if (!(await requirePostgres(t))) return;
    // Debian's interpreter, where the python3-psycopg2 package installs (a pyenv python3 may come first on PATH).
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const probe = spawnSync(python, ['-c', 'import psycopg2'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      if (process.env.CI === 'true') throw new Error('python3-psycopg2 is not installed (Debian package python3-psycopg2); required in CI');
      t.skip('python3-psycopg2 is not installed');
      return;
    }
    const script = `
import io, json, os, psycopg2, psycopg2.extras
out = {}
for ssl in ('disable', 'require'):
    c = psycopg2.connect(host='127.0.0.1', port=int(os.environ['PORT']), dbname='app', user='alice', password=os.environ['TOKEN'], sslmode=ssl)
    cur = c.cursor()
    cur.execute("CREATE TEMP TABLE px (id int primary key, name text)")
    psycopg2.extras.execute_values(cur, "INSERT INTO px VALUES %s", [(i, 'n%d' % i) for i in range(100)])
    cur.execute("SELECT count(*) FROM px WHERE id < %s", (50,))
    count = cur.fetchone()[0]
    dump = io.StringIO(); cur.copy_expert("COPY px TO STDOUT", dump)
    cur.copy_expert("COPY px FROM STDIN", io.StringIO('200\\tx\\n201\\ty\\n'))
    c.commit()
    named = c.cursor(name='srv'); named.execute("SELECT * FROM px ORDER BY id"); fetched = len(named.fetchmany(30)); named.close()
    try:
        cur.execute("DROP TABLE px"); held = None
    except psycopg2.Error as e:
        held = e.pgcode; c.rollback()
    cur.execute("SELECT count(*) FROM px"); after = cur.fetchone()[0]
    out[ssl] = dict(count=count, dumped=len(dump.getvalue().splitlines()), fetched=fetched, held=held, after=after)
    c.close()
print(json.dumps(out))
`;
    const result = await spawnProgram(python, ['-c', script], { ...process.env, PORT: String(airlock.postgres?.port), TOKEN: token }).done;
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, { count: number; dumped: number; fetched: number; held: string | null; after: number }>;
    for (const ssl of ['disable', 'require']) {
      assert.deepEqual(out[ssl], { count: 50, dumped: 100, fetched: 30, held: '57014', after: 102 }, ssl);
    }
  });
});
