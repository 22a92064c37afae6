import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ApprovalRecord } from '../model/approval-record.js';
import type { ApproverDirectory } from '../approvals/approver-directory.js';
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from '../approvals/channels/webhook-channel.js';
import type { DecisionInput, DecisionSink } from '../approvals/decision-input.js';
import type { EventBus } from '../audit/events.js';
import { AirlockError, BadRequestError, NotAnApproverError, PayloadTooLargeError, UnauthenticatedError, toClientError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { createMemorySeenCheck, headerValue, verifyRequestSignature, type SeenCheck } from './request-signature.js';
import { problemResponse, type RawBodyHandler } from './slack-interactivity.js';


export interface WebhookCallbackDeps {
  readonly secret: string;
  readonly directory: ApproverDirectory;
  readonly sink: DecisionSink;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly seen?: SeenCheck;
  readonly maxBodyBytes?: number;
}

export const webhookDecisionSchema = z.strictObject({
  id: z.string().min(1).max(128),
  action_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected the 64 hex digit action hash from the request'),
  decision: z.enum(['approve', 'deny']),
  approver: z.string().min(1).max(256),
  reason: z.string().max(500).optional(),
  mfa_code: z.string().regex(/^\d{6,10}$/, 'expected the approver\'s TOTP code').optional(),
});

const DEFAULT_MAX_BODY = 64 * 1024;

/**
 * POST /v1/webhook/callback: a signed decision from the system that received
 * the webhook (same scheme, window and replay rule as Slack's). The approver
 * must be in approvals.directory; the broker decides whether the vote counts.
 * Answers 200 with the request's state, or a JSON problem with a stable code.
 */
export function createWebhookCallbackHandler(deps: WebhookCallbackDeps): RawBodyHandler {
  if (!deps.secret) throw new TypeError('createWebhookCallbackHandler: secret is required');
  const seen = deps.seen ?? createMemorySeenCheck(deps.clock);
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const rejected = (reason: string, source: string | undefined, extra: { subject?: string; approvalId?: string } = {}) =>
    deps.bus.emit({ type: 'webhook.rejected', at: deps.clock.now(), reason, ...(source ? { source } : {}), ...extra });

  return async (rawBody: Buffer, headers: IncomingHttpHeaders, meta = {}) => {
    if (rawBody.length > maxBody) return problemResponse(new PayloadTooLargeError('webhook callback too large'));
    const check = await verifyRequestSignature({
      secret: deps.secret,
      timestamp: headerValue(headers, WEBHOOK_TIMESTAMP_HEADER),
      signature: headerValue(headers, WEBHOOK_SIGNATURE_HEADER),
      body: rawBody,
      nowMs: deps.clock.now(),
      seen,
      scope: 'webhook',
    });
    if (!check.ok) {
      deps.logger.warn({ reason: check.reason, source: meta.source }, 'webhook callback refused');
      rejected(check.reason, meta.source);
      return problemResponse(new UnauthenticatedError(`webhook callback refused: ${check.reason.replace(/_/g, ' ')}`));
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return problemResponse(new BadRequestError('body is not valid JSON'));
    }
    const parsed = webhookDecisionSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return problemResponse(new BadRequestError(`invalid decision: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'malformed'}`));
    }
    const input = parsed.data;
    const entry = deps.directory.bySubject(input.approver);
    if (!entry) {
      rejected('unknown_approver', meta.source, { subject: input.approver, approvalId: input.id });
      return problemResponse(new NotAnApproverError(`"${input.approver}" is not in approvals.directory`));
    }
    try {
      const record = await deps.sink.decide({
        id: input.id,
        approver: deps.directory.principalOf(entry, 'webhook'),
        decision: input.decision,
        actionHash: input.action_hash,
        channel: 'webhook',
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.mfa_code ? { mfaCode: input.mfa_code } : {}),
      });
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: record.id, status: record.status, votes: record.votes.length, resolution: record.resolution ?? null }),
      };
    } catch (err) {
      const error = toClientError(err);
      if (!(err instanceof AirlockError) || !err.clientSafe) deps.logger.error({ err, approvalId: input.id }, 'webhook decision failed');
      rejected(error.code, meta.source, { subject: input.approver, approvalId: input.id });
      return problemResponse(error);
    }
  };
}
