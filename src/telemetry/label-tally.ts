/**
 * Counts by label values in plain numbers, for counters on the per-statement
 * path. prom-client's `counter.labels(...).inc()` hashes and validates the
 * labels on every call (a string built per statement); this keeps one number
 * per label combination, found through nested Maps without building a key,
 * and hands the totals to prom-client only when /metrics is scraped.
 */
export class LabelTally<L extends string> {
  readonly #root = new Map<string, unknown>();
  readonly #entries: Array<{ readonly labels: Readonly<Record<L, string>>; count: number }> = [];

  constructor(private readonly labelNames: readonly L[]) {}

  /** Adds one for these label values, given in the order of `labelNames`. */
  inc(...values: string[]): void {
    let level = this.#root;
    const last = this.labelNames.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    let entry = level.get(values[last]!) as { count: number } | undefined;
    if (entry === undefined) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]!])) as Record<L, string>;
      const created = { labels, count: 0 };
      this.#entries.push(created);
      level.set(values[last]!, created);
      entry = created;
    }
    entry.count++;
  }

  /** Every label combination seen, with its total. */
  totals(): ReadonlyArray<{ readonly labels: Readonly<Record<L, string>>; readonly count: number }> {
    return this.#entries;
  }
}
