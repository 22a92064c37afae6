import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AirlockEvent, EventBus } from '../../../src/audit/events.js';
import { StoreErrorReporter } from '../../../src/store/store-error-reporter.js';
import { createMetrics, attachMetrics } from '../../../src/telemetry/metrics.js';
import { ManualClock } from '../../../src/time/clock.js';
import { waitFor } from '../../support/services.js';

describe('store errors: events, audit and metric', () => {
  it('emits at most one store.error per operation per interval, counts every error, and flushes the rest', async () => {
    const bus = new EventBus();
    const events: AirlockEvent[] = [];
    bus.on((e) => events.push(e));
    const metrics = createMetrics({ processMetrics: false });
    attachMetrics(bus, metrics);
    const clock = new ManualClock();
    const reporter = new StoreErrorReporter(bus, clock, 50);
    for (let i = 0; i < 100; i++) reporter.report('getApproval', new Error('connection is closed'));
    reporter.report('transitionApproval', new Error('timeout'));
    assert.deepEqual(
      events.map((e) => [e.data?.['operation'], e.data?.['count']]),
      [
        ['getApproval', 1],
        ['transitionApproval', 1],
      ],
    );
    assert.equal(events[0]?.reason, 'connection is closed');
    // The 99 suppressed ones arrive when the interval ends, as one event.
    await waitFor(() => events.length === 3, 2000, 'the flush');
    assert.deepEqual([events[2]?.data?.['operation'], events[2]?.data?.['count']], ['getApproval', 99]);
    const { body } = await metrics.render();
    assert.match(body, /airlock_store_errors_total\{operation="getApproval"\} 100/);
    assert.match(body, /airlock_store_errors_total\{operation="transitionApproval"\} 1/);
    reporter.report('getApproval', new Error('again'));
    reporter.close();
    assert.equal(events.at(-1)?.data?.['count'], 1);
  });
});
