import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../../audit/events.js';
import type { Clock } from '../../time/clock.js';

// Shared by the Slack and webhook channels: the broker calls notify/update on
// the Gate's path, so deliveries run here, in the background, one after the
// other per approval request (an update never overtakes its notification),
// bounded in number, and every failure is logged, counted and emitted.

export interface DeliveryStats {
  /** Deliveries waiting or running. */
  readonly queued: number;
  readonly sent: number;
  readonly failed: number;
  /** Refused because the queue was full or closed. */
  readonly dropped: number;
}

export interface DeliveryQueueOptions {
  readonly channel: string;
  readonly maxQueue: number;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** Turns an error into a short, secret-free description for logs and events. */
  readonly describeError?: (err: unknown) => string;
}

interface Metrics {
  readonly deliveries: Counter<'channel' | 'outcome'>;
  readonly depth: Gauge<'channel'>;
}

const DELIVERIES = 'airlock_approval_channel_deliveries_total';
const DEPTH = 'airlock_approval_channel_queue_depth';

function metricsIn(registry: Registry): Metrics {
  // Several channels (and replicas in one test process) share one registry.
  const deliveries =
    (registry.getSingleMetric(DELIVERIES) as Counter<'channel' | 'outcome'> | undefined) ??
    new Counter({ name: DELIVERIES, help: 'Approval channel deliveries by outcome (sent, failed, dropped).', labelNames: ['channel', 'outcome'], registers: [registry] });
  const depth =
    (registry.getSingleMetric(DEPTH) as Gauge<'channel'> | undefined) ??
    new Gauge({ name: DEPTH, help: 'Approval channel deliveries waiting or running.', labelNames: ['channel'], registers: [registry] });
  return { deliveries, depth };
}

export class DeliveryQueue {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly metrics: Metrics | null;
  private counts = { queued: 0, sent: 0, failed: 0, dropped: 0 };
  private closed = false;

  constructor(private readonly options: DeliveryQueueOptions) {
    this.metrics = options.registry ? metricsIn(options.registry) : null;
  }

  /** Queues `task` after every earlier task of the same `key`. Never throws, never waits. */
  push(key: string, what: string, task: () => Promise<void>): void {
    if (this.closed || this.counts.queued >= this.options.maxQueue) {
      this.count('dropped');
      this.report(key, what, this.closed ? 'channel closed' : `queue full (${this.options.maxQueue})`);
      return;
    }
    this.counts.queued++;
    this.metrics?.depth.set({ channel: this.options.channel }, this.counts.queued);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous
      .then(task)
      .then(
        () => this.count('sent'),
        (err: unknown) => {
          this.count('failed');
          this.report(key, what, this.options.describeError?.(err) ?? (err instanceof Error ? err.message : String(err)));
        },
      )
      .finally(() => {
        this.counts.queued--;
        this.metrics?.depth.set({ channel: this.options.channel }, this.counts.queued);
        if (this.chains.get(key) === run) this.chains.delete(key);
      });
    this.chains.set(key, run);
  }

  stats(): DeliveryStats {
    return { ...this.counts };
  }

  /** Resolves once everything queued so far has run (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  /** Refuses new work and waits up to `timeoutMs` for the rest. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private count(outcome: 'sent' | 'failed' | 'dropped'): void {
    this.counts[outcome]++;
    this.metrics?.deliveries.inc({ channel: this.options.channel, outcome });
  }

  private report(approvalId: string, what: string, error: string): void {
    this.options.logger.warn({ channel: this.options.channel, approvalId, what, error }, 'approval channel delivery failed');
    this.options.bus.emit({
      type: 'approval.notify_failed',
      at: this.options.clock.now(),
      approvalId,
      reason: error,
      data: { channel: this.options.channel, what },
    });
  }
}
