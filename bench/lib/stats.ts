// Small, exact statistics over recorded samples: no estimation from averages.

/** Sorts a copy ascending (numeric). */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentileOfSorted(ascending: ArrayLike<number>, p: number): number {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * ascending.length);
  const index = Math.min(ascending.length - 1, Math.max(0, rank - 1));
  return ascending[index] as number;
}

export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted(sorted(values), p);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Relative spread (max-min)/mean, to show how noisy repeated runs were. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  return (Math.max(...values) - Math.min(...values)) / mean(values);
}

/**
 * A growable Float64 buffer for hundreds of thousands of latencies without
 * boxing every number in a JS array.
 */
export class SampleBuffer {
  #data = new Float64Array(1 << 16);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#length++] = value;
  }

  append(other: SampleBuffer): void {
    for (const v of other.view()) this.push(v);
  }

  get length(): number {
    return this.#length;
  }

  view(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }

  /** Mean, p50, p90, p99, p99.9 and max of the samples. */
  summary(): LatencySummary {
    const data = Float64Array.from(this.view()).sort();
    let sum = 0;
    for (const v of data) sum += v;
    return {
      count: data.length,
      mean: data.length ? sum / data.length : Number.NaN,
      p50: percentileOfSorted(data, 50),
      p90: percentileOfSorted(data, 90),
      p99: percentileOfSorted(data, 99),
      p999: percentileOfSorted(data, 99.9),
      max: data.length ? (data[data.length - 1] as number) : Number.NaN,
    };
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}
