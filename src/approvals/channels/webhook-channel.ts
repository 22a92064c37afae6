import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../audit/events.js';
import type { WebhookConfig } from '../../config/sections/approvals.js';
import type { Clock } from '../../time/clock.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApprovalChannel, ApprovalLinks } from './channel.js';
import { DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { maskSecrets } from './secret-mask.js';
import { signRequest } from './webhook-signature.js';

export const WEBHOOK_TIMESTAMP_HEADER = 'x-airlock-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-airlock-signature';
export const WEBHOOK_DELIVERY_HEADER = 'x-airlock-delivery';

export interface WebhookChannelDeps {
  readonly config: Pick<WebhookConfig, 'url' | 'secret' | 'timeout' | 'retries' | 'max_queue'>;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** Tests inject their own; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** First retry delay; doubles per attempt, with jitter. */
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
}

/** The JSON an approval request is sent as; a stable, documented shape (docs/slack.md). */
export interface WebhookRequestBody {
  readonly type: 'approval.requested' | 'approval.updated';
  readonly delivery: string;
  readonly sent_at: string;
  readonly request: Record<string, unknown>;
  readonly links?: { readonly url?: string; readonly approve_command: string; readonly deny_command: string };
}

class DeliveryFailed extends Error {}

/**
 * POSTs approval requests and their updates as signed JSON (the Slack
 * scheme: `v0=` hex HMAC-SHA256 over `v0:{timestamp}:{body}`). Retries with
 * exponential backoff, re-signing each attempt with the same delivery id;
 * never blocks or throws into the broker.
 */
export class WebhookChannel implements ApprovalChannel {
  readonly name = 'webhook';
  private readonly queue: DeliveryQueue;
  private readonly secret: string;

  constructor(private readonly deps: WebhookChannelDeps) {
    if (!deps.config.secret) throw new TypeError('WebhookChannel: config.secret is required');
    this.secret = deps.config.secret;
    this.queue = new DeliveryQueue({
      channel: 'webhook',
      maxQueue: deps.config.max_queue,
      logger: deps.logger,
      bus: deps.bus,
      clock: deps.clock,
      ...(deps.registry ? { registry: deps.registry } : {}),
    });
  }

  async notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    if (record.kind !== 'approval') return;
    const links_ = { ...(links.url ? { url: links.url } : {}), approve_command: links.approveCommand, deny_command: links.denyCommand };
    this.queue.push(record.id, 'notify', () => this.deliver({ type: 'approval.requested', ...this.envelope(record), links: links_ }));
  }

  async update(record: ApprovalRecord): Promise<void> {
    if (record.kind !== 'approval') return;
    this.queue.push(record.id, 'update', () => this.deliver({ type: 'approval.updated', ...this.envelope(record) }));
  }

  stats(): DeliveryStats {
    return this.queue.stats();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private envelope(record: ApprovalRecord): Omit<WebhookRequestBody, 'type' | 'links'> {
    return { delivery: randomUUID(), sent_at: new Date(this.deps.clock.now()).toISOString(), request: webhookRequestView(record) };
  }

  private async deliver(message: WebhookRequestBody): Promise<void> {
    const body = JSON.stringify(message);
    const { retries, timeout, url } = this.deps.config;
    const doFetch = this.deps.fetch ?? fetch;
    let lastError = 'not attempted';
    for (let attempt = 0; attempt <= retries; attempt++) {
      const timestamp = String(Math.floor(this.deps.clock.now() / 1000));
      let retryAfterMs = 0;
      try {
        const res = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'airlock-webhook/1',
            [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
            [WEBHOOK_SIGNATURE_HEADER]: signRequest(this.secret, timestamp, body),
            [WEBHOOK_DELIVERY_HEADER]: message.delivery,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeout),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
        if (!isRetryable(res.status)) throw new DeliveryFailed(`${lastError} (not retried)`);
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (err instanceof DeliveryFailed) throw err;
        lastError = (err as Error).name === 'TimeoutError' ? `timed out after ${timeout} ms` : `network error (${(err as Error).message})`;
      }
      if (attempt < retries) await sleep(Math.max(retryAfterMs, this.backoff(attempt)));
    }
    throw new Error(`webhook delivery failed after ${retries + 1} attempts: ${lastError}`);
  }

  private backoff(attempt: number): number {
    const base = this.deps.backoffBaseMs ?? 500;
    const capped = Math.min(this.deps.maxBackoffMs ?? 30_000, base * 2 ** attempt);
    return Math.round(capped * (0.5 + Math.random() * 0.5));
  }
}

function isRetryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

const MAX_RETRY_AFTER_MS = 60_000;

function parseRetryAfter(value: string | null): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(MAX_RETRY_AFTER_MS, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - Date.now()));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The request as a webhook receiver sees it: snake_case, times in ISO 8601, secrets masked. */
export function webhookRequestView(record: ApprovalRecord): Record<string, unknown> {
  const masked = maskSecrets(record.action.command);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: record.id,
    kind: record.kind,
    status: record.status,
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
    requester: { subject: record.requester.subject, email: record.requester.email ?? null, groups: record.requester.groups },
    action: {
      hash: record.action.hash,
      protocol: record.action.protocol,
      target: record.action.target,
      command: masked,
      command_masked: masked !== record.action.command,
      risk: record.action.risk,
      rules: record.action.rules,
      source: record.action.source,
      session_id: record.action.sessionId,
    },
    reason: record.reason ?? null,
    eligible: record.eligible,
    requirement: record.requirement,
    votes: record.votes.map((v) => ({ approver: v.approver, decision: v.decision, reason: v.reason ?? null, at: iso(v.at), mfa: v.mfa, channel: v.channel })),
    resolution: record.resolution
      ? { status: record.resolution.status, at: iso(record.resolution.at), by: record.resolution.by, reason: record.resolution.reason }
      : null,
  };
}
