import pino from 'pino';
import { postgresListenerSchema } from '../../src/config/sections/protocols.js';
import { postgresTargetSchema } from '../../src/config/sections/targets.js';
import type { AirlockConfig, PostgresTargetConfig } from '../../src/config/schema.js';
import { SessionRegistry } from '../../src/gate/session-registry.js';
import type { Principal } from '../../src/model/principal.js';
import { createPostgresProxy, type PostgresProxy } from '../../src/protocols/postgres/index.js';
import type { TlsMaterial } from '../../src/tls/listener-certificate.js';
import type { PostgresProxyDeps } from '../../src/protocols/postgres/postgres-proxy.js';
import { createTestClassifier } from './pg-classifier.js';
import { type Decide, ScriptedGate } from './scripted-gate.js';
import { POSTGRES } from './services.js';

export const TOKEN = 'token-alice';
export const OTHER_TOKEN = 'token-bob';

export function principal(subject: string): Principal {
  return { subject, email: `${subject}@example.com`, groups: ['engineers'], authMethods: ['pwd'], issuer: 'https://issuer.test', expiresAt: Date.now() + 3_600_000 };
}

export interface ProxyHarness {
  readonly proxy: PostgresProxy;
  readonly gate: ScriptedGate;
  readonly sessions: SessionRegistry;
  readonly host: string;
  readonly port: number;
  /** libpq environment for psql/pgbench through the proxy. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Settings for a `pg` Client through the proxy. */
  client(extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly decide?: Decide;
  readonly listener?: Record<string, unknown>;
  readonly targets?: readonly Record<string, unknown>[];
  readonly tls?: TlsMaterial | null;
  readonly onPrivilegedUpstream?: PostgresProxyDeps['onPrivilegedUpstream'];
}

export function defaultTargets(): Record<string, unknown>[] {
  return [{ name: 'app', protocol: 'postgres', upstream: { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: POSTGRES.database } }];
}

export async function startProxy(options: HarnessOptions = {}): Promise<ProxyHarness> {
  const config: AirlockConfig['postgres'] = postgresListenerSchema.parse({ listen: '127.0.0.1:0', notice_interval: '300ms', ...options.listener });
  const targets: PostgresTargetConfig[] = (options.targets ?? defaultTargets()).map((t) => postgresTargetSchema.parse(t));
  const gate = new ScriptedGate({ tokens: { [TOKEN]: principal('alice'), [OTHER_TOKEN]: principal('bob') }, ...(options.decide ? { decide: options.decide } : {}) });
  const sessions = new SessionRegistry();
  const logger = pino({ level: process.env.AIRLOCK_TEST_LOG ?? 'silent' });
  const proxy = createPostgresProxy({
    config,
    targets,
    gate,
    classifier: await createTestClassifier(),
    sessions,
    logger,
    tls: options.tls ?? null,
    publicUrl: 'http://airlock.test',
    ...(options.onPrivilegedUpstream ? { onPrivilegedUpstream: options.onPrivilegedUpstream } : {}),
  });
  const { host, port } = await proxy.listen();
  return {
    proxy,
    gate,
    sessions,
    host,
    port,
    env: (extra = {}) => ({
      ...process.env,
      PGHOST: host,
      PGPORT: String(port),
      PGUSER: 'alice',
      PGDATABASE: 'app',
      PGPASSWORD: TOKEN,
      PGSSLMODE: 'disable',
      PGCONNECT_TIMEOUT: '10',
      ...extra,
    }),
    client: (extra = {}) => ({ host, port, user: 'alice', database: 'app', password: TOKEN, ...extra }),
    close: () => proxy.close(500),
  };
}
