import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { HttpClassifier } from '../../classifiers/http/index.js';
import type { HttpListenerConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import { ConnectionIdentity } from './connection-identity.js';
import { problemBytes, sendProblem } from './problem-response.js';
import type { HttpProxyContext, HttpProxyCounters } from './proxy-context.js';
import type { ServedHttpTarget } from './served-target.js';
import { handleRequest } from './request-handler.js';
import { TargetRouter } from './target-router.js';
import { UpstreamClient } from './upstream-client.js';
import { WebSocketRelay } from './websocket-relay.js';

export interface HttpProxyOptions {
  readonly config: HttpListenerConfig;
  readonly targets: readonly ServedHttpTarget[];
  readonly gate: Gate;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  readonly publicUrl: string;
  /** Certificate and key of the listener when it serves HTTPS. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly now?: () => number;
}

export interface HttpProxy {
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting; lets running requests finish up to the deadline, then closes everything. */
  close(deadlineMs: number): Promise<void>;
  readonly counters: HttpProxyCounters;
  /** Open client connections (keep-alive and WebSocket), for tests and metrics. */
  connections(): number;
}

/** The HTTP/1.1 reverse proxy: one listener, targets chosen by Host or path prefix. */
export function createHttpProxy(options: HttpProxyOptions): HttpProxy {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  const counters: HttpProxyCounters = { requests: 0, refused: 0, held: 0, forwarded: 0, upstreamErrors: 0 };
  const ctx: HttpProxyContext = {
    config,
    gate: options.gate,
    sessions: options.sessions,
    logger,
    router: new TargetRouter(options.targets),
    upstreams: new Map(options.targets.map((t) => [t.name, new UpstreamClient(t)])),
    classifiers: new Map(options.targets.map((t) => [t.name, new HttpClassifier({ profile: t.profile, methods: t.methods, cacheSize: config.classification_cache_size })])),
    publicUrl: options.publicUrl,
    counters,
  };
  const relay = new WebSocketRelay(ctx);
  const identities = new WeakMap<object, ConnectionIdentity>();
  const sockets = new Set<Socket>();
  const identityOf = (socket: Socket): ConnectionIdentity => {
    let identity = identities.get(socket);
    if (!identity) {
      const created = new ConnectionIdentity(socket, { gate: options.gate, sessions: options.sessions, now });
      // Ended from outside (revocation): a request in flight is answered by its own check; the connection closes.
      created.onTerminate = () => socket.destroy();
      identities.set(socket, created);
      identity = created;
    }
    return identity;
  };
  const serverOptions = {
    // Airlock checks Host itself and answers with a problem that says why.
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    insecureHTTPParser: false,
    maxHeaderSize: 16_384,
    headersTimeout: 30_000,
    keepAliveTimeout: 5_000,
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(ctx, identityOf(req.socket), req, res).catch((err: unknown) => {
      logger.error({ err }, 'http request failed');
      sendProblem(res, { type: 'internal', title: 'Internal Server Error', status: 500, detail: 'internal error', code: 'AIRLOCK_INTERNAL' });
    });
  };
  const server: Server = options.tls ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, onRequest) : createHttpServer(serverOptions, onRequest);
  server.maxConnections = config.max_connections;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A fresh identity: the connection becomes this WebSocket and ends with it.
    const identity = new ConnectionIdentity(req.socket, { gate: options.gate, sessions: options.sessions, now });
    relay.handleUpgrade(identity, req, socket, head).catch((err: unknown) => {
      logger.error({ err }, 'websocket upgrade failed');
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    counters.refused++;
    // llhttp already refused it (smuggling shapes, bad bytes): answer in HTTP's form and close.
    socket.end(problemBytes({ type: 'bad_request', title: 'Bad Request', status: 400, detail: `refused: the request is malformed (${err.code ?? 'parse error'})`, code: 'AIRLOCK_BAD_REQUEST' }));
  });
  return {
    counters,
    connections: () => sockets.size,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.listen.port, config.listen.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      return typeof address === 'object' && address ? { host: address.address, port: address.port } : { host: config.listen.host, port: config.listen.port };
    },
    async close(deadlineMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      relay.closeAll('sidecar restarting');
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([closed, deadline]);
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      for (const upstream of ctx.upstreams.values()) upstream.close();
    },
  };
}
