import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { NO_RISK_SIGNALS } from '../../../src/policy/risk-assessor.js';
import { RiskSignals } from '../../../src/risk/risk-signals.js';
import { sourceNetwork } from '../../../src/risk/source-network.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { silentLogger } from '../../support/core-fixtures.js';
import { act, authRequest, person, startReplica, type Replica } from './risk-fixtures.js';

const alice = person('alice', ['dev']);

function mfaFailure(r: Replica, clock: ManualClock, subject = 'alice'): void {
  r.bus.emit({ type: 'mfa.failure', at: clock.now(), subject, source: '10.1.2.3', reason: 'invalid' });
}

describe('risk signals', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(yaml?: string) {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const r = await startReplica({ clock, store, ...(yaml ? { yaml } : {}) });
    cleanups.push(async () => {
      await r.stop();
      await store.close();
    });
    return { clock, store, r };
  }

  it('answers with the shared NO_RISK_SIGNALS object when nothing applies', async () => {
    const { r } = await setup();
    assert.equal(await r.signals.assess(act(alice, 'low')), NO_RISK_SIGNALS);
    // answered at once, with the very same object: nothing allocated per statement
    assert.equal(r.signals.assessNow(act(alice, 'low')), NO_RISK_SIGNALS);
    assert.equal(r.signals.assessNow(act(person('bob'), 'high')), NO_RISK_SIGNALS);
  });

  it('never touches the store per statement, even while raised', async () => {
    const { clock, store, r } = await setup();
    for (let i = 0; i < 3; i++) mfaFailure(r, clock);
    await r.settled();
    let calls = 0;
    for (const name of ['getValue', 'countEvents', 'setMembers', 'hitCounter'] as const) {
      const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls++;
        return original(...args);
      };
    }
    const raised = act(alice, 'low');
    const first = r.signals.assessNow(raised);
    for (let i = 0; i < 1000; i++) assert.equal(r.signals.assessNow(raised), first, 'the same prebuilt answer, at once');
    assert.equal(await r.signals.assess(raised), first);
    assert.equal(calls, 0);
    assert.equal(first?.raise, 1);
  });

  it('raises the next action after 3 MFA failures, says why, emits risk.raised once, and decays', async () => {
    const { clock, r } = await setup();
    const before = await r.gate.check(act(alice, 'low'));
    assert.equal(before.allowed, true);
    assert.equal(before.requirement, 'allow');

    mfaFailure(r, clock);
    clock.advance(60_000);
    mfaFailure(r, clock);
    await r.settled();
    assert.equal((await r.gate.check(act(alice, 'low'))).requirement, 'allow', 'two failures are below the threshold');

    mfaFailure(r, clock);
    await r.settled();
    const signals = await r.signals.assess(act(alice, 'low'));
    assert.deepEqual(signals.rules, ['signal:mfa_failures']);
    assert.deepEqual(signals.reasons, ['3 MFA failures in 10m for alice']);
    assert.equal(signals.raise, 1);
    assert.equal(signals.forceRevalidation, true);

    const raised = await r.gate.check(act(alice, 'low'));
    assert.equal(raised.allowed, false);
    assert.equal(raised.requirement, 'step_up');
    assert.ok(raised.rules.includes('signal:mfa_failures'), raised.rules.join(','));
    assert.equal((await r.gate.check(act(person('bob'), 'low'))).requirement, 'allow', 'only alice is affected');

    mfaFailure(r, clock); // a fourth failure extends the episode without a second event
    await r.settled();
    const events = r.eventsOf('risk.raised');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.subject, 'alice');
    assert.deepEqual(events[0]?.rules, ['signal:mfa_failures']);
    assert.equal(events[0]?.reason, '3 MFA failures in 10m for alice');

    clock.advance(30 * 60_000 - 1);
    assert.equal((await r.gate.check(act(alice, 'low'))).requirement, 'step_up', 'still raised just before raise_for ends');
    clock.advance(1);
    const decayed = await r.gate.check(act(alice, 'low'));
    assert.equal(decayed.requirement, 'allow');
    assert.equal(await r.signals.assess(act(alice, 'low')), NO_RISK_SIGNALS);
  });

  it('counts failures in a sliding window: old ones do not add up', async () => {
    const { clock, r } = await setup();
    mfaFailure(r, clock);
    mfaFailure(r, clock);
    clock.advance(10 * 60_000 + 1);
    mfaFailure(r, clock);
    await r.settled();
    assert.equal(await r.signals.assess(act(alice, 'low')), NO_RISK_SIGNALS);
  });

  it('raises after 3 approval denials by people, not denials by the system', async () => {
    const { clock, r } = await setup();
    const denial = (by: string[]) =>
      r.bus.emit({ type: 'approval.resolved', at: clock.now(), subject: 'alice', approvalId: `a${Math.random()}`, reason: 'no', data: { status: 'denied', kind: 'approval', by } });
    denial(['airlock']);
    denial(['airlock']);
    denial(['airlock']);
    r.bus.emit({ type: 'approval.resolved', at: clock.now(), subject: 'alice', reason: 'ok', data: { status: 'approved', kind: 'approval', by: ['bob'] } });
    await r.settled();
    assert.equal(await r.signals.assess(act(alice, 'low')), NO_RISK_SIGNALS);
    denial(['bob']);
    denial(['carol']);
    denial(['bob']);
    await r.settled();
    const signals = await r.signals.assess(act(alice, 'low'));
    assert.deepEqual(signals.rules, ['signal:approval_denials']);
    assert.deepEqual(signals.reasons, ['3 approval denials in 1h for alice']);
    const event = r.eventsOf('risk.raised')[0];
    assert.deepEqual(event?.rules, ['signal:approval_denials']);
    clock.advance(60 * 60_000);
    assert.equal(await r.signals.assess(act(alice, 'low')), NO_RISK_SIGNALS);
  });

  it('treats a device seen for the first time as new: medium actions in that session go one level up', async () => {
    const { r } = await setup();
    const onLaptop = person('alice', ['dev'], { deviceId: 'laptop-1' });
    r.verify = async () => onLaptop;
    await r.gate.authenticate(authRequest('10.1.2.3', 's1'));
    // no settle: the first statement may race its own login
    const medium = await r.signals.assess(act(onLaptop, 'medium', { sessionId: 's1' }));
    assert.deepEqual(medium.rules, ['signal:new_device']);
    assert.equal(medium.raise, 1);
    assert.match(medium.reasons[0] ?? '', /new device laptop-1 for alice/);
    assert.equal(await r.signals.assess(act(onLaptop, 'low', { sessionId: 's1' })), NO_RISK_SIGNALS, 'only medium is raised');
    const verdict = await r.gate.check(act(onLaptop, 'medium', { sessionId: 's1', command: 'UPDATE t SET a = 1 WHERE id = 1' }), {
      signal: AbortSignal.abort(),
    });
    assert.ok(verdict.rules.includes('signal:new_device'));
    assert.equal(verdict.requirement, 'approval', 'medium (step_up by default) raised one level');

    const event = r.eventsOf('risk.raised').find((e) => e.rules?.includes('signal:new_device'));
    assert.equal(event?.deviceId, 'laptop-1');
    assert.equal(event?.sessionId, 's1');

    // remembered from now on: the next session from that device is ordinary
    await r.gate.authenticate(authRequest('10.1.2.3', 's2'));
    await r.settled();
    assert.equal(await r.signals.assess(act(onLaptop, 'medium', { sessionId: 's2' })), NO_RISK_SIGNALS);
    assert.equal(r.eventsOf('risk.raised').length, 1);

    // a verified second factor in the first session vouches for the device there too
    r.bus.emit({ type: 'stepup.granted', at: 0, subject: 'alice', sessionId: 's1', deviceId: 'laptop-1' });
    assert.equal(await r.signals.assess(act(onLaptop, 'medium', { sessionId: 's1' })), NO_RISK_SIGNALS);
  });

  it('shares raises with other replicas and with a replica that starts later', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const a = await startReplica({ clock, store, name: 'a' });
    const b = await startReplica({ clock, store, name: 'b' });
    cleanups.push(async () => {
      await a.stop();
      await b.stop();
      await store.close();
    });
    for (let i = 0; i < 3; i++) mfaFailure(a, clock);
    await a.settled();
    assert.deepEqual((await b.signals.assess(act(alice, 'low'))).rules, ['signal:mfa_failures'], 'replica b heard it on the risk topic');
    assert.equal(b.eventsOf('risk.raised').length, 0, 'only the replica that saw the failures reports the episode');

    const late = new RiskSignals({ store, bus: b.bus, clock, logger: silentLogger, config: b.config.risk });
    await late.start();
    cleanups.push(() => late.stop());
    assert.deepEqual((await late.assess(act(alice, 'low'))).rules, ['signal:mfa_failures']);
    clock.advance(30 * 60_000);
    assert.equal(await late.assess(act(alice, 'low')), NO_RISK_SIGNALS);
  });

  it('maps sources to networks: IPv4 /24, IPv6 /64, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(sourceNetwork('10.0.0.7', 24, 64), '10.0.0.0/24');
    assert.equal(sourceNetwork('::ffff:10.0.0.7', 24, 64), '10.0.0.0/24');
    assert.equal(sourceNetwork('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 24, 64), '2001:db8:1:2::/64');
    assert.equal(sourceNetwork('fe80::1%eth0', 24, 64), 'fe80::/64');
    assert.equal(sourceNetwork('10.9.8.7', 16, 64), '10.9.0.0/16');
    assert.equal(sourceNetwork('/var/run/sock', 24, 64), null);
  });
});
