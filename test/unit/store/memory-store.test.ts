import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreUnavailableError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { waitFor } from '../../support/services.js';
import { approvalRecord, runStoreSuite } from '../../support/store-suite.js';

runStoreSuite('memory', async () => {
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore({ clock });
  return { store, clock, cleanup: () => store.close() };
});

describe('MemoryStore specifics', () => {
  it('sweeps expired entries nobody reads', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemoryStore({ clock, sweepIntervalMs: 5 });
    await store.createApproval(approvalRecord(), 100);
    await store.setValue('k', 'v', { ttlMs: 100 });
    clock.advance(200);
    // Reach into the maps only to prove the sweep ran (nothing public reveals it).
    const internals = store as unknown as { approvals: Map<string, unknown>; strings: Map<string, unknown> };
    await waitFor(() => internals.approvals.size === 0 && internals.strings.size === 0, 2000, 'sweep');
    await store.close();
  });

  it('rejects with StoreUnavailableError after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.getValue('k'), (err: unknown) => (err as StoreUnavailableError).code === 'AIRLOCK_STORE_UNAVAILABLE');
  });
});
