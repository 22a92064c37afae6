import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyEngine } from '../../../src/policy/policy-engine.js';
import { classification, principal, testConfig } from '../../support/core-fixtures.js';

const yaml = `
policy:
  defaults:
    low: allow
    medium: step_up
    high: { approval: { approvers: dba, count: 1 } }
    critical: { approval: { all: [ { approvers: dba, count: 1 }, { approvers: security, count: 1 } ], mfa: true, timeout: 2m } }
  rules:
    - id: logs-are-cheap
      match: { objects: ["logs.*"] }
      risk: low
    - id: prod-raise
      match: { targets: ["prod-*"], min_risk: medium }
      risk: high
    - id: dba-vacuum
      match: { groups: [dba], kinds: [VACUUM] }
      require: allow
    - id: no-copy-program
      match: { flags: ["copy_program"] }
      require: deny
    - id: contractors
      match: { groups: [contractor], risk: [medium, high] }
      require: { approval: { approvers: [dba, sre], count: 2 } }
`;
const engine = new PolicyEngine(testConfig(yaml));
const dev = principal('alice', ['dev']);

function evaluate(p = dev, target = 'app', risk: 'low' | 'medium' | 'high' | 'critical' = 'low', kinds: string[] = ['select'], flags: string[] = [], objects: string[] = []) {
  return engine.evaluate({ principal: p, protocol: 'postgres', target, classification: classification(risk, kinds, flags, objects) });
}

describe('policy engine', () => {
  it('applies defaults by risk level, with the default recorded as a rule', () => {
    assert.deepEqual(evaluate().requirement, { kind: 'allow' });
    assert.equal(evaluate(dev, 'app', 'medium').requirement.kind, 'step_up');
    const critical = evaluate(dev, 'app', 'critical').requirement;
    assert.equal(critical.kind, 'approval');
    assert.equal(critical.kind === 'approval' && critical.mode, 'all');
    assert.equal(critical.kind === 'approval' && critical.mfa, true);
    assert.equal(critical.kind === 'approval' && critical.timeoutMs, 120_000);
    assert.deepEqual(evaluate(dev, 'app', 'critical').rules, ['default:critical']);
  });

  it('lets risk rules change the level later rules and defaults see', () => {
    const lowered = evaluate(dev, 'app', 'medium', ['delete'], [], ['logs.access']);
    assert.equal(lowered.risk, 'low');
    assert.deepEqual(lowered.rules, ['logs-are-cheap', 'default:low']);
    const raised = evaluate(dev, 'prod-eu', 'medium', ['update']);
    assert.equal(raised.risk, 'high');
    assert.equal(raised.requirement.kind, 'approval');
    assert.deepEqual(raised.rules, ['prod-raise', 'default:high']);
  });

  it('takes the first rule with require, matching kinds case-insensitively and groups', () => {
    assert.deepEqual(evaluate(principal('d', ['dba']), 'app', 'medium', ['vacuum']).requirement, { kind: 'allow' });
    assert.equal(evaluate(dev, 'app', 'medium', ['vacuum']).requirement.kind, 'step_up');
    assert.equal(evaluate(dev, 'app', 'critical', ['copy'], ['copy_program']).requirement.kind, 'deny');
  });

  it('expands approvers lists into any-of quorums', () => {
    const r = evaluate(principal('c', ['contractor']), 'app', 'medium', ['update']).requirement;
    assert.equal(r.kind, 'approval');
    assert.deepEqual(r.kind === 'approval' && r.quorums, [
      { group: 'dba', count: 2 },
      { group: 'sre', count: 2 },
    ]);
  });

  it('raises requirements one level per risk signal', () => {
    const signals = { raise: 1, reasons: ['x'], rules: ['signal:x'], forceRevalidation: true };
    const base = { principal: dev, protocol: 'postgres' as const, target: 'app' };
    assert.equal(engine.evaluate({ ...base, classification: classification('low') }, signals).requirement.kind, 'step_up');
    assert.equal(engine.evaluate({ ...base, classification: classification('medium') }, signals).requirement.kind, 'approval');
    const twice = engine.evaluate({ ...base, classification: classification('high') }, { ...signals, raise: 2 });
    assert.equal(twice.requirement.kind === 'approval' && twice.requirement.mfa, true);
    assert.deepEqual(twice.reasons, ['x']);
  });
});
