import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { SlackAck } from '../approvals/channels/slack-interactions.js';
import type { EventBus } from '../audit/events.js';
import { BadRequestError, InternalError, PayloadTooLargeError, UnauthenticatedError, type AirlockError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { toProblem } from './problem.js';
import { createMemorySeenCheck, headerValue, verifyRequestSignature, type SeenCheck } from './request-signature.js';

/** A framework-free HTTP answer; the control server copies it onto its reply. */
export interface HandlerResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** Optional facts about the request the control server knows. */
export interface RequestMeta {
  /** Client address, for the audit event of a refused request. */
  readonly source?: string;
}

export type RawBodyHandler = (rawBody: Buffer, headers: IncomingHttpHeaders, meta?: RequestMeta) => Promise<HandlerResponse>;

export interface SlackInteractivityDeps {
  readonly signingSecret: string;
  /** The same handling Socket Mode uses (SlackInteractions). */
  readonly interactions: { handle(payload: unknown): Promise<SlackAck> };
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Replay memory shared by replicas; defaults to this process's memory. */
  readonly seen?: SeenCheck;
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 256 * 1024;

export function problemResponse(error: AirlockError): HandlerResponse {
  return { status: error.httpStatus, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(toProblem(error)) };
}

/**
 * POST /v1/slack/interactivity. Mount it with the raw body (the signature is
 * over the exact bytes). Forged, stale and replayed requests get 401 and a
 * `slack.rejected` event; everything else gets 200 within Slack's 3 s, with a
 * `response_action` body for modal submissions.
 */
export function createSlackInteractivityHandler(deps: SlackInteractivityDeps): RawBodyHandler {
  if (!deps.signingSecret) throw new TypeError('createSlackInteractivityHandler: signingSecret is required');
  const seen = deps.seen ?? createMemorySeenCheck(deps.clock);
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return async (rawBody, headers, meta = {}) => {
    if (rawBody.length > maxBody) return problemResponse(new PayloadTooLargeError('Slack payload too large'));
    const check = await verifyRequestSignature({
      secret: deps.signingSecret,
      timestamp: headerValue(headers, 'x-slack-request-timestamp'),
      signature: headerValue(headers, 'x-slack-signature'),
      body: rawBody,
      nowMs: deps.clock.now(),
      seen,
      scope: 'slack',
    });
    if (!check.ok) {
      deps.logger.warn({ reason: check.reason, source: meta.source }, 'Slack request refused');
      deps.bus.emit({ type: 'slack.rejected', at: deps.clock.now(), reason: check.reason, ...(meta.source ? { source: meta.source } : {}) });
      return problemResponse(new UnauthenticatedError(`Slack request refused: ${check.reason.replace(/_/g, ' ')}`));
    }
    let payload: unknown;
    try {
      const raw = new URLSearchParams(rawBody.toString('utf8')).get('payload');
      if (raw === null) return problemResponse(new BadRequestError('expected a form body with a payload field'));
      payload = JSON.parse(raw);
    } catch {
      return problemResponse(new BadRequestError('payload is not valid JSON'));
    }
    let ack: SlackAck;
    try {
      ack = await deps.interactions.handle(payload);
    } catch (err) {
      deps.logger.error({ err }, 'Slack interaction failed');
      return problemResponse(new InternalError('internal error'));
    }
    return ack.body
      ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(ack.body) }
      : { status: 200, body: '' };
  };
}
