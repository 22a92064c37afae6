import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startAirlock, type AirlockServer, type StartOptions } from '../../src/server.js';
import { silentLogger } from './core-fixtures.js';

/**
 * Starts a real Airlock (the same composition as `airlock serve`) from YAML,
 * on ephemeral ports with a fresh data dir and the dev issuer enabled.
 */
export async function startTestAirlock(yaml: string, options: StartOptions = {}): Promise<AirlockServer & { dataDir: string; url: string; token(sub: string, groups: string[], extra?: { email?: string }): Promise<string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-test-'));
  const base = `
server: { data_dir: ${JSON.stringify(dataDir)}, replica_id: test-replica }
control: { listen: "127.0.0.1:0" }
identity: { dev_issuer: { enabled: true } }
log: { level: silent }
`;
  const config = parseConfig(`${base}\n${yaml}`, 'test', {});
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
