import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { parseConfig } from '../../src/config/load.js';
import { loadDevIssuer } from '../../src/identity/dev-issuer.js';
import { freePort } from '../support/airlock-process.js';
import { direct, uniqueName } from '../support/pg-clients.js';
import { requirePostgres, waitFor } from '../support/services.js';

// `airlock serve` as a real process: reload on SIGHUP and on a changed file
// (ConfigMap), refusal of an invalid reload, and SIGTERM draining.

function configYaml(dir: string, controlPort: number, pgPort: number, denyMessage: string): string {
  return `
server: { data_dir: ${JSON.stringify(dir)}, replica_id: lifecycle, shutdown_grace: 10s }
control: { listen: "127.0.0.1:${controlPort}" }
identity: { dev_issuer: { enabled: true } }
log: { level: info }
postgres: { listen: "127.0.0.1:${pgPort}", notice_interval: 1s }
targets:
  - { name: app, protocol: postgres, upstream: { host: 127.0.0.1, port: 5432, database: test, user: postgres } }
policy:
  rules:
    - id: truncate-rule
      match: { kinds: [truncate] }
      require: { deny: "${denyMessage}" }
    - id: drops-need-one
      match: { kinds: [drop] }
      require: { approval: { approvers: approvers, count: 1 } }
`;
}

describe('airlock serve life cycle', () => {
  let dir: string;
  let configFile: string;
  let controlPort: number;
  let pgPort: number;
  let child: ChildProcess;
  let log = '';
  let token: string;

  async function truncateMessage(client: pg.Client, table: string): Promise<string> {
    const error = await client.query(`TRUNCATE ${table}`).then(
      () => null,
      (err: Error) => err,
    );
    assert.ok(error, 'TRUNCATE must be refused by the rule');
    return error.message;
  }

  function connect(): Promise<pg.Client> {
    const client = new pg.Client({ host: '127.0.0.1', port: pgPort, database: 'app', user: 'alice', password: token, ssl: false });
    client.on('error', () => undefined); // the sidecar ends sessions on SIGTERM; that is expected here
    return client.connect().then(() => client);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-lifecycle-'));
    configFile = join(dir, 'airlock.yaml');
    controlPort = await freePort();
    pgPort = await freePort();
    writeFileSync(configFile, configYaml(dir, controlPort, pgPort, 'v1 says no'));
    const config = parseConfig(readFileSync(configFile, 'utf8'), configFile, {});
    token = await loadDevIssuer({ dataDir: dir, identity: config.identity }).mintDevToken({ sub: 'alice', groups: ['dev'], ttlMs: 3_600_000 });
    child = spawn(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor(() => log.includes('airlock ready') || child.exitCode !== null, 30_000, 'airlock serve to start');
    assert.equal(child.exitCode, null, log);
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('reloads policy on SIGHUP and on a changed file while an open session continues; refuses an invalid reload', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('lifecycle');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const session = await connect();
    try {
      assert.match(await truncateMessage(session, table), /v1 says no/);

      writeFileSync(configFile, configYaml(dir, controlPort, pgPort, 'v2 says no'));
      child.kill('SIGHUP');
      await waitFor(async () => /v2 says no/.test(await truncateMessage(session, table)), 10_000, 'the reloaded policy');

      // An invalid config is refused and the running one stays.
      writeFileSync(configFile, 'policy:\n  rules:\n    - id: broken\n      match: { risk: extreme }\n      require: allow\n');
      child.kill('SIGHUP');
      await waitFor(() => log.includes('configuration reload refused'), 10_000, 'the refusal in the log');
      assert.match(log, /policy\.rules\[0\]\.match\.risk: expected one of low\|medium\|high\|critical \(line 4:22\)/);
      assert.match(await truncateMessage(session, table), /v2 says no/);

      // A ConfigMap update changes the file without a signal.
      writeFileSync(configFile, configYaml(dir, controlPort, pgPort, 'v3 says no'));
      await waitFor(async () => /v3 says no/.test(await truncateMessage(session, table)), 15_000, 'the file-triggered reload');
      assert.equal((await session.query('SELECT 1 AS one')).rows[0].one, 1, 'the session kept working throughout');
    } finally {
      await session.end().catch(() => undefined);
      await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
    }
  });

  it('on SIGTERM denies held statements, lets running ones finish, flushes the audit log and exits 0', async (t) => {
    if (!(await requirePostgres(t))) return;
    const table = uniqueName('lifecycle_drop');
    await direct((c) => c.query(`CREATE TABLE ${table} (n int)`));
    const heldClient = await connect();
    const runningClient = await connect();
    const notices: string[] = [];
    heldClient.on('notice', (n) => notices.push(n.message ?? ''));
    const held = heldClient.query(`DROP TABLE ${table}`).then(
      () => null,
      (err: Error & { code?: string }) => err,
    );
    await waitFor(() => notices.some((n) => n.includes('held for approval')), 10_000, 'the hold');
    const running = runningClient.query('SELECT pg_sleep(1.5), 42 AS answer');
    await new Promise((r) => setTimeout(r, 200)); // let the sleep reach the upstream
    child.kill('SIGTERM');
    const heldError = await held;
    assert.ok(heldError, 'the held statement was not forwarded');
    assert.match(heldError.message, /sidecar restarting, retry/);
    assert.equal((await running).rows[0].answer, 42, 'the running statement finished');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, log);
    assert.ok(await direct(async (c) => (await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [table])).rows[0].present), 'the held DROP never ran');
    const audit = await verifyAuditFile(join(dir, 'audit.log'));
    assert.equal(audit.ok, true);
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8');
    assert.match(lines, /sidecar restarting, retry/);
    await heldClient.end().catch(() => undefined);
    await runningClient.end().catch(() => undefined);
    await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`));
  });

  it('wrote every log line as one JSON object with no key given twice', () => {
    const lines = log.split('\n').filter((line) => line.startsWith('{'));
    assert.ok(lines.length > 5, log);
    for (const line of lines) {
      const keys = topLevelKeys(line);
      const repeated = keys.filter((key, i) => keys.indexOf(key) !== i);
      assert.deepEqual(repeated, [], `a key given twice in: ${line}`);
      assert.doesNotThrow(() => JSON.parse(line), line);
    }
  });
});

/** The keys of a JSON object's top level, in order and with repeats (JSON.parse would keep only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(json.slice(i + 1, end));
      i = end;
      expectKey = false;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
