// Scale: one Airlock with thousands of idle authenticated sessions and a
// thousand statements held for approval; its memory and event-loop delay while
// they wait; then every held request is denied over the control API.
import { APPROVER_GROUP, BENCH_TARGET, HOLD_TABLE_PREFIX } from './airlock-config.js';
import { EVENT_LOOP_RESOLUTION_MS, eventLoopSample, type EventLoopSample } from './metrics-scrape.js';
import { WireClient, type QueryOutcome } from './pg-wire-client.js';
import { rssBytes } from './processes.js';
import { PGBOUNCER_TX_DATABASE, startAirlock, type Service, type ServiceContext } from './services.js';
import { percentile } from './stats.js';

export interface ScaleOptions {
  readonly idle: number;
  readonly held: number;
  /** Connections opened at once while ramping up. */
  readonly concurrency: number;
  /** Seconds of event-loop readings while everything waits. */
  readonly observeSec: number;
}

export interface ScaleResult {
  readonly idle: number;
  readonly held: number;
  readonly upstream: string;
  readonly rssMiB: { readonly ready: number; readonly idle: number; readonly idleAndHeld: number; readonly afterClose: number };
  readonly perIdleSessionKiB: number;
  readonly perHeldStatementKiB: number;
  readonly connectSec: { readonly idle: number; readonly held: number };
  readonly eventLoop: {
    readonly resolutionMs: number;
    /** Raw prom-client readings (include the 10 ms sampling interval), one per second while waiting. */
    readonly readings: readonly EventLoopSample[];
    readonly p99RawMaxMs: number;
    readonly p99RawMedianMs: number;
    /** Worst p99 minus the sampling interval: the delay a request could suffer. */
    readonly p99DelayMs: number;
  };
  readonly probe: { readonly queries: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly deny: { readonly requests: number; readonly seconds: number; readonly clientsAnswered: number; readonly codes: Record<string, number> };
  readonly errors: readonly string[];
}

const MiB = 1024 * 1024;

async function inBatches<T>(count: number, concurrency: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      out[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A deadline that does not keep the process alive once the race is won. */
const deadline = (ms: number) => new Promise<null>((r) => setTimeout(() => r(null), ms).unref());

export async function runScale(ctx: ServiceContext, pgbouncer: Service, options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  // Airlock opens one upstream connection per client; PostgreSQL allows ~100, so the
  // sessions go through PgBouncer in transaction mode (idle sessions hold no server).
  const airlock = await startAirlock(ctx, { name: 'airlock-scale', upstreamHost: pgbouncer.host, upstreamPort: pgbouncer.port, upstreamDatabase: PGBOUNCER_TX_DATABASE });
  const errors: string[] = [];
  const clients: WireClient[] = [];
  try {
    const connectOptions = { host: airlock.host, port: airlock.port, user: 'bench', database: BENCH_TARGET, password: airlock.token };
    const approverToken = await airlock.mintToken('bench-approver', [APPROVER_GROUP]);
    await sleep(1000);
    const rssReady = await rssBytes(airlock.process.pid);

    log(`scale: opening ${options.idle} idle sessions`);
    let t0 = performance.now();
    const idle = await inBatches(options.idle, options.concurrency, async () => {
      const c = await WireClient.open(connectOptions);
      clients.push(c);
      return c;
    });
    const idleSec = (performance.now() - t0) / 1000;
    // One round trip on a few sessions proves they are really usable, not just accepted.
    for (const c of idle.slice(0, 5)) {
      const r = await c.query('SELECT 1');
      if (r.error) errors.push(`idle session query: ${r.error.code} ${r.error.message}`);
    }
    await sleep(2000);
    const rssIdle = await rssBytes(airlock.process.pid);

    log(`scale: opening ${options.held} sessions and holding DROP TABLE ${HOLD_TABLE_PREFIX}<n> in each`);
    t0 = performance.now();
    const heldAnswers: Array<Promise<QueryOutcome>> = [];
    let noticed = 0;
    let allNoticed: () => void = () => undefined;
    const noticedAll = new Promise<void>((resolve) => (allNoticed = resolve));
    await inBatches(options.held, options.concurrency, async (i) => {
      const c = await WireClient.open(connectOptions);
      clients.push(c);
      let first = true;
      const answer = c.query(`DROP TABLE ${HOLD_TABLE_PREFIX}${i}`, () => {
        if (!first) return;
        first = false;
        if (++noticed === options.held) allNoticed();
      });
      // A hold that is refused at once answers without a notice: count it so the wait ends.
      answer.then(
        (outcome) => {
          if (first && outcome.error) errors.push(`held statement ${i} answered at once: ${outcome.error.code} ${outcome.error.message}`);
        },
        (err: unknown) => errors.push(`held statement ${i}: ${String(err)}`),
      );
      heldAnswers.push(answer);
    });
    await Promise.race([noticedAll, deadline(120_000)]);
    const heldSec = (performance.now() - t0) / 1000;
    if (noticed < options.held) errors.push(`only ${noticed} of ${options.held} statements reported being held`);
    await sleep(2000);
    const rssHeld = await rssBytes(airlock.process.pid);

    log(`scale: observing the event loop for ${options.observeSec}s while ${options.idle + options.held} sessions wait`);
    await eventLoopSample(airlock.controlUrl); // resets the histogram: readings from here on cover the waiting period only
    const readings: EventLoopSample[] = [];
    const probe = await WireClient.open(connectOptions);
    clients.push(probe);
    const probeLatencies: number[] = [];
    const until = Date.now() + options.observeSec * 1000;
    let nextReading = Date.now() + 1000;
    while (Date.now() < until) {
      const s = performance.now();
      const r = await probe.query('SELECT 1');
      probeLatencies.push(performance.now() - s);
      if (r.error) errors.push(`probe: ${r.error.code}`);
      if (Date.now() >= nextReading) {
        readings.push(await eventLoopSample(airlock.controlUrl));
        nextReading += 1000;
      }
      await sleep(20);
    }

    log('scale: denying every held request over the control API');
    t0 = performance.now();
    const headers = { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' };
    const list = (await (await fetch(`${airlock.controlUrl}/v1/approvals?status=pending`, { headers })).json()) as { approvals?: Array<{ id: string }> };
    const ids = (list.approvals ?? []).map((a) => a.id);
    await inBatches(ids.length, 16, async (i) => {
      const response = await fetch(`${airlock.controlUrl}/v1/approvals/${ids[i]}/deny`, { method: 'POST', headers, body: JSON.stringify({ reason: 'benchmark over' }) });
      if (!response.ok) errors.push(`deny ${ids[i]}: HTTP ${response.status} ${await response.text()}`);
    });
    const outcomes = await Promise.race([Promise.allSettled(heldAnswers), deadline(60_000)]);
    const denySec = (performance.now() - t0) / 1000;
    const codes: Record<string, number> = {};
    let answered = 0;
    for (const o of outcomes ?? []) {
      const code = o.status === 'fulfilled' ? (o.value.error?.code ?? 'ok') : 'connection-error';
      codes[code] = (codes[code] ?? 0) + 1;
      answered++;
    }

    for (const c of clients) c.close();
    clients.length = 0;
    await sleep(3000);
    const rssClosed = await rssBytes(airlock.process.pid);

    const p99s = readings.map((r) => r.p99Ms);
    const p99Max = p99s.length ? Math.max(...p99s) : Number.NaN;
    return {
      idle: options.idle,
      held: options.held,
      upstream: `PgBouncer transaction pool (${PGBOUNCER_TX_DATABASE}) -> PostgreSQL`,
      rssMiB: { ready: rssReady / MiB, idle: rssIdle / MiB, idleAndHeld: rssHeld / MiB, afterClose: rssClosed / MiB },
      perIdleSessionKiB: (rssIdle - rssReady) / 1024 / options.idle,
      perHeldStatementKiB: (rssHeld - rssIdle) / 1024 / options.held,
      connectSec: { idle: idleSec, held: heldSec },
      eventLoop: {
        resolutionMs: EVENT_LOOP_RESOLUTION_MS,
        readings,
        p99RawMaxMs: p99Max,
        p99RawMedianMs: p99s.length ? percentile(p99s, 50) : Number.NaN,
        p99DelayMs: Math.max(0, p99Max - EVENT_LOOP_RESOLUTION_MS),
      },
      probe: { queries: probeLatencies.length, p50Ms: percentile(probeLatencies, 50), p99Ms: percentile(probeLatencies, 99), maxMs: Math.max(...probeLatencies) },
      deny: { requests: ids.length, seconds: denySec, clientsAnswered: answered, codes },
      errors: errors.slice(0, 20),
    };
  } finally {
    for (const c of clients) c.close();
    await airlock.stop();
  }
}

