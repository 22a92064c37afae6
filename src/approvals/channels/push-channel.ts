import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import webpush from 'web-push';
import type { EventBus } from '../../audit/events.js';
import type { PushConfig } from '../../config/sections/approvals.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApprovalRequirement } from '../../model/requirement.js';
import type { Clock } from '../../time/clock.js';
import type { ApproverDirectory } from '../approver-directory.js';
import { endpointId, type PushSubscriptions, type StoredPushSubscription } from '../push-subscriptions.js';
import { isEligibleApprover } from '../quorum.js';
import type { ApprovalChannel, ApprovalLinks } from './channel.js';
import { DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { maskSecrets } from './secret-mask.js';
import type { VapidKeys } from './vapid-keys.js';

export interface PushChannelDeps {
  readonly config: Pick<PushConfig, 'subject' | 'ttl' | 'timeout' | 'retries' | 'max_queue'>;
  readonly keys: VapidKeys;
  readonly subscriptions: PushSubscriptions;
  readonly directory: ApproverDirectory;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** First retry delay; doubles per attempt, with jitter. */
  readonly backoffBaseMs?: number;
}

/** What the service worker receives (decrypted): enough for a notification, never a way to decide. */
export interface PushPayload {
  readonly id: string;
  readonly kind: 'approval' | 'step_up';
  readonly title: string;
  readonly body: string;
  /** The request's page, where deciding needs a signed-in session. */
  readonly url: string;
}

/** Push services cap payloads at 4 KB; a notification line is far shorter. */
const MAX_COMMAND_CHARS = 120;
const MAX_RETRY_AFTER_MS = 60_000;
const PUSHES = 'airlock_push_messages_total';

class Gone extends Error {}
class Final extends Error {}

/**
 * Web Push (RFC 8030, payloads encrypted per RFC 8291, VAPID per RFC 8292):
 * a new approval request goes to every subscribed device of each person who
 * may decide it (never the requester); a step-up request to the requester's
 * own devices. web-push builds the encrypted, signed request; it is sent with
 * fetch so timeouts, redirects and retries are ours. A 404 or 410 means the
 * subscription is gone and it is removed; 429 and 5xx are retried with backoff.
 */
export class PushChannel implements ApprovalChannel {
  readonly name = 'push';
  readonly notifiesStepUps = true;
  private readonly queue: DeliveryQueue;
  private readonly pushes: Counter<'outcome'> | null;

  constructor(private readonly deps: PushChannelDeps) {
    this.queue = new DeliveryQueue({
      channel: 'push',
      maxQueue: deps.config.max_queue,
      logger: deps.logger,
      bus: deps.bus,
      clock: deps.clock,
      ...(deps.registry ? { registry: deps.registry } : {}),
    });
    const registry = deps.registry;
    this.pushes = registry
      ? ((registry.getSingleMetric(PUSHES) as Counter<'outcome'> | undefined) ??
        new Counter({ name: PUSHES, help: 'Web Push requests by outcome (sent, gone, retried, failed).', labelNames: ['outcome'], registers: [registry] }))
      : null;
  }

  async notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    const payload = JSON.stringify(payloadOf(record, links));
    // Finding the recipients reads the store: that too runs in the background, off the Gate's path.
    this.queue.push(record.id, 'recipients', async () => {
      for (const subscription of await this.recipients(record)) {
        this.queue.push(`${record.id}:${endpointId(subscription.endpoint)}`, 'push', () => this.deliver(subscription, payload));
      }
    });
  }

  async update(): Promise<void> {
    // Every push must show a notification (userVisibleOnly); outcomes are on the page.
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

  /** Approvers who may decide (never the requester); for a step-up, the requester alone. */
  private async recipients(record: ApprovalRecord): Promise<StoredPushSubscription[]> {
    const { subscriptions, directory } = this.deps;
    if (record.kind === 'step_up') return subscriptions.list(record.requester.subject);
    const out: StoredPushSubscription[] = [];
    for (const subject of await subscriptions.subjects()) {
      if (subject === record.requester.subject) continue;
      for (const subscription of await subscriptions.list(subject)) {
        // The directory, when it knows the person, is current; otherwise the groups of the token they subscribed with.
        const groups = directory.bySubject(subject)?.groups ?? subscription.groups;
        if (isEligibleApprover(record.requirement as ApprovalRequirement, groups)) out.push(subscription);
      }
    }
    return out;
  }

  private async deliver(subscription: StoredPushSubscription, payload: string): Promise<void> {
    const { config, keys, clock } = this.deps;
    let last = 'not attempted';
    for (let attempt = 0; attempt <= config.retries; attempt++) {
      let retryAfterMs = 0;
      // Built per attempt: the VAPID JWT carries an expiry and the encryption a fresh salt. A failure here is final.
      let request: ReturnType<typeof webpush.generateRequestDetails>;
      try {
        request = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
          vapidDetails: { subject: config.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
          TTL: Math.round(config.ttl / 1000),
          contentEncoding: 'aes128gcm',
          urgency: 'high',
        });
      } catch (err) {
        this.pushes?.inc({ outcome: 'failed' });
        throw new Error(`cannot build the push request (${(err as Error).message})`);
      }
      try {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          // fetch sets Content-Length itself.
          if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
        }
        const response = await fetch(request.endpoint, {
          method: 'POST',
          headers,
          ...(request.body ? { body: new Uint8Array(request.body) } : {}),
          redirect: 'error',
          signal: AbortSignal.timeout(config.timeout),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.pushes?.inc({ outcome: 'sent' });
          return;
        }
        last = `HTTP ${response.status}`;
        if (response.status === 404 || response.status === 410) throw new Gone(last);
        if (response.status !== 429 && response.status < 500) throw new Final(`${last} (not retried)`);
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
      } catch (err) {
        if (err instanceof Gone) {
          this.pushes?.inc({ outcome: 'gone' });
          await this.deps.subscriptions.remove(subscription.subject, subscription.endpoint);
          this.deps.logger.info({ subject: subscription.subject, status: err.message }, 'push subscription is gone; removed');
          return;
        }
        if (err instanceof Final) {
          this.pushes?.inc({ outcome: 'failed' });
          throw err;
        }
        last = (err as Error).name === 'TimeoutError' ? `timed out after ${config.timeout} ms` : `network error (${(err as Error).message})`;
      }
      if (attempt < config.retries) {
        this.pushes?.inc({ outcome: 'retried' });
        await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfterMs, this.backoff(attempt))));
      }
    }
    this.pushes?.inc({ outcome: 'failed' });
    throw new Error(`push delivery failed after ${config.retries + 1} attempts: ${last}`);
  }

  private backoff(attempt: number): number {
    const capped = Math.min(30_000, (this.deps.backoffBaseMs ?? 500) * 2 ** attempt);
    return Math.round(capped * (0.5 + Math.random() * 0.5));
  }
}

/** A short, secret-free line for a lock screen. */
export function payloadOf(record: ApprovalRecord, links: ApprovalLinks): PushPayload {
  const masked = maskSecrets(record.action.command).replace(/\s+/g, ' ').trim();
  const command = masked.length > MAX_COMMAND_CHARS ? `${masked.slice(0, MAX_COMMAND_CHARS - 1)}…` : masked;
  const where = `${record.action.protocol} on ${record.action.target}`;
  return {
    id: record.id,
    kind: record.kind,
    title: record.kind === 'approval' ? `Approval needed: ${where}` : `Confirm your own action: ${where}`,
    body: `${record.requester.subject} (risk ${record.action.risk}): ${command}`,
    url: links.url ?? `/approvals/${record.id}`,
  };
}

function parseRetryAfter(value: string | null, now: number): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(MAX_RETRY_AFTER_MS, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}
