import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import pg from 'pg';
import { parseConfig } from '../../src/config/load.js';
import { loadDevIssuer } from '../../src/identity/dev-issuer.js';
import { type DemoServe, startDemoServe } from '../support/demo-serve.js';
import { waitFor } from '../support/services.js';

/** TCP ports a process listens on, from `ss` (iproute2). */
function listeningPorts(pid: number): number[] {
  const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => Number(/:(\d+)\s/.exec(line.split(/\s+/)[3] + ' ')?.[1]))
    .filter((port) => Number.isInteger(port))
    .sort((a, b) => a - b);
}

// The demo as `npm start` runs it (the shipped demo config, on free ports): the embedded database is
// reachable only through Airlock. It used to listen on a loopback TCP port with no authentication
// (logged at start), so `psql -p <that port>` walked around every rule.
describe('e2e: the embedded demo database cannot be reached around Airlock', () => {
  let demo: DemoServe;
  let child: ChildProcess;
  let pgPort: number;
  let httpPort: number;
  let idpPort: number;
  let controlPort: number;
  let token: string;
  let dir: string;
  let mintToken: (sub: string, groups: string[]) => Promise<string>;

  before(async () => {
    demo = await startDemoServe('airlock-demo-');
    ({ child, pgPort, httpPort, idpPort, controlPort, dir } = demo);
    const issuer = loadDevIssuer({ dataDir: dir, identity: parseConfig(demo.yaml, demo.configFile, {}).identity });
    mintToken = (sub, groups) => issuer.mintDevToken({ sub, groups, ttlMs: 3_600_000 });
    token = await mintToken('alice', ['dev']);
  });
  after(() => demo?.kill());

  it('keeps the demo database in memory: each start begins from the same demo state', () => {
    assert.equal(existsSync(join(dir, 'pglite-demo')), false, 'no demo database is persisted under data_dir');
    assert.match(demo.log, /"persisted":false/);
  });

  it('listens on TCP only where the config says (the PostgreSQL, HTTP and control listeners, the demo IdP), and logs no way in', async () => {
    // The demo database and the demo admin API listen on Unix sockets of their own: nothing reaches them around Airlock.
    assert.deepEqual(listeningPorts(child.pid as number), [pgPort, httpPort, idpPort, controlPort].sort((a, b) => a - b));
    assert.doesNotMatch(demo.log, /PGlite\) on 127\.0\.0\.1:\d+/);
  });

  it('offers push notifications with a VAPID key pair generated under data_dir on first start (0600), never logged', async () => {
    const file = join(dir, 'push-vapid.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const keys = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; privateKey: string };
    const served = (await (await fetch(`http://127.0.0.1:${controlPort}/v1/push/key`)).json()) as { enabled: boolean; public_key: string };
    assert.deepEqual(served, { enabled: true, public_key: keys.publicKey });
    assert.ok(!demo.log.includes(keys.privateKey), 'the private key never reaches the log');
    assert.match(demo.log, /generated a VAPID key pair/);
  });

  it('serves the demo through Airlock, and the append-only rule holds', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: pgPort, database: 'demo', user: 'alice', password: token, ssl: false });
    await client.connect();
    try {
      assert.equal((await client.query('SELECT count(*)::int AS n FROM customers')).rows[0].n, 5);
      await assert.rejects(client.query('DELETE FROM audit_log WHERE id = 1'), (err: Error & { code?: string }) => err.code === '42501');
      assert.equal((await client.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n, 3);
    } finally {
      await client.end();
    }
  });

  it("follows the README's step-up walkthrough: enrol, a held UPDATE, confirm, then the session grant", async () => {
    const cli = (args: string[], tokenFor: string): Promise<{ status: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args, '--url', `http://127.0.0.1:${controlPort}`], {
          env: { ...process.env, AIRLOCK_TOKEN: tokenFor },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const codeAt = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000), algorithm: 'sha1', digits: 6, period: 30 });
    const enrolled = await cli(['totp', 'enroll', '--json'], token);
    assert.equal(enrolled.status, 0, enrolled.stderr);
    const { secret } = JSON.parse(enrolled.stdout) as { secret: string };
    const activated = await cli(['totp', 'activate', '--code', await codeAt(secret, Date.now())], token);
    assert.equal(activated.status, 0, activated.stderr);

    const session = spawn('psql', ['-X', '-At', `host=127.0.0.1 port=${pgPort} dbname=demo user=alice sslmode=disable`], { env: { ...process.env, PGPASSWORD: token } });
    let out = '';
    let err = '';
    session.stdout.on('data', (d: Buffer) => (out += d.toString()));
    session.stderr.on('data', (d: Buffer) => (err += d.toString()));
    session.stdin.end("UPDATE orders SET status = 'shipped' WHERE id = 103;\nUPDATE orders SET status = 'paid' WHERE id = 102;\n");
    await waitFor(() => /held for step-up \(id ([A-Za-z0-9_-]+)\)/.test(err), 15_000, 'the step-up notice');
    const id = (/held for step-up \(id ([A-Za-z0-9_-]+)\)/.exec(err) as RegExpExecArray)[1] as string;

    const bobToken = await mintToken('bob', ['approvers']);
    const bob = await cli(['confirm', id, '--code', '000000'], bobToken);
    assert.equal(bob.status, 1, bob.stderr);
    assert.match(bob.stderr, /no pending step-up request .* of yours \(bob\)/);

    // The activation spent this time step's code; the next step's is accepted (one step either side).
    const confirmed = await cli(['confirm', id, '--code', await codeAt(secret, Date.now() + 30_000)], token);
    assert.equal(confirmed.status, 0, confirmed.stderr);
    await waitFor(() => session.exitCode !== null, 20_000, `psql to finish (stdout: ${out}; stderr: ${err})`);
    const code = session.exitCode;
    assert.equal(code, 0, err);
    assert.deepEqual(out.trim().split('\n'), ['UPDATE 1', 'UPDATE 1']);
    assert.equal(err.match(/held for step-up/g)?.length, 1, 'the second UPDATE passed on the session grant');
  });
});
