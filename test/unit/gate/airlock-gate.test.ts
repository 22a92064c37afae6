import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AirlockEvent } from '../../../src/audit/events.js';
import { StoreUnavailableError, TokenInvalidError } from '../../../src/errors.js';
import { AirlockGate } from '../../../src/gate/airlock-gate.js';
import type { HoldNotice } from '../../../src/gate/hold-notice.js';
import type { Principal } from '../../../src/model/principal.js';
import { PolicyEngine } from '../../../src/policy/policy-engine.js';
import { NO_RISK_SIGNALS, type RiskAssessor } from '../../../src/policy/risk-assessor.js';
import { createAction, type Action, type ActionInput } from '../../../src/model/action.js';
import { waitFor } from '../../support/services.js';
import { action, coreHarness, principal, silentLogger, testConfig, type CoreHarness } from '../../support/core-fixtures.js';

const alice = principal('alice', ['dev']);

function inputOf(a: Action): ActionInput {
  return { principal: a.principal, protocol: a.protocol, target: a.target, sessionId: a.sessionId, source: a.source, command: a.command, classification: a.classification };
}
const bob = principal('bob', ['approvers']);

function gateFor(h: CoreHarness, extra: { risk?: RiskAssessor; yaml?: string; verify?: (token: string) => Promise<Principal> } = {}) {
  const config = testConfig(extra.yaml ?? 'approvals: { timeout: 5s }');
  return new AirlockGate({
    verifier: { verify: extra.verify ?? (async () => alice) },
    policy: new PolicyEngine(config),
    broker: h.broker,
    bus: h.bus,
    clock: { now: () => Date.now() },
    logger: silentLogger,
    ...(extra.risk ? { risk: extra.risk } : {}),
    grantTtlMs: 60_000,
    grantMaxRisk: 'medium',
    auditAllowedLowRisk: true,
  });
}

describe('gate', () => {
  let h: CoreHarness;
  afterEach(async () => h.close());

  it('allows low risk by policy and audits the verdict with its rules', async () => {
    h = coreHarness();
    const verdict = await gateFor(h).check(action(alice, 'SELECT 1', 'low'));
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.path, 'policy');
    assert.deepEqual(verdict.rules, ['default:low']);
    const event = h.events.find((e) => e.type === 'verdict') as AirlockEvent;
    assert.equal(event.data?.['allowed'], true);
    assert.deepEqual(event.rules, ['default:low']);
  });

  it('denies step-up with a clear reason while no second factor is configured', async () => {
    h = coreHarness();
    const verdict = await gateFor(h).check(action(alice, 'UPDATE t SET x = 1 WHERE id = 1', 'medium'));
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.error?.code, 'AIRLOCK_STEP_UP_NOT_CONFIGURED');
    assert.match(verdict.reason, /step-up required/);
  });

  it('denies by a deny rule with its reason and rule id', async () => {
    h = coreHarness();
    const gate = gateFor(h, { yaml: 'policy: { rules: [ { id: no-drop, match: { kinds: [drop] }, require: { deny: "no drops here" } } ] }' });
    const verdict = await gate.check(action(alice, 'DROP TABLE t', 'critical'));
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.reason, 'no drops here');
    assert.deepEqual(verdict.rules, ['no-drop']);
    assert.equal(verdict.error?.sqlstate, '42501');
  });

  it('holds an approval-class action, tells the adapter where to approve, and allows it once approved', async () => {
    h = coreHarness();
    const notices: HoldNotice[] = [];
    const pending = gateFor(h).check(action(alice, 'TRUNCATE t', 'high', { kinds: ['truncate'] }), { onHold: (n) => notices.push(n) });
    await waitFor(() => notices.length === 1);
    const notice = notices[0] as HoldNotice;
    assert.equal(notice.kind, 'approval');
    assert.match(notice.message, /approval required from 1 of approvers/);
    assert.equal(notice.command, `airlock approve ${notice.approvalId}`);
    const record = await h.broker.get(notice.approvalId);
    await h.broker.decide({ id: notice.approvalId, approver: bob, decision: 'approve', actionHash: record?.action.hash as string, channel: 'test' });
    const verdict = await pending;
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.path, 'approval');
    assert.deepEqual(verdict.decidedBy, ['bob']);
  });

  it('turns a cancelled hold into a 57014 denial', async () => {
    h = coreHarness();
    const controller = new AbortController();
    const notices: HoldNotice[] = [];
    const pending = gateFor(h).check(action(alice, 'TRUNCATE t', 'high'), { signal: controller.signal, onHold: (n) => notices.push(n) });
    await waitFor(() => notices.length === 1);
    controller.abort();
    const verdict = await pending;
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.path, 'cancel');
    assert.equal(verdict.error?.sqlstate, '57014');
  });

  it('times out into a denial', async () => {
    h = coreHarness();
    const verdict = await gateFor(h, { yaml: 'approvals: { timeout: 200ms }' }).check(action(alice, 'TRUNCATE t', 'high'));
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.path, 'timeout');
    assert.equal(verdict.error?.sqlstate, '57014');
  });

  it('fails closed when the store is down, but lets safe actions through', async () => {
    h = coreHarness();
    const broken: RiskAssessor = { assess: async () => Promise.reject(new StoreUnavailableError('approval store unavailable')) };
    const gate = gateFor(h, { risk: broken });
    assert.equal((await gate.check(action(alice, 'SELECT 1', 'low'))).allowed, true);
    const risky = await gate.check(action(alice, 'TRUNCATE t', 'high'));
    assert.equal(risky.allowed, false);
    assert.equal(risky.error?.code, 'AIRLOCK_STORE_UNAVAILABLE');
    // The store itself failing while creating the request also denies.
    h.store.createApproval = async () => Promise.reject(new StoreUnavailableError('approval store unavailable'));
    const held = await gateFor(h).check(action(alice, 'TRUNCATE t', 'high'));
    assert.equal(held.allowed, false);
    assert.equal(held.error?.code, 'AIRLOCK_STORE_UNAVAILABLE');
  });

  it('raises the requirement when risk signals say so, and says why', async () => {
    h = coreHarness();
    const raising: RiskAssessor = { assess: async () => ({ raise: 1, reasons: ['3 MFA failures in 10m'], rules: ['signal:mfa_failures'], forceRevalidation: true }) };
    const verdict = await gateFor(h, { risk: raising }).check(action(alice, 'SELECT 1', 'low'));
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.requirement, 'step_up');
    assert.ok(verdict.rules.includes('signal:mfa_failures'));
  });

  it('denies new held actions while draining', async () => {
    h = coreHarness();
    const gate = gateFor(h);
    gate.startDraining();
    const verdict = await gate.check(action(alice, 'TRUNCATE t', 'high'));
    assert.equal(verdict.allowed ? undefined : verdict.error.code, 'AIRLOCK_SHUTTING_DOWN');
    assert.equal((await gate.check(action(alice, 'SELECT 1', 'low'))).allowed, true);
  });

  it('emits auth events and never the token', async () => {
    h = coreHarness();
    const gate = gateFor(h, {
      verify: async (token) => {
        if (token === 'good') return alice;
        throw new TokenInvalidError('expired', 'token expired');
      },
    });
    await gate.authenticate({ token: 'good', protocol: 'postgres', target: 'db', source: '10.0.0.1', sessionId: 's' });
    await assert.rejects(gate.authenticate({ token: 'secret-token-value', protocol: 'postgres', target: 'db', source: '10.0.0.1', sessionId: 's' }), { code: 'AIRLOCK_TOKEN_INVALID' });
    assert.deepEqual(h.events.map((e) => e.type), ['auth.success', 'auth.failure']);
    assert.equal(h.events[1]?.reason, 'expired');
    assert.ok(!JSON.stringify(h.events).includes('secret-token-value'));
  });

  it('reuses an allow decision for the same principal and statement, and never across targets, raises or reloads', async () => {
    h = coreHarness();
    let raise = 0;
    const signals: RiskAssessor = { assess: async () => (raise === 0 ? NO_RISK_SIGNALS : { raise, reasons: ['raised'], rules: ['signal:test'], forceRevalidation: true }) };
    const gate = gateFor(h, { risk: signals });
    const same = action(alice, 'SELECT 1', 'low', { kinds: ['select'] });
    const first = await gate.check(same);
    const second = await gate.check(createAction({ ...inputOf(same) }));
    assert.equal(second, first, 'cache hit returns the same frozen verdict');
    const otherTarget = await gate.check(createAction({ ...inputOf(same), target: 'other' }));
    assert.notEqual(otherTarget, first);
    raise = 1;
    const raised = await gate.check(createAction({ ...inputOf(same) }));
    assert.equal(raised.allowed, false, 'a risk raise is never hidden by the cache');
    raise = 0;
    gate.setPolicy(new PolicyEngine(testConfig('policy: { rules: [ { id: no-selects, match: { kinds: [select] }, require: deny } ] }')));
    const afterReload = await gate.check(createAction({ ...inputOf(same) }));
    assert.equal(afterReload.allowed, false, 'a reload drops cached decisions');
    assert.deepEqual(afterReload.rules, ['no-selects']);
  });

  it('decides at once what memory decides, audits it as check() does, and leaves the rest to check()', async () => {
    h = coreHarness();
    const gate = gateFor(h, { yaml: 'policy: { rules: [ { id: no-drop, match: { kinds: [drop] }, require: { deny: "no drops here" } } ] }' });
    const allowed = gate.checkNow(action(alice, 'SELECT 1', 'low', { kinds: ['select'] }));
    assert.equal(allowed?.allowed, true);
    assert.deepEqual(allowed?.rules, ['default:low']);
    const denied = gate.checkNow(action(alice, 'DROP TABLE t', 'critical'));
    assert.equal(denied?.allowed, false);
    assert.equal(denied?.reason, 'no drops here');
    assert.deepEqual(
      h.events.filter((e) => e.type === 'verdict').map((e) => e.data?.['allowed']),
      [true, false],
      'both verdicts audited',
    );
    // A step-up needs the grants store and perhaps a hold: not decided at once.
    assert.equal(gate.checkNow(action(alice, 'UPDATE t SET x = 1 WHERE id = 1', 'medium', { kinds: ['update'] })), undefined);
  });

  it('leaves to check() what a risk signal still being looked up, or raising, decides', async () => {
    h = coreHarness();
    const pending: RiskAssessor = { assess: async () => NO_RISK_SIGNALS, assessNow: () => undefined };
    assert.equal(gateFor(h, { risk: pending }).checkNow(action(alice, 'SELECT 1', 'low')), undefined);
    const raising: RiskAssessor = {
      assess: async () => ({ raise: 1, reasons: ['3 MFA failures in 10m'], rules: ['signal:mfa_failures'], forceRevalidation: true }),
      assessNow: () => ({ raise: 1, reasons: ['3 MFA failures in 10m'], rules: ['signal:mfa_failures'], forceRevalidation: true }),
    };
    assert.equal(gateFor(h, { risk: raising }).checkNow(action(alice, 'SELECT 1', 'low')), undefined, 'raised to step-up');
    const failing: RiskAssessor = { assess: async () => NO_RISK_SIGNALS, assessNow: () => { throw new Error('boom'); } };
    assert.equal(gateFor(h, { risk: failing }).checkNow(action(alice, 'SELECT 1', 'low')), undefined);
    const asyncOnly: RiskAssessor = { assess: async () => NO_RISK_SIGNALS };
    assert.equal(gateFor(h, { risk: asyncOnly }).checkNow(action(alice, 'SELECT 1', 'low')), undefined);
  });
});
