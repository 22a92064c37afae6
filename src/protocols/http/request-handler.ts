import type { IncomingMessage, ServerResponse } from 'node:http';
import { relayResponse } from './response-relay.js';
import type { HttpRequestView } from '../../classifiers/http/index.js';
import { AirlockError, CancelledError, InternalError, PayloadTooLargeError } from '../../errors.js';
import type { GateCheckOptions } from '../../gate/gate.js';
import type { HoldNotice } from '../../gate/hold-notice.js';
import type { Verdict } from '../../gate/verdict.js';
import { denyVerdict } from '../../gate/verdicts.js';
import { createAction } from '../../model/action.js';
import type { Principal } from '../../model/principal.js';
import type { ConnectionIdentity } from './connection-identity.js';
import { forwardedHeaders } from './forwarded-headers.js';
import { sendProblem } from './problem-response.js';
import type { HttpProxyContext } from './proxy-context.js';
import { readRequestBody, type BodyRead } from './request-body.js';
import { readRequestHead } from './request-view.js';
import { bearerToken, sendUnauthenticated, wantsHtml } from './request-credentials.js';
import { sendDenial } from './verdict-response.js';

const MAX_REASON_CHARS = 500;

function badRequest(res: ServerResponse, detail: string): void {
  sendProblem(res, { type: 'bad_request', title: 'Bad Request', status: 400, detail: `refused: ${detail}`, code: 'AIRLOCK_BAD_REQUEST' }, { connection: 'close' });
}

/** `Prefer` preferences (RFC 7240) by token. */
function preferences(req: IncomingMessage): Set<string> {
  const raw = req.headers.prefer;
  if (!raw) return new Set();
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  return new Set(value.split(',').map((p) => p.split(';')[0]!.split('=')[0]!.trim().toLowerCase()));
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/**
 * One request's life: read and normalise its head, route it, authenticate
 * it, read its body up to the cap, classify it, ask the Gate, then forward
 * it exactly once or answer for the Gate. Nothing reaches the upstream
 * before the verdict; a client that leaves while held withdraws it.
 */
export async function handleRequest(ctx: HttpProxyContext, identity: ConnectionIdentity, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.counters.requests++;
  const head = readRequestHead(req);
  if (!head.ok) {
    ctx.counters.refused++;
    return badRequest(res, head.reason);
  }
  const routed = ctx.router.route(head.hostName, head.path);
  if (!routed) {
    ctx.counters.refused++;
    return badRequest(res, `no target serves host "${head.hostName ?? ''}" and path ${head.path}`);
  }
  const target = routed.target;
  const token = bearerToken(req);
  if (token === undefined) return sendUnauthenticated(res, wantsHtml(req), ctx.publicUrl, 'no bearer token: send Authorization: Bearer <your Airlock JWT>');
  let principal: Principal;
  try {
    principal = await identity.principalFor(token, target.name);
  } catch (err) {
    const error = err instanceof AirlockError && err.clientSafe ? err : new InternalError('authentication failed');
    if (error.httpStatus === 401) return sendUnauthenticated(res, wantsHtml(req), ctx.publicUrl, error.message, 'invalid_token');
    return sendProblem(res, { type: 'refused', title: 'Refused', status: error.httpStatus, detail: error.message, code: error.code });
  }
  const body = await readRequestBody(req, head.bodyLength, ctx.config.max_body_bytes);
  if (body.state === 'aborted') return void res.destroy();
  const view: HttpRequestView = {
    method: head.method,
    ...(head.method !== head.requestMethod ? { requestMethod: head.requestMethod } : {}),
    path: routed.upstreamPath(head.path),
    query: head.query,
    headers: head.headers,
    ...(body.state === 'inspected' ? { body: body.body } : {}),
    bodyState: body.state,
  };
  const classifier = ctx.classifiers.get(target.name)!;
  const classified = classifier.classifyRequest(view);
  if (!classified.ok) {
    ctx.counters.refused++;
    return badRequest(res, classified.reason);
  }
  const reasonHeader = singleHeader(req, 'airlock-reason');
  const action = createAction({
    principal,
    protocol: 'http',
    target: target.name,
    sessionId: identity.sessionId,
    source: identity.source,
    command: classified.command,
    classification: classified.classification,
    ...(reasonHeader ? { reason: reasonHeader.slice(0, MAX_REASON_CHARS) } : {}),
  });
  const verdict = ctx.gate.checkNow?.(action) ?? (await waitForVerdict(ctx, req, res, action, body));
  if (res.destroyed || identity.endedBecause !== null) {
    // The client left or the session was ended while it was decided: nothing is forwarded.
    return void res.destroy();
  }
  if (!verdict.allowed) {
    // An unread body must not be taken for the next request of this connection.
    if (body.state === 'over_cap') res.setHeader('connection', 'close');
    return sendDenial(res, verdict, lastNotice.get(res) ?? null, { url: `${ctx.publicUrl.replace(/\/$/, '')}/v1/stepup` });
  }
  forward(ctx, req, res, routed.upstreamPath(head.forwardPath), head, body, target.name);
}

/** The notice of the last hold of a response, for the 202 it may become. */
const lastNotice = new WeakMap<ServerResponse, HoldNotice>();

async function waitForVerdict(ctx: HttpProxyContext, req: IncomingMessage, res: ServerResponse, action: ReturnType<typeof createAction>, body: BodyRead): Promise<Verdict> {
  const prefer = preferences(req);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new CancelledError('the client disconnected'));
  };
  res.once('close', onClose);
  const approvalId = singleHeader(req, 'airlock-approval');
  const stepUpToken = singleHeader(req, 'airlock-step-up');
  const options: GateCheckOptions = {
    signal: controller.signal,
    onHold: (notice) => {
      lastNotice.set(res, notice);
      if (prefer.has('respond-async')) return;
      ctx.counters.held++;
      sendHoldNotice(res, notice);
      timer = setInterval(() => sendHoldNotice(res, notice), ctx.config.notice_interval);
      timer.unref();
    },
    // Programs answer a challenge; a browser page waits while its user confirms elsewhere.
    stepUp: wantsHtml(req) ? 'hold' : 'challenge',
    ...(stepUpToken ? { stepUpToken } : {}),
    ...(approvalId ? { approvalId } : {}),
    ...(prefer.has('respond-async') ? { defer: true } : {}),
    ...(body.state === 'over_cap' ? { cannotHold: new PayloadTooLargeError(`this request needs a decision and its body is larger than the ${ctx.config.max_body_bytes}-byte inspection cap; send a smaller body`) } : {}),
  };
  try {
    return await ctx.gate.check(action, options);
  } catch (err) {
    ctx.logger.error({ err, actionId: action.id }, 'gate check failed; refusing the request');
    return denyVerdict({ risk: 'critical', requirement: 'deny', path: 'error', rules: [], reason: 'internal error', error: new InternalError('internal error') });
  } finally {
    if (timer) clearInterval(timer);
    res.off('close', onClose);
  }
}

/** 103 Early Hints while held: the approval's id and page, and the message, before the final answer. */
function sendHoldNotice(res: ServerResponse, notice: HoldNotice): void {
  if (res.headersSent || res.destroyed) return;
  res.writeEarlyHints({
    link: `<${notice.url ?? '/'}>; rel="airlock-approval"`,
    'airlock-approval': notice.approvalId,
    'airlock-hold': notice.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000),
  });
}

/** Sends the request upstream once and streams the answer back. */
function forward(ctx: HttpProxyContext, req: IncomingMessage, res: ServerResponse, path: string, head: Extract<ReturnType<typeof readRequestHead>, { ok: true }>, body: BodyRead, targetName: string): void {
  const upstream = ctx.upstreams.get(targetName)!;
  const headers = forwardedHeaders(req, { hostHeader: upstream.hostHeader, credentials: upstream.credentialHeaders, secure: (req.socket as { encrypted?: boolean }).encrypted === true });
  if (body.state === 'inspected') headers['content-length'] = String(body.body.length);
  else if (body.state === 'over_cap' && typeof head.bodyLength === 'number') headers['content-length'] = String(head.bodyLength);
  else if (body.state === 'none' && (head.requestMethod === 'POST' || head.requestMethod === 'PUT' || head.requestMethod === 'PATCH')) headers['content-length'] = '0';
  ctx.counters.forwarded++;
  const target = `${path}${head.query === '' ? '' : `?${head.query}`}`;
  const upReq = upstream.request(head.requestMethod, target, headers, (upRes) => {
    if (res.destroyed) {
      upRes.destroy();
      return;
    }
    relayResponse(upRes, res, () => upReq.destroy());
  });
  let answered = false;
  upReq.once('response', () => {
    answered = true;
  });
  upReq.on('error', (err) => {
    ctx.counters.upstreamErrors++;
    if (answered) return void res.destroy();
    ctx.logger.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code }, target: targetName }, 'upstream request failed');
    sendProblem(res, { type: 'upstream_unavailable', title: 'Bad Gateway', status: 502, detail: `the upstream of ${targetName} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, code: 'AIRLOCK_UPSTREAM_UNAVAILABLE' });
  });
  // The client leaving ends the upstream exchange: no orphan upstream sockets.
  res.once('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  if (body.state === 'inspected') upReq.end(body.body);
  else if (body.state === 'over_cap') {
    for (const chunk of body.head) upReq.write(chunk);
    req.on('error', () => upReq.destroy());
    req.pipe(upReq);
    req.resume();
  } else upReq.end();
}
