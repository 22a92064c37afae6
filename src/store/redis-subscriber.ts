import type { Logger } from 'pino';
import type { RedisClient } from './redis-connection.js';

type Handler = (message: string) => void;

interface Channel {
  readonly handlers: Set<Handler>;
  /** Resolves once Redis confirmed SUBSCRIBE; null while not subscribed. */
  live: Promise<void> | null;
  /** SUBSCRIBE/UNSUBSCRIBE of one channel run one after another, never interleaved. */
  queue: Promise<unknown>;
}

/**
 * One dedicated subscriber connection per store, shared by every topic:
 * channel -> handlers, one SUBSCRIBE per channel however many handlers.
 * ioredis resubscribes after a reconnect; messages published while the
 * connection was down are lost, so `onResubscribed` lets the store wake
 * watchers that must re-read.
 */
export class RedisSubscriber {
  private readonly channels = new Map<string, Channel>();
  private wasReady = false;

  constructor(
    private readonly client: RedisClient,
    private readonly onResubscribed: () => void,
    private readonly logger?: Logger,
  ) {
    client.on('message', (channel: string, message: string) => this.deliver(channel, message));
    client.on('ready', () => void this.afterReady());
  }

  /** Resolves once the subscription is live; rejects (and forgets `handler`) if Redis refused it. */
  async add(channelName: string, handler: Handler): Promise<() => Promise<void>> {
    let channel = this.channels.get(channelName);
    if (!channel) {
      channel = { handlers: new Set(), live: null, queue: Promise.resolve() };
      this.channels.set(channelName, channel);
    }
    const entry: Handler = (message) => handler(message);
    channel.handlers.add(entry);
    if (!channel.live) {
      const ch = channel;
      const live = this.enqueue(ch, async () => {
        await this.client.subscribe(channelName);
      });
      ch.live = live;
      live.catch(() => {
        if (ch.live === live) ch.live = null;
      });
    }
    try {
      await channel.live;
    } catch (err) {
      this.remove(channelName, entry);
      throw err;
    }
    return async () => this.remove(channelName, entry);
  }

  /** Calls every handler of the matching channels, as if `message` had been published there. */
  wake(matches: (channel: string) => boolean, message: string): void {
    for (const name of this.channels.keys()) if (matches(name)) this.deliver(name, message);
  }

  /** Channels with at least one handler. */
  count(): number {
    let n = 0;
    for (const channel of this.channels.values()) if (channel.handlers.size > 0) n++;
    return n;
  }

  private async remove(channelName: string, entry: Handler): Promise<void> {
    const channel = this.channels.get(channelName);
    if (!channel || !channel.handlers.delete(entry) || channel.handlers.size > 0) return;
    channel.live = null;
    try {
      await this.enqueue(channel, async () => {
        // A handler added meanwhile queued its SUBSCRIBE after this; skip the round trip.
        if (channel.handlers.size === 0) await this.client.unsubscribe(channelName);
      });
    } catch (err) {
      // Best effort: if Redis is down the channel is resubscribed on reconnect and ignored.
      this.logger?.debug({ err, channel: channelName }, 'unsubscribe failed');
    }
    // The entry stays until here so a concurrent add() reuses its queue (keeps order).
    if (channel.handlers.size === 0 && this.channels.get(channelName) === channel) this.channels.delete(channelName);
  }

  private enqueue<T>(channel: Channel, op: () => Promise<T>): Promise<T> {
    const next = channel.queue.then(op, op);
    channel.queue = next.catch(() => undefined);
    return next;
  }

  private deliver(channelName: string, message: string): void {
    const channel = this.channels.get(channelName);
    if (!channel) return;
    for (const handler of [...channel.handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.logger?.error({ err, channel: channelName }, 'store subscriber threw');
      }
    }
  }

  private async afterReady(): Promise<void> {
    if (!this.wasReady) {
      this.wasReady = true;
      return;
    }
    // ioredis sent the resubscriptions before 'ready'; a PING answered on the
    // same connection proves they were confirmed, so a re-read cannot miss.
    try {
      await this.client.ping();
    } catch (err) {
      this.logger?.warn({ err }, 'store subscriber ping after reconnect failed');
      return;
    }
    this.logger?.info({ channels: this.channels.size }, 'store subscriber reconnected');
    this.onResubscribed();
  }
}
