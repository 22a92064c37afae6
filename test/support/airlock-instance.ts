import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { startAirlock, type AirlockServer, type StartOptions } from '../../src/server.js';
import { silentLogger } from './core-fixtures.js';
import { POSTGRES } from './services.js';

/** A PostgreSQL listener on a free port and one target, `app`, on the machine's real PostgreSQL. */
export const REAL_POSTGRES_TARGET = `
postgres: { listen: "127.0.0.1:0", notice_interval: 1s }
targets:
  - name: app
    protocol: postgres
    upstream: { host: ${POSTGRES.host}, port: ${POSTGRES.port}, user: ${POSTGRES.user}, database: ${POSTGRES.database} }
`;

/**
 * Starts a real Airlock (the same composition as `airlock serve`) from YAML,
 * on ephemeral ports with a fresh data dir and the dev issuer enabled.
 */
export async function startTestAirlock(yaml: string, options: StartOptions = {}): Promise<AirlockServer & { dataDir: string; url: string; token(sub: string, groups: string[], extra?: { email?: string }): Promise<string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-test-'));
  const base = {
    server: { data_dir: dataDir, replica_id: 'test-replica' },
    control: { listen: '127.0.0.1:0' },
    identity: { dev_issuer: { enabled: true } },
    log: { level: 'silent' },
  };
  const config = parseConfig(stringify(deepMerge(base, (parse(yaml) ?? {}) as Record<string, unknown>)), 'test', {});
  const server = await startAirlock(config, { logger: silentLogger, ...options });
  return Object.assign(server, {
    dataDir,
    url: `http://127.0.0.1:${server.control.port}`,
    async token(sub: string, groups: string[], extra: { email?: string } = {}) {
      if (!server.devIssuer) throw new Error('dev issuer disabled');
      return server.devIssuer.mintDevToken({ sub, groups, ttlMs: 3_600_000, ...(extra.email ? { email: extra.email } : {}) });
    },
  });
}

/** The test's YAML wins over the harness defaults, key by key. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current);
    out[key] = bothObjects ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
