import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { RevokedError } from '../../../src/errors.js';
import type { HoldNotice } from '../../../src/gate/hold-notice.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { waitFor } from '../../support/services.js';
import { act, authRequest, FakeSession, person, startReplica } from './risk-fixtures.js';

const alice = person('alice', ['dev'], { deviceId: 'laptop-1', tokenId: 'jti-1' });
const bob = person('bob', ['dev'], { deviceId: 'laptop-2', tokenId: 'jti-2' });

describe('revocations', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function twoReplicas() {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const a = await startReplica({ clock, store, name: 'a' });
    const b = await startReplica({ clock, store, name: 'b' });
    a.verify = async () => alice;
    b.verify = async () => alice;
    cleanups.push(async () => {
      await a.stop();
      await b.stop();
      await store.close();
    });
    return { clock, store, a, b };
  }

  it('ends the principal’s live sessions on another replica within 1 s and refuses the next authenticate', async () => {
    const { a, b } = await twoReplicas();
    const onB = new FakeSession('b-1', alice);
    const bobOnB = new FakeSession('b-2', bob);
    const onA = new FakeSession('a-1', alice);
    b.sessions.register(onB);
    b.sessions.register(bobOnB);
    a.sessions.register(onA);

    const started = Date.now();
    const revocation = await a.revocations.revoke({ kind: 'subject', id: 'alice', reason: 'laptop stolen', by: 'admin' });
    await waitFor(() => onB.terminated.length > 0, 1000, 'session on replica b to end');
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(onB.terminated, ['access revoked: laptop stolen']);
    assert.deepEqual(onA.terminated, ['access revoked: laptop stolen'], 'the revoking replica ends its own sessions exactly once');
    assert.deepEqual(bobOnB.terminated, []);
    assert.equal(b.sessions.size, 1);
    assert.equal(revocation.expiresAt - revocation.at, 30 * 86_400_000, 'default ttl is risk.revocation_ttl');

    const added = a.eventsOf('revocation.added');
    assert.equal(added.length, 1);
    assert.equal(added[0]?.subject, 'alice');
    assert.equal(added[0]?.reason, 'laptop stolen');
    assert.deepEqual(added[0]?.rules, ['revocation:subject']);
    const endedOnB = b.eventsOf('session.terminated');
    assert.equal(endedOnB.length, 1);
    assert.equal(endedOnB[0]?.sessionId, 'b-1');
    assert.equal(endedOnB[0]?.reason, 'access revoked: laptop stolen');
    assert.equal(a.eventsOf('session.terminated').length, 1);

    await assert.rejects(b.gate.authenticate(authRequest('10.1.2.3', 'b-3')), (err: unknown) => {
      assert.ok(err instanceof RevokedError);
      assert.equal(err.message, 'access revoked for alice: laptop stolen');
      return true;
    });
    const failure = b.eventsOf('auth.failure').at(-1);
    assert.equal(failure?.reason, 'AIRLOCK_REVOKED');
  });

  it('denies the revoked principal’s pending requests', async () => {
    const { a, b } = await twoReplicas();
    let notice: HoldNotice | null = null;
    const held = b.gate.check(act(alice, 'high', { sessionId: 'b-1' }), {
      onHold: (n) => {
        notice = n;
      },
    });
    await waitFor(() => notice !== null, 2000, 'the request to be held');
    await a.revocations.revoke({ kind: 'subject', id: 'alice', reason: 'compromised', by: 'admin' });
    const verdict = await held;
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.reason, 'access revoked: compromised');
    const record = await a.broker.get((notice as unknown as HoldNotice).approvalId);
    assert.equal(record?.status, 'denied');
  });

  it('revokes a device or one token, lists, lifts and expires', async () => {
    const { clock, a, b } = await twoReplicas();
    const byDevice = new FakeSession('b-1', alice);
    b.sessions.register(byDevice);
    await a.revocations.revoke({ kind: 'device', id: 'laptop-1', reason: 'lost', by: 'admin', ttlMs: 3_600_000 });
    await waitFor(() => byDevice.terminated.length === 1, 1000);
    await assert.rejects(b.gate.authenticate(authRequest('10.1.2.3')), /access revoked for device laptop-1: lost/);

    await a.revocations.revoke({ kind: 'token', id: 'jti-2', reason: 'leaked in a log', by: 'admin' });
    b.verify = async () => bob;
    await assert.rejects(b.gate.authenticate(authRequest('10.1.2.3')), /access revoked for token jti-2: leaked in a log/);

    const listed = await b.revocations.list();
    assert.deepEqual(
      listed.map((r) => `${r.kind}:${r.id}`).sort(),
      ['device:laptop-1', 'token:jti-2'],
    );

    assert.equal(await a.revocations.lift({ kind: 'token', id: 'jti-2', by: 'admin' }), true);
    assert.equal(await a.revocations.lift({ kind: 'token', id: 'jti-2', by: 'admin' }), false);
    assert.equal((await b.gate.authenticate(authRequest('10.1.2.3'))).subject, 'bob');
    const lifted = a.eventsOf('revocation.lifted');
    assert.equal(lifted.length, 1);
    assert.deepEqual(lifted[0]?.data, { kind: 'token', id: 'jti-2', by: 'admin' });

    b.verify = async () => alice;
    clock.advance(3_600_000);
    assert.equal((await b.gate.authenticate(authRequest('10.1.2.3'))).subject, 'alice', 'the device revocation expired');
    assert.deepEqual(await b.revocations.list(), []);
  });

  it('re-checks live sessions so one that slipped past a revocation still ends', async () => {
    const { a, b } = await twoReplicas();
    await a.revocations.revoke({ kind: 'subject', id: 'alice', reason: 'offboarded', by: 'admin' });
    const late = new FakeSession('b-9', alice); // registered after the message went by
    b.sessions.register(late);
    assert.equal(await b.revocations.reconcile(), 1);
    assert.deepEqual(late.terminated, ['access revoked: offboarded']);
    assert.equal(await b.revocations.reconcile(), 0);
  });

  it('refuses misuse with a TypeError', async () => {
    const { a } = await twoReplicas();
    await assert.rejects(a.revocations.revoke({ kind: 'group' as 'subject', id: 'x', reason: 'r', by: 'admin' }), TypeError);
    await assert.rejects(a.revocations.revoke({ kind: 'subject', id: '', reason: 'r', by: 'admin' }), TypeError);
    await assert.rejects(a.revocations.revoke({ kind: 'subject', id: 'x', reason: ' ', by: 'admin' }), TypeError);
    await assert.rejects(a.revocations.revoke({ kind: 'subject', id: 'x', reason: 'r', by: 'admin', ttlMs: 0 }), TypeError);
  });
});
