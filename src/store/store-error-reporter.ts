import type { EventBus } from '../audit/events.js';
import type { Clock } from '../time/clock.js';

/**
 * Turns store failures into `store.error` events (audited, counted by the
 * metrics) without flooding the audit log during an outage: at most one
 * event per operation per interval, each carrying how many errors it stands
 * for (`data.count`), and the last ones of an outage are flushed when the
 * interval ends, so the counter never loses an error.
 */
export class StoreErrorReporter {
  private readonly pending = new Map<string, { count: number; last: string }>();
  private readonly lastEmitted = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
  ) {}

  /** Called by the store for every failed operation. */
  readonly report = (operation: string, err: unknown): void => {
    const entry = this.pending.get(operation) ?? { count: 0, last: '' };
    entry.count++;
    entry.last = err instanceof Error ? err.message : String(err);
    this.pending.set(operation, entry);
    const since = this.clock.now() - (this.lastEmitted.get(operation) ?? -Infinity);
    if (since >= this.intervalMs) this.emit(operation);
    else if (!this.timers.has(operation)) {
      const timer = setTimeout(() => {
        this.timers.delete(operation);
        this.emit(operation);
      }, this.intervalMs - since);
      timer.unref();
      this.timers.set(operation, timer);
    }
  };

  close(): void {
    for (const operation of [...this.pending.keys()]) this.emit(operation);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private emit(operation: string): void {
    const entry = this.pending.get(operation);
    if (!entry || entry.count === 0) return;
    this.pending.delete(operation);
    const now = this.clock.now();
    this.lastEmitted.set(operation, now);
    this.bus.emit({ type: 'store.error', at: now, reason: entry.last, data: { operation, count: entry.count } });
  }
}
