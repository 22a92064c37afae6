import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REAL_POSTGRES_TARGET, startTestAirlock } from '../support/airlock-instance.js';
import { psql, spawnProgram } from '../support/pg-clients.js';
import { requirePostgres } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

// Tools introspect the catalogue with many built-in functions; none of that
// may ask for a step-up or an approval under the default policy.
describe('e2e: introspection by psql and pg_dump is never held', () => {
  let airlock: Instance;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    // Short waits: anything held fails this test quickly instead of hanging it.
    airlock = await startTestAirlock(`${REAL_POSTGRES_TARGET}\napprovals: { timeout: 5s, step_up_timeout: 5s }\n`);
    const token = await airlock.token('alice', ['dev']);
    env = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(airlock.postgres?.port), PGDATABASE: 'app', PGUSER: 'alice', PGPASSWORD: token, PGSSLMODE: 'disable' };
  });
  after(async () => airlock?.shutdown('test done'));

  it('answers psql meta-commands without holding them', async (t) => {
    if (!(await requirePostgres(t))) return;
    for (const command of ['\\d', '\\dt', '\\d pg_catalog.pg_class', '\\l', '\\df', '\\dn', '\\du', '\\dx', '\\di', '\\dv', '\\dp', '\\conninfo']) {
      const result = await psql(env, ['-v', 'ON_ERROR_STOP=1', '-c', command]).done;
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /held|step-up|approval/, `${command} was held: ${result.stderr}`);
    }
  });

  it('lets pg_dump read the schema without holding anything', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await spawnProgram('pg_dump', ['--schema-only', '--no-owner'], env).done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /PostgreSQL database dump/);
    assert.doesNotMatch(result.stderr, /held|step-up|approval/);
  });
});
