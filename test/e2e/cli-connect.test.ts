import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestAirlock } from '../support/airlock-instance.js';
import { RecordingUpstream } from '../support/http-upstream.js';
import { POSTGRES, requirePostgres } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `airlock env`, `airlock psql` and `airlock curl`: only the control URL and a token, the rest comes from GET /v1/targets. */
describe('e2e: airlock env, psql and curl reach targets through Airlock', () => {
  let airlock: Instance;
  let upstream: RecordingUpstream;
  let env: Record<string, string>;

  before(async () => {
    upstream = await new RecordingUpstream().start();
    airlock = await startTestAirlock(`
postgres: { listen: "127.0.0.1:0" }
http: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - name: app
    protocol: postgres
    upstream: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, user: ${POSTGRES.user}, database: ${POSTGRES.database} }
  - name: api
    protocol: http
    upstream: { url: "${upstream.url}" }
    path_prefix: /api
`);
    env = { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: await airlock.token('alice', ['dev']) };
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await upstream?.close();
  });

  it('airlock env prints what libpq needs, and --json the same as data', async () => {
    const shell = await cli(['env', 'app'], env);
    assert.equal(shell.status, 0, shell.stderr);
    assert.match(shell.stdout, new RegExp(`^export PGPORT='${airlock.postgres!.port}'$`, 'm'));
    assert.match(shell.stdout, /^export PGDATABASE='app'$/m);
    assert.match(shell.stdout, /^export PGUSER='alice'$/m);
    const json = JSON.parse((await cli(['env', 'app', '--json'], env)).stdout) as Record<string, string>;
    assert.equal(json.PGPASSWORD, env.AIRLOCK_TOKEN);
    assert.equal(json.PGSSLMODE, 'require');
    const http = JSON.parse((await cli(['env', 'api', '--json'], env)).stdout) as Record<string, string>;
    assert.equal(http.AIRLOCK_HTTP_URL, `http://127.0.0.1:${airlock.http!.port}/api`);
  });

  it('airlock psql runs psql on the target with the token as the password, passing psql its own arguments', async (t) => {
    if (!(await requirePostgres(t))) return;
    const result = await cli(['psql', 'app', '-XAtc', 'SELECT current_database(), 40 + 2'], env);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), `${POSTGRES.database}|42`);
    const failing = await cli(['psql', 'app', '-Xc', 'SELECT * FROM no_such_table_here'], env);
    assert.equal(failing.status, 1, 'psql\'s own exit status comes back');
  });

  it('airlock curl sends the token (never on the command line) and the reason to an HTTP target', async () => {
    const result = await cli(['curl', '--reason', 'INC-9', 'api', '/things', '-sS'], env);
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { url: string }).url, '/things');
    assert.equal(upstream.count('GET', '/things'), 1);
  });

  it('names the targets when asked for one that does not exist, and needs a token', async () => {
    const missing = await cli(['psql', 'nope'], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no target nope; targets: app \(postgres\), api \(http\)/);
    const noToken = await cli(['env', 'app'], { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: '' });
    assert.equal(noToken.status, 2);
  });
});
