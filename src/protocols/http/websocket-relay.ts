import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { HttpRequestView } from '../../classifiers/http/index.js';
import { AirlockError, CancelledError, InternalError, StepUpRequiredError } from '../../errors.js';
import { createAction } from '../../model/action.js';
import type { Principal } from '../../model/principal.js';
import type { ConnectionIdentity } from './connection-identity.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { problemBytes, type Problem } from './problem-response.js';
import type { HttpProxyContext } from './proxy-context.js';
import { bearerToken } from './request-credentials.js';
import { readRequestHead } from './request-view.js';

/** A sub-protocol that carries the bearer token for browsers, which cannot set Authorization on a WebSocket. */
const TOKEN_PROTOCOL_PREFIX = 'airlock.bearer.';
/** Pause the sending side while this much is buffered towards the other. */
const HIGH_WATER_BYTES = 1 << 20;
const MAX_MESSAGE_BYTES = 64 << 20;
/** A revoked WebSocket gets this long to close politely before its sockets are destroyed. */
const CLOSE_GRACE_MS = 500;

function refuse(socket: Duplex, problem: Problem, headers: Readonly<Record<string, string>> = {}): void {
  if (!socket.destroyed) socket.end(problemBytes(problem, headers));
}

/** A close code that may be sent on the wire (1005 and 1006 are only reported, never sent). */
function sendableCode(code: number): number {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * WebSocket upgrades: the upgrade request is gated like any request (it is
 * a GET of its path, flagged `websocket`); once allowed, Airlock opens the
 * upstream WebSocket first, completes the client's handshake with the
 * sub-protocol the upstream chose, then relays messages both ways with
 * backpressure. Airlock reads frames with `ws` so that it can close a
 * revoked session properly (1008) at a message boundary.
 */
export class WebSocketRelay {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, clientTracking: false, handleProtocols: (_offered, req) => this.chosen.get(req) ?? false });
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly live = new Set<{ close(code: number, reason: string): void }>();

  constructor(private readonly ctx: HttpProxyContext) {}

  get size(): number {
    return this.live.size;
  }

  async handleUpgrade(identity: ConnectionIdentity, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { ctx } = this;
    socket.on('error', () => socket.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return refuse(socket, { type: 'bad_request', title: 'Bad Request', status: 400, detail: 'refused: only WebSocket upgrades are proxied' });
    const parsed = readRequestHead(req);
    if (!parsed.ok || parsed.method !== 'GET' || parsed.bodyLength !== 0) {
      return refuse(socket, { type: 'bad_request', title: 'Bad Request', status: 400, detail: `refused: ${parsed.ok ? 'a WebSocket upgrade is a GET without a body' : parsed.reason}` });
    }
    const routed = ctx.router.route(parsed.hostName, parsed.path);
    if (!routed) return refuse(socket, { type: 'bad_request', title: 'Bad Request', status: 400, detail: `refused: no target serves host "${parsed.hostName ?? ''}" and path ${parsed.path}` });
    const target = routed.target;
    if (!target.websocket) return refuse(socket, { type: 'refused', title: 'Forbidden', status: 403, detail: `target ${target.name} does not allow WebSocket upgrades` });
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const tokenProtocol = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    const token = bearerToken(req) ?? tokenProtocol?.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (!token) return refuse(socket, { type: 'unauthenticated', title: 'Unauthorized', status: 401, detail: 'no bearer token: send Authorization: Bearer <your Airlock JWT>', code: 'AIRLOCK_UNAUTHENTICATED' }, { 'www-authenticate': 'Bearer realm="airlock"' });
    let principal: Principal;
    try {
      principal = await identity.principalFor(token, target.name);
    } catch (err) {
      const error = err instanceof AirlockError && err.clientSafe ? err : new InternalError('authentication failed');
      return refuse(socket, { type: 'refused', title: 'Refused', status: error.httpStatus, detail: error.message, code: error.code });
    }
    const view: HttpRequestView = { method: 'GET', path: routed.upstreamPath(parsed.path), query: parsed.query, headers: parsed.headers, bodyState: 'none' };
    const classified = ctx.classifiers.get(target.name)!.classifyRequest(view);
    if (!classified.ok) return refuse(socket, { type: 'bad_request', title: 'Bad Request', status: 400, detail: `refused: ${classified.reason}` });
    const action = createAction({ principal, protocol: 'http', target: target.name, sessionId: identity.sessionId, source: identity.source, command: classified.command, classification: classified.classification });
    const controller = new AbortController();
    const onClose = (): void => controller.abort(new CancelledError('the client disconnected'));
    socket.once('close', onClose);
    const approvalId = typeof req.headers['airlock-approval'] === 'string' ? req.headers['airlock-approval'] : undefined;
    const stepUpToken = typeof req.headers['airlock-step-up'] === 'string' ? req.headers['airlock-step-up'] : undefined;
    const verdict = ctx.gate.checkNow?.(action) ?? (await ctx.gate.check(action, { signal: controller.signal, stepUp: 'challenge', ...(approvalId ? { approvalId } : {}), ...(stepUpToken ? { stepUpToken } : {}) }));
    socket.off('close', onClose);
    if (socket.destroyed || identity.endedBecause !== null) return void socket.destroy();
    if (!verdict.allowed) {
      const error = verdict.error;
      const status = verdict.path === 'timeout' ? 504 : error.httpStatus === 202 ? 403 : error.httpStatus;
      return refuse(
        socket,
        { type: error instanceof StepUpRequiredError ? 'step_up_required' : verdict.path === 'timeout' ? 'approval_timeout' : 'denied', title: 'Refused', status, detail: verdict.reason, code: error.code, decided_by: verdict.decidedBy },
        error instanceof StepUpRequiredError ? { 'www-authenticate': `Bearer realm="airlock", error="insufficient_user_authentication", acr_values="airlock:stepup:${verdict.risk}"` } : {},
      );
    }
    this.connectUpstream(identity, req, socket, head, routed.upstreamPath(parsed.forwardPath), parsed.query, target.name, offered.filter((p) => p !== tokenProtocol));
  }

  private connectUpstream(identity: ConnectionIdentity, req: IncomingMessage, socket: Duplex, head: Buffer, path: string, query: string, targetName: string, protocols: string[]): void {
    const upstreamClient = this.ctx.upstreams.get(targetName)!;
    const url = upstreamClient.webSocketUrl(`${path}${query === '' ? '' : `?${query}`}`);
    const headers = forwardedHeaders(req, { hostHeader: upstreamClient.hostHeader, credentials: upstreamClient.credentialHeaders, secure: (req.socket as { encrypted?: boolean }).encrypted === true });
    for (const name of Object.keys(headers)) if (name.startsWith('sec-websocket-')) delete headers[name];
    const upstream = new WebSocket(url, protocols, { headers: headers as Record<string, string>, perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES, handshakeTimeout: 10_000, ...upstreamClient.tlsOptions });
    const abandon = (): void => upstream.terminate();
    socket.once('close', abandon);
    upstream.once('unexpected-response', (_request, response) => {
      socket.off('close', abandon);
      refuse(socket, { type: 'upstream_refused', title: 'Bad Gateway', status: 502, detail: `the upstream of ${targetName} refused the WebSocket upgrade with ${response.statusCode ?? 'no status'}` });
      response.destroy();
      upstream.terminate();
    });
    upstream.once('error', (err) => {
      socket.off('close', abandon);
      if (upstream.readyState === WebSocket.CONNECTING || upstream.readyState === WebSocket.CLOSED) {
        refuse(socket, { type: 'upstream_unavailable', title: 'Bad Gateway', status: 502, detail: `the upstream of ${targetName} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, code: 'AIRLOCK_UPSTREAM_UNAVAILABLE' });
      }
    });
    upstream.once('open', () => {
      socket.off('close', abandon);
      if (socket.destroyed) return void upstream.terminate();
      if (upstream.protocol) this.chosen.set(req, upstream.protocol);
      this.server.handleUpgrade(req, socket, head, (client) => this.relay(identity, client, upstream, targetName));
    });
  }

  private relay(identity: ConnectionIdentity, client: WebSocket, upstream: WebSocket, targetName: string): void {
    const pipe = (from: WebSocket, to: WebSocket): void => {
      from.on('message', (data: RawData, isBinary: boolean) => {
        if (to.readyState !== WebSocket.OPEN) return;
        to.send(data, { binary: isBinary }, () => {
          if (to.bufferedAmount < HIGH_WATER_BYTES && from.isPaused) from.resume();
        });
        if (to.bufferedAmount >= HIGH_WATER_BYTES) from.pause();
      });
      from.on('close', (code: number, reason: Buffer) => {
        if (to.readyState === WebSocket.OPEN || to.readyState === WebSocket.CONNECTING) to.close(sendableCode(code), reason.subarray(0, 123));
        setTimeout(() => to.terminate(), CLOSE_GRACE_MS).unref();
      });
      from.on('error', () => {
        from.terminate();
        to.terminate();
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const entry = {
      close: (code: number, reason: string): void => {
        client.close(code, reason.slice(0, 120));
        upstream.close(1000);
        setTimeout(() => {
          client.terminate();
          upstream.terminate();
        }, CLOSE_GRACE_MS).unref();
      },
    };
    this.live.add(entry);
    identity.onTerminate = (reason) => entry.close(1008, reason);
    client.once('close', () => this.live.delete(entry));
    this.ctx.logger.debug({ target: targetName, sessionId: identity.sessionId }, 'websocket relayed');
  }

  /** Closes every relayed WebSocket (shutdown). */
  closeAll(reason: string): void {
    for (const entry of [...this.live]) entry.close(1001, reason);
  }
}
