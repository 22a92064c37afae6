// Reads Airlock's Prometheus metrics (prom-client text format) from the control API.

export async function scrapeMetrics(controlUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${controlUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const brace = line.indexOf('{');
    const name = brace >= 0 && brace < space ? line.slice(0, brace) : line.slice(0, space);
    const value = Number(line.slice(space + 1));
    // Series with labels: keep the first one of each name (default metrics carry only the replica label).
    if (!values.has(name) && Number.isFinite(value)) values.set(name, value);
  }
  return values;
}

/**
 * prom-client samples the event loop with monitorEventLoopDelay at a 10 ms
 * resolution, and each sample includes that interval: an idle loop reads
 * ~10.1 ms. The delay a request can suffer is the reading minus it.
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

export interface EventLoopSample {
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** One reading of the histogram since the previous scrape (prom-client resets it on every collect). */
export async function eventLoopSample(controlUrl: string): Promise<EventLoopSample> {
  const m = await scrapeMetrics(controlUrl);
  return {
    p99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    maxMs: (m.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
    meanMs: (m.get('nodejs_eventloop_lag_mean_seconds') ?? Number.NaN) * 1000,
  };
}
