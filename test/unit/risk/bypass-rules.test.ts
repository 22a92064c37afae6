import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Action } from '../../../src/model/action.js';
import type { Principal } from '../../../src/model/principal.js';
import type { PolicyDecision } from '../../../src/model/requirement.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { testConfig } from '../../support/core-fixtures.js';
import { act, MONDAY_9_UTC, person, startReplica, type Replica } from './risk-fixtures.js';

const oncall = (rateLimit = 3): string => `
approvals: { timeout: 5s }
risk:
  bypass:
    - id: oncall-laptops
      groups: [sre]
      devices: [laptop-1]
      networks: [10.1.0.0/16, "2001:db8::/32"]
      time: { days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00", timezone: Europe/Berlin }
      max_risk: medium
      revalidate_after: 8h
      rate_limit: ${rateLimit}
    - id: break-glass
      groups: [incident]
      skip_approval: true
      max_risk: high
`;

const sre = person('sre-sam', ['sre'], { deviceId: 'laptop-1' });

describe('bypass rules', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(rateLimit = 3): Promise<{ clock: ManualClock; r: Replica }> {
    const clock = new ManualClock(MONDAY_9_UTC); // 10:00 in Berlin
    const store = new MemoryStore({ clock });
    const r = await startReplica({ clock, store, yaml: oncall(rateLimit), withGrants: true });
    cleanups.push(async () => {
      await r.stop();
      await store.close();
    });
    return { clock, r };
  }

  async function verifiedStepUp(r: Replica, clock: ManualClock, who: Principal = sre): Promise<void> {
    r.bus.emit({ type: 'stepup.granted', at: clock.now(), subject: who.subject, sessionId: 'earlier' });
    await r.settled();
  }

  const find = (r: Replica, action: Action): Promise<string | null> => r.bypass.find(action, r.gate.evaluate(action) as PolicyDecision);

  it('lets step-up pass inside its conditions; the gate audits the use with the rule id', async () => {
    const { clock, r } = await setup();
    await verifiedStepUp(r, clock);
    const verdict = await r.gate.check(act(sre, 'medium'));
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.path, 'bypass');
    assert.ok(verdict.rules.includes('bypass:oncall-laptops'), verdict.rules.join(','));
    const used = r.eventsOf('bypass.used');
    assert.equal(used.length, 1);
    assert.ok(used[0]?.rules?.includes('oncall-laptops'));
    assert.equal(used[0]?.subject, 'sre-sam');
  });

  it('stops outside any one condition: group, device, network, time window, risk', async () => {
    const { clock, r } = await setup(100);
    await verifiedStepUp(r, clock);
    await verifiedStepUp(r, clock, person('dev-dana', ['dev'], { deviceId: 'laptop-1' }));
    assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops', 'control: inside every condition');
    assert.equal(await find(r, act(person('dev-dana', ['dev'], { deviceId: 'laptop-1' }), 'medium')), null, 'wrong group');
    assert.equal(await find(r, act(person('sre-sam', ['sre'], { deviceId: 'laptop-9' }), 'medium')), null, 'other device');
    assert.equal(await find(r, act(person('sre-sam', ['sre']), 'medium')), null, 'no device id');
    assert.equal(await find(r, act(sre, 'medium', { source: '10.2.0.1' })), null, 'other network');
    assert.equal(await find(r, act(sre, 'medium', { source: '::ffff:10.1.9.9' })), 'oncall-laptops', 'IPv4-mapped source inside the network');
    assert.equal(await find(r, act(sre, 'medium', { source: '2001:db8:5::1' })), 'oncall-laptops', 'IPv6 network');

    clock.set(Date.UTC(2026, 0, 5, 17, 0)); // 18:00 Berlin: the window has ended
    assert.equal(await find(r, act(sre, 'medium')), null, 'after hours');
    clock.set(Date.UTC(2026, 0, 5, 7, 59)); // 08:59 Berlin
    assert.equal(await find(r, act(sre, 'medium')), null, 'before hours');
    clock.set(Date.UTC(2026, 0, 5, 8, 0)); // 09:00 Berlin
    assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops');
    clock.set(Date.UTC(2026, 0, 4, 10, 0)); // Sunday
    await verifiedStepUp(r, clock);
    assert.equal(await find(r, act(sre, 'medium')), null, 'weekend');

    clock.set(MONDAY_9_UTC);
    await verifiedStepUp(r, clock);
    const high = act(sre, 'high');
    const asStepUp: PolicyDecision = { risk: 'high', requirement: { kind: 'step_up', timeoutMs: 1000 }, rules: ['r'], reasons: [] };
    assert.equal(await r.bypass.find(high, asStepUp), null, 'risk above max_risk');
  });

  it('never skips an approval unless the rule says skip_approval', async () => {
    const { clock, r } = await setup();
    const approval: PolicyDecision = { risk: 'high', requirement: { kind: 'approval', mode: 'all', quorums: [{ group: 'approvers', count: 1 }], timeoutMs: 1000, mfa: false }, rules: [], reasons: [] };
    const medApproval: PolicyDecision = { ...approval, risk: 'medium' };
    await verifiedStepUp(r, clock);
    assert.equal(await r.bypass.find(act(sre, 'medium'), medApproval), null, 'oncall-laptops does not skip approvals');
    const responder = person('ivy', ['incident']);
    await verifiedStepUp(r, clock, responder);
    assert.equal(await r.bypass.find(act(responder, 'high'), approval), 'break-glass');
    assert.equal(await r.bypass.find(act(responder, 'critical'), { ...approval, risk: 'critical' }), null, 'above max_risk');
  });

  it('forces revalidation: no bypass without a recent real step-up, or while a risk signal is raised', async () => {
    const { clock, r } = await setup(100);
    clock.set(Date.UTC(2026, 0, 5, 8, 0)); // 09:00 Berlin, so 8 hours later is still inside the window
    assert.equal(await find(r, act(sre, 'medium')), null, 'never verified');
    r.bus.emit({ type: 'mfa.success', at: clock.now(), subject: 'sre-sam', source: '10.1.2.3' });
    await r.settled();
    assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops', 'mfa.success counts as a verified second factor');
    clock.advance(8 * 3_600_000 - 1);
    assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops', 'still within revalidate_after');
    clock.advance(1);
    assert.equal(await find(r, act(sre, 'medium')), null, 'revalidation due');

    // a raised risk signal disables bypasses in the gate, even inside every condition
    clock.set(MONDAY_9_UTC);
    await verifiedStepUp(r, clock);
    for (let i = 0; i < 3; i++) r.bus.emit({ type: 'mfa.failure', at: clock.now(), subject: 'sre-sam', reason: 'invalid' });
    await r.settled();
    const verdict = await r.gate.check(act(sre, 'low'), { signal: AbortSignal.abort() });
    assert.notEqual(verdict.path, 'bypass');
    assert.equal(verdict.allowed, false);
    assert.equal(r.eventsOf('bypass.used').length, 0);
  });

  it('is rate limited per principal: over the limit it is refused and audited', async () => {
    const { clock, r } = await setup();
    await verifiedStepUp(r, clock);
    for (let i = 0; i < 3; i++) assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops');
    assert.equal(await find(r, act(sre, 'medium')), null);
    const refused = r.eventsOf('bypass.refused');
    assert.equal(refused.length, 1);
    assert.ok(refused[0]?.rules?.includes('oncall-laptops'));
    assert.match(refused[0]?.reason ?? '', /used more than 3 times in an hour by sre-sam/);
    clock.advance(3_600_000);
    await verifiedStepUp(r, clock);
    assert.equal(await find(r, act(sre, 'medium')), 'oncall-laptops', 'a new hour');
  });

  it('validates rules at load: CIDRs, time zones, times, and at least one condition', () => {
    assert.throws(() => testConfig('risk: { bypass: [ { id: x, groups: [a], networks: [10.0.0.0/33] } ] }'), (err: Error & { problems?: string[] }) =>
      (err.problems ?? []).some((p) => p.includes('expected a CIDR')),
    );
    assert.throws(() => testConfig('risk: { bypass: [ { id: x, groups: [a], time: { timezone: Mars/Olympus } } ] }'), (err: Error & { problems?: string[] }) =>
      (err.problems ?? []).some((p) => p.includes('unknown IANA time zone')),
    );
    assert.throws(() => testConfig('risk: { bypass: [ { id: x, groups: [a], time: { start: "25:00" } } ] }'), (err: Error & { problems?: string[] }) =>
      (err.problems ?? []).some((p) => p.includes('HH:MM')),
    );
    assert.throws(() => testConfig('risk: { bypass: [ { id: x } ] }'), (err: Error & { problems?: string[] }) =>
      (err.problems ?? []).some((p) => p.includes('at least one of groups, devices or networks')),
    );
  });
});
