import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ShellTargetConfig } from '../../config/schema.js';
import { AirlockError, InternalError } from '../../errors.js';
import type { Principal } from '../../model/principal.js';
import { MAX_FRAME_BYTES, TERMINAL_PROTOCOL, TOKEN_PROTOCOL_PREFIX, WS_CLOSE } from './web-terminal-protocol.js';
import { type WebTerminalContext, WebTerminalSession } from './web-terminal-session.js';

/** Where the terminal of a shell target is: `/v1/shell/<target>`. */
export const WEB_TERMINAL_PATH = '/v1/shell/';
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** JWTs are a few KiB at most; anything longer is not one. */
const MAX_TOKEN_LENGTH = 16 * 1024;

export interface WebTerminal {
  /** True for the upgrade requests this serves (its path). */
  handles(url: string | undefined): boolean;
  /** Authenticates an upgrade request and, if it may, opens the terminal. Never rejects. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Shutdown: every terminal is told why and closed (1001). */
  close(reason?: string): void;
}

export interface WebTerminalInit extends WebTerminalContext {
  readonly targets: readonly ShellTargetConfig[];
}

/** An HTTP answer on the raw socket of an upgrade that is refused (JSON problem, as the control API answers). */
function refuseUpgrade(socket: Duplex, status: number, code: string, detail: string, extra = ''): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ status, code, detail });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}\r\n${body}`);
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim())?.[1] : undefined;
  return bearer ?? offeredProtocols(req).find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

/**
 * The WebSocket front end of the shell gateway, served on the control
 * API's port: `GET /v1/shell/<target>` with Upgrade: websocket and the
 * engineer's JWT (Authorization: Bearer, or the `airlock.bearer.<jwt>`
 * sub-protocol for browsers), authenticated through the Gate as SSH logins are.
 */
export function createWebTerminal(init: WebTerminalInit): WebTerminal {
  const targets = new Map(init.targets.map((t) => [t.name, t]));
  const live = new Set<WebTerminalSession>();
  // The token sub-protocol is never echoed: only the terminal protocol is selected, when offered.
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
    clientTracking: false,
    handleProtocols: (offered) => (offered.has(TERMINAL_PROTOCOL) ? TERMINAL_PROTOCOL : false),
  });
  const logger = init.logger.child({ transport: 'websocket' });

  async function authenticate(req: IncomingMessage, socket: Duplex, name: string, id: string, source: string): Promise<{ principal: Principal; target: ShellTargetConfig } | null> {
    const token = tokenOf(req);
    if (!token || token.length > MAX_TOKEN_LENGTH) {
      refuseUpgrade(socket, 401, 'AIRLOCK_UNAUTHENTICATED', 'no bearer token: send Authorization: Bearer <your Airlock JWT> or the airlock.bearer.<jwt> sub-protocol', 'WWW-Authenticate: Bearer realm="airlock"\r\n');
      return null;
    }
    let principal: Principal;
    try {
      principal = await init.gate.authenticate({ token, protocol: 'shell', target: name, source, sessionId: id });
    } catch (err) {
      const error = err instanceof AirlockError && err.clientSafe ? err : new InternalError('authentication failed');
      logger.info({ target: name, code: error.code }, 'websocket terminal authentication refused');
      refuseUpgrade(socket, error.httpStatus, error.code, error.message);
      return null;
    }
    const target = targets.get(name);
    if (!target) {
      // Checked after the token, so target names are not told to anyone without one.
      refuseUpgrade(socket, 404, 'AIRLOCK_UNKNOWN_TARGET', `no shell target ${name}`);
      return null;
    }
    return { principal, target };
  }

  return {
    handles: (url) => url !== undefined && url.startsWith(WEB_TERMINAL_PATH),
    async handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      try {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const name = path.slice(WEB_TERMINAL_PATH.length);
        if (req.method !== 'GET' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuseUpgrade(socket, 400, 'AIRLOCK_BAD_REQUEST', 'expected a WebSocket upgrade (GET with Upgrade: websocket)');
        if (!TARGET_NAME.test(name)) return refuseUpgrade(socket, 404, 'AIRLOCK_NOT_FOUND', `no route ${path}`);
        const id = randomUUID();
        const source = req.socket.remoteAddress ?? 'unknown';
        const admitted = await authenticate(req, socket, name, id, source);
        if (!admitted || socket.destroyed) return;
        server.handleUpgrade(req, socket, head, (ws) => {
          const session = new WebTerminalSession(ws, { id, principal: admitted.principal, target: admitted.target, source, ctx: init });
          live.add(session);
          ws.once('close', () => live.delete(session));
          session.open();
        });
      } catch (err) {
        logger.error({ err }, 'websocket terminal upgrade failed');
        refuseUpgrade(socket, 500, 'AIRLOCK_INTERNAL', 'internal error');
      }
    },
    close(reason = 'airlock is shutting down') {
      for (const session of [...live]) session.terminate(reason, WS_CLOSE.goingAway);
    },
  };
}
