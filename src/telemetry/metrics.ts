// Prometheus metrics. One Registry per instance (never prom-client's global
// one), so two replicas can live in one process in tests. The Gate calls
// verdict() on every statement: a plain-number tally (label-tally.ts) read at
// scrape time. holdStarted/holdEnded use cached `.labels(...)` children.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AirlockEvent, EventBus } from '../audit/events.js';
import type { GateMetrics } from '../gate/gate-metrics.js';
import { LabelTally } from './label-tally.js';

/** Decision latency buckets: 10 ms to 30 min. */
export const DECISION_LATENCY_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800];

export interface MetricsOptions {
  /** Default process metrics (CPU, memory, event loop, GC); on unless false. */
  readonly processMetrics?: boolean;
  /** Extra labels on every series (e.g. `{ replica }`). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

interface Incrementer {
  inc(value?: number): void;
}

export interface AirlockMetrics extends GateMetrics {
  readonly registry: Registry;
  verdict(protocol: string, requirement: string, outcome: 'allow' | 'deny', path: string): void;
  holdStarted(): void;
  holdEnded(requirement: string, seconds: number): void;
  auth(protocol: string, result: 'success' | 'failure'): void;
  mfa(result: string): void;
  /** `count` store errors of one operation (a rate-limited store.error event stands for several). */
  storeError(operation: string, count?: number): void;
  notifyFailure(channel: string): void;
  revocation(): void;
  /** An upstream role that is a superuser or reaches the host's files or programs (1 per target and role). */
  privilegedUpstream(protocol: string, target: string, user: string): void;
  /** Counts live sessions by protocol at each scrape (e.g. `() => sessions.list()`). */
  observeSessions(source: () => Iterable<{ readonly protocol: string }>): void;
  /** Counts of the HTTP proxy (requests, refused, held, forwarded, upstreamErrors), read at each scrape. */
  observeHttpProxy(source: () => Readonly<Record<string, number>>): void;
  /** The exposition text for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(options: MetricsOptions = {}): AirlockMetrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const verdictTally = new LabelTally(['protocol', 'requirement', 'outcome', 'path'] as const);
  new Counter({
    name: 'airlock_verdicts_total',
    help: 'Gate verdicts by protocol, requirement, outcome and how they were reached.',
    labelNames: ['protocol', 'requirement', 'outcome', 'path'] as const,
    registers: [registry],
    collect() {
      // Totals only grow, so resetting and setting them again keeps the counter monotonic.
      this.reset();
      for (const { labels, count } of verdictTally.totals()) this.inc(labels, count);
    },
  });
  const held = new Gauge({ name: 'airlock_held_actions', help: 'Actions currently held waiting for step-up or approval.', registers: [registry] });
  const latency = new Histogram({
    name: 'airlock_decision_latency_seconds',
    help: 'Time from holding an action to its verdict, by requirement.',
    labelNames: ['requirement'] as const,
    buckets: [...DECISION_LATENCY_BUCKETS],
    registers: [registry],
  });
  const auth = new Counter({ name: 'airlock_auth_total', help: 'Client authentications by protocol and result.', labelNames: ['protocol', 'result'] as const, registers: [registry] });
  const mfa = new Counter({ name: 'airlock_mfa_total', help: 'Second factor checks by result (success, failure, replay, rate_limited).', labelNames: ['result'] as const, registers: [registry] });
  const storeErrors = new Counter({ name: 'airlock_store_errors_total', help: 'Approval store errors by operation.', labelNames: ['operation'] as const, registers: [registry] });
  const notifyFailures = new Counter({ name: 'airlock_notify_failures_total', help: 'Approval channel notification failures by channel.', labelNames: ['channel'] as const, registers: [registry] });
  const revocations = new Counter({ name: 'airlock_revocations_total', help: 'Revocations added.', registers: [registry] });
  const privileged = new Gauge({
    name: 'airlock_upstream_privileged',
    help: 'Upstream roles that are superusers or reach the host (pg_read_server_files, pg_write_server_files, pg_execute_server_program): 1 each.',
    labelNames: ['protocol', 'target', 'user'] as const,
    registers: [registry],
  });
  let sessionSource: (() => Iterable<{ readonly protocol: string }>) | null = null;
  new Gauge({
    name: 'airlock_sessions',
    help: 'Live client sessions by protocol.',
    labelNames: ['protocol'] as const,
    registers: [registry],
    collect() {
      if (!sessionSource) return;
      this.reset();
      const counts = new Map<string, number>();
      for (const session of sessionSource()) counts.set(session.protocol, (counts.get(session.protocol) ?? 0) + 1);
      for (const [protocol, count] of counts) this.set({ protocol }, count);
    },
  });

  let httpSource: (() => Readonly<Record<string, number>>) | null = null;
  new Counter({
    name: 'airlock_http_requests_total',
    help: 'HTTP proxy requests by what became of them: received (requests), refused as malformed or ambiguous (refused), held (held), forwarded upstream (forwarded), failed upstream (upstream_errors).',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      if (!httpSource) return;
      this.reset();
      for (const [key, count] of Object.entries(httpSource())) this.inc({ outcome: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) }, count);
    },
  });

  // Label values come from closed sets (protocols, requirements, paths, channels), so the caches stay small.
  const latencyChildren = new Map<string, { observe(value: number): void }>();
  const authChildren = new Map<string, Incrementer>();
  const simple = <L extends string>(counter: Counter<L>, label: L) => {
    const children = new Map<string, Incrementer>();
    return (value: string, count = 1): void => {
      let child = children.get(value);
      if (!child) {
        child = counter.labels({ [label]: value } as Record<L, string>);
        children.set(value, child);
      }
      child.inc(count);
    };
  };
  const mfaInc = simple(mfa, 'result');
  const storeInc = simple(storeErrors, 'operation');
  const notifyInc = simple(notifyFailures, 'channel');

  return {
    registry,
    verdict(protocol, requirement, outcome, path) {
      verdictTally.inc(protocol, requirement, outcome, path);
    },
    holdStarted() {
      held.inc();
    },
    holdEnded(requirement, seconds) {
      held.dec();
      let child = latencyChildren.get(requirement);
      if (!child) {
        child = latency.labels(requirement);
        latencyChildren.set(requirement, child);
      }
      child.observe(seconds);
    },
    auth(protocol, result) {
      const key = `${protocol}\0${result}`;
      let child = authChildren.get(key);
      if (!child) {
        child = auth.labels(protocol, result);
        authChildren.set(key, child);
      }
      child.inc();
    },
    mfa: mfaInc,
    storeError: storeInc,
    notifyFailure: notifyInc,
    revocation() {
      revocations.inc();
    },
    privilegedUpstream(protocol, target, user) {
      privileged.labels(protocol, target, user).set(1);
    },
    observeSessions(source) {
      sessionSource = source;
    },
    observeHttpProxy(source) {
      httpSource = source;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

const MFA_RESULTS: Partial<Record<AirlockEvent['type'], string>> = {
  'mfa.success': 'success',
  'mfa.failure': 'failure',
  'mfa.replay': 'replay',
  'mfa.rate_limited': 'rate_limited',
};

/**
 * Counts bus events. Verdicts and holds are not counted here: the Gate reports
 * them directly (and skips the verdict event for routine allows).
 */
export function attachMetrics(bus: EventBus, metrics: AirlockMetrics): () => void {
  return bus.on((event) => {
    switch (event.type) {
      case 'auth.success':
      case 'auth.failure':
        metrics.auth(event.protocol ?? 'unknown', event.type === 'auth.success' ? 'success' : 'failure');
        return;
      case 'mfa.success':
      case 'mfa.failure':
      case 'mfa.replay':
      case 'mfa.rate_limited':
        metrics.mfa(MFA_RESULTS[event.type] as string);
        return;
      case 'approval.notify_failed':
        metrics.notifyFailure(typeof event.data?.channel === 'string' ? event.data.channel : 'unknown');
        return;
      case 'revocation.added':
        metrics.revocation();
        return;
      case 'store.error':
        metrics.storeError(typeof event.data?.operation === 'string' ? event.data.operation : 'unknown', typeof event.data?.count === 'number' && event.data.count > 0 ? event.data.count : 1);
        return;
      default:
        return;
    }
  });
}
