import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { CommandClassifier } from '../../classifiers/command-classifier.js';
import type { AirlockConfig, PostgresTargetConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import { CancelKeys } from './cancel-keys.js';
import { ClientConnection } from './client-connection.js';
import type { ProxyContext } from './proxy-context.js';
import { ProxyCounters, type PostgresProxyStats } from './proxy-stats.js';
import { errorResponse } from './server-messages.js';
import { ParseWorkerPool } from '../../classifiers/sql/parse-worker-pool.js';
import type { TlsMaterial } from '../../tls/listener-certificate.js';
import type { StoredCode } from '../../classifiers/sql/stored-code.js';
import type { Classification } from '../../model/action.js';
import { TargetCatalog } from './target-catalog.js';
import { type UpstreamPrivileges, privilegeKey } from './upstream-privileges.js';

export interface PostgresProxyDeps {
  readonly config: AirlockConfig['postgres'];
  readonly targets: readonly PostgresTargetConfig[];
  readonly gate: Gate;
  readonly classifier: CommandClassifier;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  /** Certificate for client TLS; without it SSLRequest is answered 'N'. */
  readonly tls?: TlsMaterial | null;
  /** Where approvers act, shown in hold notices when the gate gives no URL. */
  readonly publicUrl?: string;
  /** Told when an upstream role is a superuser or reaches the host (for a metric). */
  readonly onPrivilegedUpstream?: (target: string, user: string, privileges: UpstreamPrivileges) => void;
  /** Targets whose upstream privileges are not worth a warning (the embedded demo database has only a superuser). */
  readonly demoTargets?: readonly string[];
  /**
   * Classifies code stored in a target's database (function bodies, rules);
   * with it, each target's names are resolved through its own catalog
   * (`config.catalog`). The embedded demo database keeps the rules without one.
   */
  readonly classifyStored?: (code: StoredCode) => Classification;
}

export interface PostgresProxy {
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets running statements finish until the deadline, then ends every session (57P01). */
  close(deadlineMs: number): Promise<void>;
  address(): { host: string; port: number } | null;
  stats(): PostgresProxyStats;
}

const SHUTDOWN_MESSAGE = 'airlock: the proxy is shutting down; reconnect in a moment';

export function createPostgresProxy(deps: PostgresProxyDeps): PostgresProxy {
  const targets = new Map<string, PostgresTargetConfig>();
  for (const target of deps.targets) if (!target.embedded) targets.set(target.name, target);
  const caCache = new Map<string, Promise<string | undefined>>();
  const connections = new Set<ClientConnection>();
  // The composition root names the component (server.ts): a second binding would repeat the key in every line.
  const logger = deps.logger;
  let closing = false;
  const catalogs = new Map<string, TargetCatalog>();
  const ctx: ProxyContext = {
    catalogs,
    config: deps.config,
    targets,
    gate: deps.gate,
    classifier: deps.classifier,
    sessions: deps.sessions,
    logger,
    secureContext: deps.tls ? createSecureContext({ key: deps.tls.key, cert: deps.tls.cert }) : null,
    cancelKeys: new CancelKeys(),
    counters: new ProxyCounters(),
    ...(deps.publicUrl !== undefined ? { publicUrl: deps.publicUrl } : {}),
    ...(deps.onPrivilegedUpstream !== undefined ? { onPrivilegedUpstream: deps.onPrivilegedUpstream } : {}),
    privilegesChecked: alreadyChecked(targets, deps.demoTargets ?? []),
    parsePool: new ParseWorkerPool({
      workers: deps.config.parse_workers,
      maxQueuedChars: deps.config.parse_queue_chars,
      timeoutMs: deps.config.parse_timeout,
      logger,
    }),
    get closing() {
      return closing;
    },
    caFor(target) {
      const file = target.upstream.ca_file;
      if (!file) return Promise.resolve(undefined);
      let pending = caCache.get(file);
      if (!pending) {
        pending = readFile(file, 'utf8');
        caCache.set(file, pending);
        pending.catch(() => caCache.delete(file));
      }
      return pending;
    },
  };
  if (deps.config.catalog.enabled && deps.classifyStored) {
    const demo = new Set(deps.demoTargets ?? []);
    for (const target of targets.values()) {
      if (demo.has(target.name)) continue;
      catalogs.set(
        target.name,
        new TargetCatalog({ target, refreshInterval: deps.config.catalog.refresh_interval, classifyStored: deps.classifyStored, caFor: (t) => ctx.caFor(t), logger }),
      );
    }
  }
  const forget = (connection: ClientConnection): void => {
    connections.delete(connection);
  };

  const onConnection = (socket: Socket): void => {
    socket.on('error', () => undefined);
    if (closing || connections.size >= deps.config.max_connections) {
      ctx.counters.connectionsRejected++;
      const message = closing ? SHUTDOWN_MESSAGE : 'airlock: too many connections';
      socket.end(errorResponse({ severity: 'FATAL', code: closing ? '57P01' : '53300', message }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    ctx.counters.connectionsAccepted++;
    const connection = new ClientConnection(ctx, socket, forget);
    connections.add(connection);
    connection.start();
  };

  const server: Server = createServer({ noDelay: true }, onConnection);
  server.on('error', (err) => logger.error({ err }, 'postgres listener error'));

  return {
    listen() {
      const { host, port } = deps.config.listen;
      for (const [name, catalog] of catalogs) {
        catalog.start();
        // Read ahead so the first session does not wait; a session that finds it unread reads it itself.
        catalog.ready().catch((err: unknown) => logger.warn({ target: name, err: err instanceof Error ? err.message : String(err) }, 'reading the target catalog failed; sessions to it wait for it'));
      }
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info({ host: address.address, port: address.port, tls: ctx.secureContext !== null }, 'postgres proxy listening');
          resolve({ host: address.address, port: address.port });
        });
      });
    },

    async close(deadlineMs) {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + Math.max(0, deadlineMs);
      // End each session at a statement boundary; whatever still runs at the deadline is ended anyway.
      while (connections.size > 0 && Date.now() < deadline) {
        for (const connection of [...connections]) if (connection.idle) connection.terminate(SHUTDOWN_MESSAGE);
        if (connections.size === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const connection of [...connections]) connection.terminate(SHUTDOWN_MESSAGE);
      connections.clear();
      await ctx.parsePool.close();
      await Promise.all([...catalogs.values()].map((c) => c.close()));
      await stopped;
    },

    address() {
      const address = server.address();
      if (!address || typeof address === 'string') return null;
      return { host: address.address, port: address.port };
    },

    stats() {
      return {
        activeConnections: connections.size,
        activeSessions: deps.sessions.list().filter((s) => s.protocol === 'postgres').length,
        ...ctx.counters,
      };
    },
  };
}

/** The demo targets count as checked: nothing to warn about in a throw-away embedded database. */
function alreadyChecked(targets: ReadonlyMap<string, PostgresTargetConfig>, demo: readonly string[]): Set<string> {
  const checked = new Set<string>();
  for (const name of demo) {
    const target = targets.get(name);
    if (target) checked.add(privilegeKey(name, target.upstream.user));
  }
  return checked;
}
