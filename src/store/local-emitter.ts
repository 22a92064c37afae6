import type { Logger } from 'pino';

type Handler = (message: string) => void;

/**
 * Topic -> handlers, in process. Delivery is asynchronous (a microtask after
 * the publisher returns) so that a handler sees the change already visible and
 * a throwing handler can never break the writer; the Redis store behaves the
 * same way because its messages arrive over the network.
 */
export class LocalEmitter {
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(private readonly logger?: Logger) {}

  on(topic: string, handler: Handler): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry: Handler = (message) => handler(message);
    set.add(entry);
    return () => {
      const current = this.handlers.get(topic);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.handlers.delete(topic);
    };
  }

  has(topic: string): boolean {
    return this.handlers.has(topic);
  }

  emit(topic: string, message: string): void {
    const set = this.handlers.get(topic);
    if (!set) return;
    // Snapshot: a handler subscribed during delivery waits for the next message.
    for (const handler of [...set]) {
      queueMicrotask(() => {
        if (!set.has(handler)) return; // unsubscribed before delivery
        try {
          handler(message);
        } catch (err) {
          this.logger?.error({ err, topic }, 'store subscriber threw');
        }
      });
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
