import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/demo/embedded-postgres.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });

/** psql against the embedded server directly (PGlite accepts any user and password). */
async function psql(server: EmbeddedPostgres, sql: string, database = 'postgres'): Promise<string> {
  const { stdout } = await run(
    'psql',
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', server.host, '-p', String(server.port), '-U', 'postgres', '-d', database, '-c', sql],
    { env: { ...process.env, PGPASSWORD: 'anything', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
  );
  return stdout.trim();
}

describe('embedded demo PostgreSQL (PGlite)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const socketDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-pglite-sock-'));
    dirs.push(dir);
    return join(dir, 'socket');
  };

  it('serves the seeded demo schema to psql on a private Unix socket, never on TCP (in memory)', async () => {
    const server = await startEmbeddedPostgres({ socketDir: socketDir(), logger });
    try {
      assert.ok(server.host.startsWith('/'), 'a socket directory, not a TCP address');
      assert.equal(statSync(server.host).mode & 0o777, 0o700, 'only Airlock\'s user may enter it');
      assert.equal(statSync(join(server.host, `.s.PGSQL.${server.port}`)).isSocket(), true);
      assert.equal(server.seeded, true);
      assert.equal(await psql(server, 'select count(*) from customers'), '5');
      assert.equal(await psql(server, 'select count(*) from orders'), '6');
      assert.equal(await psql(server, 'select count(*) from audit_log'), '3');
    } finally {
      await server.close();
    }
  });

  it('accepts two clients at once (they share one backend session)', async () => {
    const server = await startEmbeddedPostgres({ socketDir: socketDir(), logger });
    try {
      const [a, b] = await Promise.all([
        psql(server, 'select count(*) from customers'),
        psql(server, "select name from customers where id = 2"),
      ]);
      assert.equal(a, '5');
      assert.equal(b, 'Grace Hopper');
    } finally {
      await server.close();
    }
  });

  it('seeds a data dir once and keeps changes across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-pglite-'));
    dirs.push(dataDir);
    const sockets = socketDir();
    const first = await startEmbeddedPostgres({ dataDir, socketDir: sockets, logger });
    try {
      assert.equal(first.seeded, true);
      await psql(first, "insert into customers (id, name, email, country) values (6, 'Alan Turing', 'alan@example.com', 'GB')");
    } finally {
      await first.close();
    }
    const second = await startEmbeddedPostgres({ dataDir, socketDir: sockets, logger });
    try {
      assert.equal(second.seeded, false, 'the seed must not run again on an existing data dir');
      assert.equal(await psql(second, 'select count(*) from customers'), '6');
      assert.equal(await psql(second, 'select count(*) from orders'), '6');
    } finally {
      await second.close();
    }
  });

  it('rejects a maxConnections below 2 as caller misuse', async () => {
    await assert.rejects(startEmbeddedPostgres({ socketDir: socketDir(), logger, maxConnections: 1 }), TypeError);
  });
});
