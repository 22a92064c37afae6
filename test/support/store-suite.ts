import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ApprovalRecord, Resolution, Vote } from '../../src/model/approval-record.js';
import type { Store } from '../../src/store/store.js';
import type { ManualClock } from '../../src/time/clock.js';
import { waitFor } from './services.js';

export interface StoreFixture {
  store: Store;
  /** Present when the store runs on a manual clock; otherwise TTLs are real and short. */
  clock?: ManualClock;
  cleanup(): Promise<void>;
}

export function approvalRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    kind: 'approval',
    status: 'pending',
    createdAt: now,
    expiresAt: now + 60_000,
    requester: { subject: 'alice', groups: ['dev'] },
    action: {
      hash: 'h'.repeat(64),
      protocol: 'postgres',
      target: 'prod',
      sessionId: 's1',
      source: '10.0.0.1',
      command: 'DROP TABLE users',
      risk: 'critical',
      rules: ['drop'],
      facts: { kinds: ['drop'], objects: ['users'], flags: [] },
    },
    requirement: { kind: 'approval', mode: 'all', quorums: [{ group: 'dba', count: 2 }], timeoutMs: 60_000, mfa: false },
    eligible: '2 of dba',
    votes: [],
    replica: 'r1',
    ...overrides,
  };
}

export function vote(approver: string, decision: Vote['decision'] = 'approve'): Vote {
  return { approver, groups: ['dba'], decision, at: Date.now(), mfa: false, channel: 'cli' };
}

export function resolution(status: Resolution['status'], by: string[] = ['bob']): Resolution {
  return { status, at: Date.now(), by, reason: `${status} in test` };
}

/** A promise that resolves on the next call of the returned callback. */
function signal(): { fired: Promise<void>; fire: () => void; count: () => number } {
  let calls = 0;
  let resolve!: () => void;
  const fired = new Promise<void>((r) => (resolve = r));
  return { fired, fire: () => (calls++, resolve()), count: () => calls };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The behaviour every Store implementation must show. With a manual clock the
 * TTL tests advance it; without one they use short real TTLs and wait for
 * the expiry with a deadline.
 */
export function runStoreSuite(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store behaviour: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** Lets `ms` pass: on the manual clock at once, otherwise for real. */
    async function pass(ms: number): Promise<void> {
      if (fx.clock) fx.clock.advance(ms);
      else await sleep(ms);
    }
    /** A TTL short enough to wait for in real time, long enough not to expire mid-test. */
    const shortTtl = () => (fx.clock ? 1000 : 500);

    describe('approvals', () => {
      it('creates, gets and lists newest first', async () => {
        const older = approvalRecord({ createdAt: 1000 });
        const newer = approvalRecord({ createdAt: 2000 });
        await store.createApproval(older, 60_000);
        await store.createApproval(newer, 60_000);
        assert.deepEqual(await store.getApproval(older.id), older);
        assert.equal(await store.getApproval('no-such-id'), null);
        const ids = (await store.listApprovals()).map((r) => r.id);
        assert.deepEqual(ids.filter((id) => id === older.id || id === newer.id), [newer.id, older.id]);
      });

      it('lists open requests (pending, approved) apart from closed ones, newest first', async () => {
        const pending = approvalRecord({ createdAt: 1000 });
        const approved = approvalRecord({ createdAt: 2000 });
        const consumed = approvalRecord({ createdAt: 3000 });
        const denied = approvalRecord({ createdAt: 4000 });
        for (const r of [pending, approved, consumed, denied]) await store.createApproval(r, 60_000);
        await store.transitionApproval(approved.id, 'pending', 'approved', resolution('approved'));
        await store.transitionApproval(consumed.id, 'pending', 'approved', resolution('approved'));
        await store.transitionApproval(consumed.id, 'approved', 'consumed', resolution('consumed'));
        await store.transitionApproval(denied.id, 'pending', 'denied', resolution('denied'));
        const mine = new Set([pending.id, approved.id, consumed.id, denied.id]);
        const open = (await store.listOpenApprovals()).filter((r) => mine.has(r.id));
        assert.deepEqual(open.map((r) => [r.id, r.status]), [[approved.id, 'approved'], [pending.id, 'pending']]);
        // Closed requests stay listed among all until their retention ends.
        const all = (await store.listApprovals()).filter((r) => mine.has(r.id)).map((r) => r.status);
        assert.deepEqual(all, ['denied', 'consumed', 'approved', 'pending']);
      });

      it('hands out copies: mutating a returned record changes nothing stored', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const got = (await store.getApproval(record.id)) as unknown as { votes: Vote[]; status: string };
        got.votes.push(vote('mallory'));
        got.status = 'approved';
        const again = await store.getApproval(record.id);
        assert.equal(again?.status, 'pending');
        assert.equal(again?.votes.length, 0);
      });

      it('adds votes of distinct approvers and refuses a second vote by the same one', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const first = await store.addVote(record.id, vote('bob'));
        assert.equal(first.added, true);
        assert.deepEqual(first.record?.votes.map((v) => v.approver), ['bob']);
        const second = await store.addVote(record.id, vote('carol'));
        assert.equal(second.added, true);
        const dup = await store.addVote(record.id, vote('bob', 'deny'));
        assert.equal(dup.added, false);
        assert.deepEqual(dup.record?.votes.map((v) => [v.approver, v.decision]), [['bob', 'approve'], ['carol', 'approve']]);
        assert.deepEqual(await store.addVote('no-such-id', vote('bob')), { added: false, record: null });
      });

      it('of 50 concurrent votes by one approver exactly one is added', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const results = await Promise.all(Array.from({ length: 50 }, () => store.addVote(record.id, vote('bob'))));
        assert.equal(results.filter((r) => r.added).length, 1);
        assert.equal((await store.getApproval(record.id))?.votes.length, 1);
      });

      it('refuses votes once the request is not pending', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        assert.ok(await store.transitionApproval(record.id, 'pending', 'withdrawn', resolution('withdrawn', ['alice'])));
        const result = await store.addVote(record.id, vote('bob'));
        assert.equal(result.added, false);
        assert.equal(result.record?.status, 'withdrawn');
        assert.equal(result.record?.votes.length, 0);
      });

      it('transition is compare-and-set: the first wins, the second gets null', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const won = await store.transitionApproval(record.id, 'pending', 'approved', resolution('approved'));
        assert.equal(won?.status, 'approved');
        assert.equal(won?.resolution?.status, 'approved');
        assert.deepEqual(won?.resolution?.by, ['bob']);
        assert.equal(await store.transitionApproval(record.id, 'pending', 'denied', resolution('denied')), null);
        const stored = await store.getApproval(record.id);
        assert.equal(stored?.status, 'approved');
        assert.equal(stored?.resolution?.status, 'approved');
        assert.equal(await store.transitionApproval('no-such-id', 'pending', 'denied', resolution('denied')), null);
      });

      it('of 50 concurrent transitions from pending exactly one wins', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const outcomes = ['approved', 'denied', 'withdrawn', 'expired'] as const;
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => {
            const to = outcomes[i % outcomes.length] as (typeof outcomes)[number];
            return store.transitionApproval(record.id, 'pending', to, resolution(to, [`r${i}`]));
          }),
        );
        const winners = results.filter((r) => r !== null);
        assert.equal(winners.length, 1);
        const stored = await store.getApproval(record.id);
        assert.equal(stored?.status, winners[0]?.status);
        assert.deepEqual(stored?.resolution, winners[0]?.resolution);
      });

      it('approved -> consumed happens exactly once under 50 concurrent attempts', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        await store.transitionApproval(record.id, 'pending', 'approved', resolution('approved'));
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.transitionApproval(record.id, 'approved', 'consumed', resolution('consumed'))),
        );
        assert.equal(results.filter((r) => r !== null).length, 1);
        assert.equal((await store.getApproval(record.id))?.status, 'consumed');
      });

      it('watchApproval fires on a vote and on a transition, not after unsubscribe', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        let s = signal();
        const unsubscribe = await store.watchApproval(record.id, () => s.fire());
        await store.addVote(record.id, vote('bob'));
        await within(s.fired, 2000, 'change after vote');
        s = signal();
        await store.transitionApproval(record.id, 'pending', 'approved', resolution('approved'));
        await within(s.fired, 2000, 'change after transition');
        await unsubscribe();
        s = signal();
        // A second watcher proves the next change was delivered, so silence from the first means something.
        const sentinel = signal();
        const off = await store.watchApproval(record.id, () => sentinel.fire());
        await store.transitionApproval(record.id, 'approved', 'consumed', resolution('consumed'));
        await within(sentinel.fired, 2000, 'change seen by the remaining watcher');
        await off();
        assert.equal(s.count(), 0, 'an unsubscribed watcher was called');
      });

      it('watchApproval does not miss a change made right after it resolves', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        const s = signal();
        const unsubscribe = await store.watchApproval(record.id, () => s.fire());
        await store.transitionApproval(record.id, 'pending', 'denied', resolution('denied'));
        await within(s.fired, 2000, 'change made right after watch resolved');
        await unsubscribe();
      });

      it('a watcher sees the change already visible when it is called', async () => {
        const record = approvalRecord();
        await store.createApproval(record, 60_000);
        let seen: string | undefined;
        const s = signal();
        const unsubscribe = await store.watchApproval(record.id, () => {
          void store.getApproval(record.id).then((r) => {
            seen = r?.status;
            s.fire();
          });
        });
        await store.transitionApproval(record.id, 'pending', 'approved', resolution('approved'));
        await within(s.fired, 2000, 'watcher read');
        assert.equal(seen, 'approved');
        await unsubscribe();
      });

      it('an approval disappears after its TTL', async () => {
        const ttl = shortTtl();
        const record = approvalRecord();
        await store.createApproval(record, ttl);
        assert.ok(await store.getApproval(record.id));
        await pass(ttl + 10);
        await waitFor(async () => (await store.getApproval(record.id)) === null, 3000, 'approval expiry');
        assert.equal((await store.listApprovals()).some((r) => r.id === record.id), false);
        assert.equal((await store.listOpenApprovals()).some((r) => r.id === record.id), false);
        assert.deepEqual(await store.addVote(record.id, vote('bob')), { added: false, record: null });
        assert.equal(await store.transitionApproval(record.id, 'pending', 'approved', resolution('approved')), null);
      });
    });

    describe('values', () => {
      it('gets, sets, deletes, and honours ifAbsent', async () => {
        const key = `v:${randomUUID()}`;
        assert.equal(await store.getValue(key), null);
        assert.equal(await store.setValue(key, 'one'), true);
        assert.equal(await store.setValue(key, 'two', { ifAbsent: true }), false);
        assert.equal(await store.getValue(key), 'one');
        assert.equal(await store.setValue(key, 'three'), true);
        assert.equal(await store.getValue(key), 'three');
        await store.deleteValue(key);
        assert.equal(await store.getValue(key), null);
        assert.equal(await store.setValue(key, 'four', { ifAbsent: true }), true);
      });

      it('of 50 concurrent setValue ifAbsent exactly one succeeds', async () => {
        const key = `v:${randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.setValue(key, `v${i}`, { ifAbsent: true })));
        assert.equal(results.filter(Boolean).length, 1);
      });

      it('a value expires after its TTL, and ifAbsent succeeds again', async () => {
        const ttl = shortTtl();
        const key = `v:${randomUUID()}`;
        await store.setValue(key, 'x', { ttlMs: ttl });
        assert.equal(await store.getValue(key), 'x');
        await pass(ttl + 10);
        await waitFor(async () => (await store.getValue(key)) === null, 3000, 'value expiry');
        assert.equal(await store.setValue(key, 'y', { ifAbsent: true }), true);
      });

      it('raiseHighWater accepts only strictly greater values', async () => {
        const key = `hw:${randomUUID()}`;
        assert.equal(await store.raiseHighWater(key, 100, 60_000), true);
        assert.equal(await store.raiseHighWater(key, 100, 60_000), false);
        assert.equal(await store.raiseHighWater(key, 99, 60_000), false);
        assert.equal(await store.raiseHighWater(key, 101, 60_000), true);
        assert.equal(await store.raiseHighWater(key, 100, 60_000), false);
      });

      it('of 50 concurrent raises to the same value exactly one is accepted', async () => {
        const key = `hw:${randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 50 }, () => store.raiseHighWater(key, 7, 60_000)));
        assert.equal(results.filter(Boolean).length, 1);
      });

      it('a high-water mark is forgotten after its TTL', async () => {
        const ttl = shortTtl();
        const key = `hw:${randomUUID()}`;
        assert.equal(await store.raiseHighWater(key, 5, ttl), true);
        await pass(ttl + 10);
        await waitFor(async () => await store.raiseHighWater(key, 5, ttl), 3000, 'high-water expiry');
      });

      it('hitCounter counts within a fixed window and restarts after it', async () => {
        const window = shortTtl();
        const key = `c:${randomUUID()}`;
        assert.equal(await store.hitCounter(key, window), 1);
        assert.equal(await store.hitCounter(key, window), 2);
        assert.equal(await store.hitCounter(key, window), 3);
        await pass(window + 50);
        assert.equal(await store.hitCounter(key, window), 1);
      });

      it('of 50 concurrent hits each count is returned once', async () => {
        const key = `c:${randomUUID()}`;
        const counts = await Promise.all(Array.from({ length: 50 }, () => store.hitCounter(key, 60_000)));
        assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      });

      it('recordEvent/countEvents count a sliding window, including equal timestamps', async () => {
        const key = `e:${randomUUID()}`;
        const t0 = Date.now();
        for (const at of [t0 - 5000, t0 - 3000, t0 - 1000, t0 - 1000, t0]) await store.recordEvent(key, at, 60_000);
        assert.equal(await store.countEvents(key, t0 - 10_000), 5);
        assert.equal(await store.countEvents(key, t0 - 3000), 4);
        assert.equal(await store.countEvents(key, t0 - 999), 1);
        assert.equal(await store.countEvents(key, t0 + 1), 0);
        assert.equal(await store.countEvents(`e:${randomUUID()}`, 0), 0);
      });

      it('events vanish when their key expires', async () => {
        const ttl = shortTtl();
        const key = `e:${randomUUID()}`;
        await store.recordEvent(key, Date.now(), ttl);
        assert.equal(await store.countEvents(key, 0), 1);
        await pass(ttl + 10);
        await waitFor(async () => (await store.countEvents(key, 0)) === 0, 3000, 'event expiry');
      });

      it('sets add, remove and list members without duplicates', async () => {
        const key = `s:${randomUUID()}`;
        assert.deepEqual(await store.setMembers(key), []);
        await store.addToSet(key, 'a');
        await store.addToSet(key, 'b');
        await store.addToSet(key, 'a');
        assert.deepEqual((await store.setMembers(key)).sort(), ['a', 'b']);
        await store.removeFromSet(key, 'a');
        await store.removeFromSet(key, 'zzz');
        assert.deepEqual(await store.setMembers(key), ['b']);
      });
    });

    describe('publish/subscribe', () => {
      it('delivers to every subscriber of the topic and stops after unsubscribe', async () => {
        const topic = `t:${randomUUID()}`;
        const a: string[] = [];
        const b: string[] = [];
        const other: string[] = [];
        const offA = await store.subscribe(topic, (m) => a.push(m));
        const offB = await store.subscribe(topic, (m) => b.push(m));
        const offOther = await store.subscribe(`${topic}:other`, (m) => other.push(m));
        await store.publish(topic, 'one');
        await waitFor(() => a.length === 1 && b.length === 1, 2000, 'both subscribers');
        await offA();
        await store.publish(topic, 'two');
        await waitFor(() => b.length === 2, 2000, 'remaining subscriber');
        // Ordering per connection means "two" reached A's side too had it still listened.
        assert.deepEqual(a, ['one']);
        assert.deepEqual(b, ['one', 'two']);
        assert.deepEqual(other, []);
        await offB();
        await offOther();
      });

      it('ping resolves while the store is usable', async () => {
        await store.ping();
      });
    });
  });
}
