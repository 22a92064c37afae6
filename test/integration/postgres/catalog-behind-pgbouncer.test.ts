import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { parseConfig } from '../../../src/config/load.js';
import type { PostgresTargetConfig } from '../../../src/config/schema.js';
import { TargetCatalog } from '../../../src/protocols/postgres/target-catalog.js';
import { accepts, freePort } from '../../support/airlock-process.js';
import { POSTGRES, requirePostgres } from '../../support/services.js';
import { requirePrograms } from '../../support/ssh-clients.js';

// A sidecar often sits in front of PgBouncer in transaction mode: the server
// session behind Airlock's own catalog connection is shared with other clients.
// The catalog must be readable there (PgBouncer refuses a statement_timeout
// startup parameter) and must leave no session setting behind for the next
// client (a search_path of pg_catalog would change what their names mean).
describe('target catalog behind a transaction-pooling PgBouncer', () => {
  let dir = '';
  let bouncer: ChildProcess | null = null;
  let bouncerPort = 0;
  let catalog: TargetCatalog | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-pgbouncer-'));
    bouncerPort = await freePort();
    const ini = join(dir, 'pgbouncer.ini');
    writeFileSync(join(dir, 'userlist.txt'), `"${POSTGRES.user}" ""\n`);
    writeFileSync(
      ini,
      [
        '[databases]',
        // One server connection: whatever one client leaves on it, the next one gets.
        `${POSTGRES.database} = host=${POSTGRES.host} port=${POSTGRES.port} dbname=${POSTGRES.database} user=${POSTGRES.user} pool_mode=transaction pool_size=1`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncerPort}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'),
    );
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      // PgBouncer refuses to run as root: it drops to the postgres user, who must read this directory.
      chmodSync(dir, 0o755);
      spawnSync('chown', ['-R', 'postgres', dir]);
    }
    if (spawnSync('sh', ['-c', 'command -v pgbouncer']).status !== 0) return;
    bouncer = spawn('pgbouncer', asRoot ? ['-u', 'postgres', ini] : [ini], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !(await accepts(bouncerPort)); i++) await new Promise((r) => setTimeout(r, 50));
  });

  after(async () => {
    await catalog?.close();
    if (bouncer && bouncer.exitCode === null) {
      bouncer.kill('SIGTERM');
      await once(bouncer, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the catalog through it, and the shared server session keeps its own settings', async (t) => {
    if (!(await requirePostgres(t)) || !requirePrograms(t, ['pgbouncer'])) return;
    const defaults = new pg.Client({ ...POSTGRES });
    await defaults.connect();
    const expected = {
      searchPath: (await defaults.query('SHOW search_path')).rows[0].search_path as string,
      statementTimeout: (await defaults.query('SHOW statement_timeout')).rows[0].statement_timeout as string,
    };
    await defaults.end();

    const config = parseConfig(
      `targets:\n  - { name: app, protocol: postgres, upstream: { host: 127.0.0.1, port: ${bouncerPort}, user: ${POSTGRES.user}, database: ${POSTGRES.database} } }\n`,
      'test',
      {},
    );
    const target = config.targets.find((x) => x.name === 'app') as PostgresTargetConfig;
    catalog = new TargetCatalog({
      target,
      refreshInterval: 60_000,
      classifyStored: () => ({ risk: 'low', facts: { kinds: [], objects: [], flags: [] } }),
      caFor: async () => undefined,
      logger: pino({ level: 'silent' }),
    });
    // What sessions wait for: read through PgBouncer.
    await catalog.ready();
    assert.equal(catalog.loaded, true);

    const viaBouncer = new pg.Client({ host: '127.0.0.1', port: bouncerPort, user: POSTGRES.user, database: POSTGRES.database });
    await viaBouncer.connect();
    assert.equal((await viaBouncer.query('SHOW search_path')).rows[0].search_path, expected.searchPath);
    assert.equal((await viaBouncer.query('SHOW statement_timeout')).rows[0].statement_timeout, expected.statementTimeout);
    await viaBouncer.end();
  });
});
