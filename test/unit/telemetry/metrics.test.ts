import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../../src/audit/events.js';
import { attachMetrics, createMetrics } from '../../../src/telemetry/metrics.js';

function line(body: string, series: string): number | undefined {
  const found = body.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

describe('metrics', () => {
  it('counts verdicts, holds and decision latency as the Gate reports them', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.verdict('postgres', 'allow', 'allow', 'policy');
    metrics.verdict('postgres', 'allow', 'allow', 'policy');
    metrics.verdict('http', 'approval', 'deny', 'timeout');
    metrics.holdStarted();
    metrics.holdStarted();
    metrics.holdEnded('step_up', 0.02);
    const { contentType, body } = await metrics.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(body, /# TYPE airlock_verdicts_total counter/);
    assert.equal(line(body, 'airlock_verdicts_total{protocol="postgres",requirement="allow",outcome="allow",path="policy"}'), 2);
    assert.equal(line(body, 'airlock_verdicts_total{protocol="http",requirement="approval",outcome="deny",path="timeout"}'), 1);
    assert.equal(line(body, 'airlock_held_actions'), 1);
    assert.equal(line(body, 'airlock_decision_latency_seconds_bucket{le="0.01",requirement="step_up"}'), 0);
    assert.equal(line(body, 'airlock_decision_latency_seconds_bucket{le="0.025",requirement="step_up"}'), 1);
    assert.equal(line(body, 'airlock_decision_latency_seconds_bucket{le="1800",requirement="step_up"}'), 1);
    assert.equal(line(body, 'airlock_decision_latency_seconds_count{requirement="step_up"}'), 1);
  });

  it('keeps verdict counts monotonic across scrapes, with the default labels', async () => {
    const metrics = createMetrics({ processMetrics: false, defaultLabels: { replica: 'a' } });
    const series = 'airlock_verdicts_total{protocol="postgres",requirement="allow",outcome="allow",path="policy",replica="a"}';
    for (let i = 0; i < 3; i++) metrics.verdict('postgres', 'allow', 'allow', 'policy');
    assert.equal(line((await metrics.render()).body, series), 3);
    assert.equal(line((await metrics.render()).body, series), 3, 'a scrape does not count twice');
    metrics.verdict('postgres', 'allow', 'allow', 'policy');
    metrics.verdict('postgres', 'step_up', 'deny', 'policy');
    const { body } = await metrics.render();
    assert.equal(line(body, series), 4);
    assert.equal(line(body, 'airlock_verdicts_total{protocol="postgres",requirement="step_up",outcome="deny",path="policy",replica="a"}'), 1);
  });

  it('maps bus events to counters and does not count verdict events twice', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const bus = new EventBus();
    const detach = attachMetrics(bus, metrics);
    bus.emit({ type: 'auth.success', at: 0, protocol: 'postgres' });
    bus.emit({ type: 'auth.failure', at: 0, protocol: 'postgres', reason: 'expired' });
    bus.emit({ type: 'auth.failure', at: 0, protocol: 'postgres', reason: 'expired' });
    bus.emit({ type: 'mfa.success', at: 0 });
    bus.emit({ type: 'mfa.failure', at: 0 });
    bus.emit({ type: 'mfa.replay', at: 0 });
    bus.emit({ type: 'mfa.rate_limited', at: 0 });
    bus.emit({ type: 'approval.notify_failed', at: 0, data: { channel: 'slack' } });
    bus.emit({ type: 'revocation.added', at: 0, subject: 'mallory' });
    bus.emit({ type: 'store.error', at: 0, data: { operation: 'putApproval' } });
    bus.emit({ type: 'verdict', at: 0, protocol: 'postgres', data: { allowed: true } });
    detach();
    bus.emit({ type: 'revocation.added', at: 0 });
    const { body } = await metrics.render();
    assert.equal(line(body, 'airlock_auth_total{protocol="postgres",result="success"}'), 1);
    assert.equal(line(body, 'airlock_auth_total{protocol="postgres",result="failure"}'), 2);
    for (const result of ['success', 'failure', 'replay', 'rate_limited']) assert.equal(line(body, `airlock_mfa_total{result="${result}"}`), 1);
    assert.equal(line(body, 'airlock_notify_failures_total{channel="slack"}'), 1);
    assert.equal(line(body, 'airlock_revocations_total'), 1);
    assert.equal(line(body, 'airlock_store_errors_total{operation="putApproval"}'), 1);
    assert.ok(!body.includes('airlock_verdicts_total{'), 'verdicts come from the Gate, not the bus');
  });

  it('reports live sessions by protocol at scrape time', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const sessions = [{ protocol: 'postgres' }, { protocol: 'postgres' }, { protocol: 'shell' }];
    metrics.observeSessions(() => sessions);
    let body = (await metrics.render()).body;
    assert.equal(line(body, 'airlock_sessions{protocol="postgres"}'), 2);
    assert.equal(line(body, 'airlock_sessions{protocol="shell"}'), 1);
    sessions.splice(0, 3, { protocol: 'http' });
    body = (await metrics.render()).body;
    assert.equal(line(body, 'airlock_sessions{protocol="postgres"}'), undefined);
    assert.equal(line(body, 'airlock_sessions{protocol="http"}'), 1);
  });

  it('keeps two instances apart and includes process metrics in their own registry', async () => {
    const a = createMetrics({ defaultLabels: { replica: 'a' } });
    const b = createMetrics({ defaultLabels: { replica: 'b' } });
    a.revocation();
    const bodyA = (await a.render()).body;
    const bodyB = (await b.render()).body;
    assert.equal(line(bodyA, 'airlock_revocations_total{replica="a"}'), 1);
    assert.equal(line(bodyB, 'airlock_revocations_total{replica="b"}'), 0);
    assert.match(bodyA, /^process_cpu_user_seconds_total\{replica="a"\} /m);
    assert.match(bodyB, /^nodejs_eventloop_lag_seconds\{replica="b"\} /m);
  });
});
