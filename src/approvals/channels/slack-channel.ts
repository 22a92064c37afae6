import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../audit/events.js';
import type { SlackConfig } from '../../config/sections/approvals.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';
import type { ApprovalRecord } from '../../model/approval-record.js';
import type { ApproverDirectory } from '../approver-directory.js';
import type { ApprovalChannel, ApprovalLinks } from './channel.js';
import { DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { commandBlockText, outcomeText, requestMessage, summaryText } from './slack-message.js';
import { slackErrorName } from './slack-web-client.js';

/** Where posted messages are remembered so any replica can update them: the store's values. */
export type SlackMessageRefs = Pick<Store, 'getValue' | 'setValue'>;

export interface SlackChannelDeps {
  readonly config: Pick<SlackConfig, 'channel' | 'dm_approvers' | 'notify_requester' | 'max_queue'>;
  readonly client: WebClient;
  readonly directory: ApproverDirectory;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  /** prom-client registry for delivery counters; `stats()` works without one. */
  readonly registry?: Registry;
  /** Defaults to process memory (one replica). */
  readonly refs?: SlackMessageRefs;
  /** How long update() waits for another replica's notification to be recorded. */
  readonly refWaitMs?: number;
}

interface PostedMessages {
  readonly url?: string;
  readonly messages: readonly { readonly channel: string; readonly ts: string }[];
}

const REF_RETENTION_MS = 60 * 60_000;

/**
 * Posts approval requests to a Slack channel and/or approvers' DMs and keeps
 * the message current on every vote and at the end. notify() and update()
 * return at once: the work runs in a per-request queue, so neither the Gate
 * nor the broker ever waits on Slack, and Slack being down costs a logged,
 * counted `approval.notify_failed` event, never an exception.
 */
export class SlackChannel implements ApprovalChannel {
  readonly name = 'slack';
  private readonly queue: DeliveryQueue;
  private readonly refs: SlackMessageRefs;
  private readonly toldRequester = new Set<string>();

  constructor(private readonly deps: SlackChannelDeps) {
    this.queue = new DeliveryQueue({
      channel: 'slack',
      maxQueue: deps.config.max_queue,
      logger: deps.logger,
      bus: deps.bus,
      clock: deps.clock,
      describeError: slackErrorName,
      ...(deps.registry ? { registry: deps.registry } : {}),
    });
    this.refs = deps.refs ?? memoryRefs(deps.clock);
  }

  async notify(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    if (record.kind !== 'approval') return;
    this.queue.push(record.id, 'notify', () => this.post(record, links));
  }

  async update(record: ApprovalRecord): Promise<void> {
    if (record.kind !== 'approval') return;
    this.queue.push(record.id, 'update', () => this.refresh(record));
    if (record.status !== 'pending' && this.deps.config.notify_requester && !this.toldRequester.has(record.id)) {
      this.toldRequester.add(record.id);
      if (this.toldRequester.size > 10_000) this.toldRequester.clear();
      this.queue.push(record.id, 'requester_dm', () => this.tellRequester(record));
    }
  }

  stats(): DeliveryStats {
    return this.queue.stats();
  }

  /** Resolves when every queued delivery has run (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private async post(record: ApprovalRecord, links: ApprovalLinks): Promise<void> {
    const { client, config } = this.deps;
    const message = requestMessage(record, links);
    const targets: string[] = [];
    if (config.channel) targets.push(config.channel);
    const failures: string[] = [];
    if (config.dm_approvers) {
      for (const slackId of await this.approverSlackIds(record)) {
        try {
          const im = await client.conversations.open({ users: slackId });
          if (im.channel?.id) targets.push(im.channel.id);
        } catch (err) {
          failures.push(`conversations.open: ${slackErrorName(err)}`);
        }
      }
    }
    const posted: { channel: string; ts: string }[] = [];
    for (const channel of targets) {
      try {
        const res = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false });
        if (res.ts) posted.push({ channel: res.channel ?? channel, ts: res.ts });
      } catch (err) {
        failures.push(`chat.postMessage: ${slackErrorName(err)}`);
      }
    }
    if (posted.length > 0) {
      const value: PostedMessages = { ...(links.url ? { url: links.url } : {}), messages: posted };
      const ttlMs = Math.max(0, record.expiresAt - this.deps.clock.now()) + REF_RETENTION_MS;
      await this.refs.setValue(refKey(record.id), JSON.stringify(value), { ttlMs });
    }
    if (targets.length === 0 && failures.length === 0) failures.push('no Slack channel and no approver reachable by DM');
    if (failures.length > 0) throw new Error(`${failures.length} Slack deliveries failed (${[...new Set(failures)].join('; ')})`);
  }

  private async refresh(record: ApprovalRecord): Promise<void> {
    const posted = await this.postedMessages(record.id);
    if (!posted) throw new Error('no posted message to update');
    const message = requestMessage(record, posted.url ? { url: posted.url } : {});
    const failures: string[] = [];
    for (const { channel, ts } of posted.messages) {
      try {
        await this.deps.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
      } catch (err) {
        failures.push(slackErrorName(err));
      }
    }
    if (failures.length > 0) throw new Error(`chat.update failed (${[...new Set(failures)].join('; ')})`);
  }

  private async tellRequester(record: ApprovalRecord): Promise<void> {
    const slackId = await this.deps.directory.slackIdFor(record.requester.subject, record.requester.email);
    if (!slackId) return;
    const im = await this.deps.client.conversations.open({ users: slackId });
    if (!im.channel?.id) return;
    const outcome = outcomeText(record);
    await this.deps.client.chat.postMessage({
      channel: im.channel.id,
      text: `Your request on ${record.action.target}: ${outcome.replace(/:[a-z_]+: /, '').replace(/\*/g, '')}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `Your request on *${record.action.target}* (${record.action.protocol}):\n${outcome}` } },
        { type: 'section', text: { type: 'mrkdwn', text: commandBlockText(record.action.command, 1500) } },
      ],
      unfurl_links: false,
    });
  }

  /** Approvers of the eligible groups who map to a Slack user; never the requester. */
  private async approverSlackIds(record: ApprovalRecord): Promise<string[]> {
    if (record.requirement.kind !== 'approval') return [];
    const groups = record.requirement.quorums.map((q) => q.group);
    const requesterEmail = record.requester.email?.toLowerCase();
    const ids = new Set<string>();
    for (const entry of this.deps.directory.inGroups(groups)) {
      if (entry.subject === record.requester.subject) continue;
      if (requesterEmail && entry.email?.toLowerCase() === requesterEmail) continue;
      const id = await this.deps.directory.slackIdFor(entry.subject, entry.email);
      if (id) ids.add(id);
    }
    return [...ids];
  }

  /** The messages to update; another replica may still be posting them. */
  private async postedMessages(id: string): Promise<PostedMessages | null> {
    // Wall time, not the injected clock: this is a poll, not a policy deadline.
    const deadline = performance.now() + (this.deps.refWaitMs ?? 3000);
    for (;;) {
      const raw = await this.refs.getValue(refKey(id));
      if (raw) return JSON.parse(raw) as PostedMessages;
      if (performance.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function refKey(id: string): string {
  return `slack:messages:${id}`;
}

function memoryRefs(clock: Clock): SlackMessageRefs {
  const values = new Map<string, { value: string; until: number }>();
  return {
    async getValue(key) {
      const hit = values.get(key);
      if (!hit || hit.until <= clock.now()) return null;
      return hit.value;
    },
    async setValue(key, value, options) {
      const now = clock.now();
      for (const [k, v] of values) if (v.until <= now) values.delete(k);
      values.set(key, { value, until: now + (options?.ttlMs ?? REF_RETENTION_MS) });
      return true;
    },
  };
}
