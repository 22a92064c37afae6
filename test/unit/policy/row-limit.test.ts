import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyEngine } from '../../../src/policy/policy-engine.js';
import { classification, principal, testConfig } from '../../support/core-fixtures.js';

const engine = new PolicyEngine(
  testConfig(`
policy:
  max_rows: { low: 500, medium: 50 }
  rules:
    - id: archive-bulk
      match: { objects: ["archive.*"] }
      max_rows: 100000
    - id: dba-no-limit
      match: { groups: [dba] }
      max_rows: 0
`),
);
const dev = principal('alice', ['dev']);

function limit(flags: string[], risk: 'low' | 'medium' | 'high' = 'medium', objects: string[] = ['orders'], who = dev): number | undefined {
  return engine.rowLimit({ principal: who, protocol: 'postgres', target: 'app', classification: classification(risk, ['delete'], flags, objects) });
}

describe('policy: row limits for writes measured before they commit', () => {
  it('applies only to writes whose row count the text does not bound', () => {
    assert.equal(limit(['writes', 'rows_unbounded']), 50);
    assert.equal(limit(['writes']), undefined, 'VALUES inserts are counted in the text');
    assert.equal(limit(['writes', 'rows_unbounded', 'write_by_key']), undefined, 'a unique key bounds it to one row');
    assert.equal(limit(['writes', 'rows_unbounded', 'rows_measured']), undefined, 'measured once, never again');
  });

  it('takes the default for the risk level, none where it is null', () => {
    assert.equal(limit(['rows_unbounded'], 'low'), 500);
    assert.equal(limit(['rows_unbounded'], 'high'), undefined);
  });

  it('lets the first matching rule with max_rows decide', () => {
    assert.equal(limit(['rows_unbounded'], 'medium', ['archive.events']), 100000);
    assert.equal(limit(['rows_unbounded'], 'medium', ['orders'], principal('d', ['dba'])), 0);
  });

  it('is undefined everywhere with the defaults switched off', () => {
    const off = new PolicyEngine(testConfig('policy: { max_rows: { low: null, medium: null } }'));
    assert.equal(off.rowLimit({ principal: dev, protocol: 'postgres', target: 'app', classification: classification('medium', ['delete'], ['rows_unbounded'], []) }), undefined);
  });
});

describe('policy: a write measured over its limit', () => {
  it('needs approvers even where a rule allowed the statement itself; a rule that denies still denies', () => {
    const engine = new PolicyEngine(
      testConfig(`
policy:
  defaults: { high: { approval: { approvers: dba, count: 1 } } }
  rules:
    - id: bulk-ok
      match: { objects: ["staging.*"] }
      require: allow
    - id: never-history
      match: { objects: ["history"] }
      require: deny
`),
    );
    const measured = (objects: string[]) => engine.evaluate({ principal: dev, protocol: 'postgres', target: 'app', classification: classification('high', ['delete'], ['writes', 'rows_measured', 'rows_over_limit'], objects) });
    const allowedRule = measured(['staging.rows']);
    assert.equal(allowedRule.requirement.kind, 'approval');
    assert.ok(allowedRule.rules.includes('airlock:max-rows'));
    assert.equal(measured(['history']).requirement.kind, 'deny');
    const unmeasured = engine.evaluate({ principal: dev, protocol: 'postgres', target: 'app', classification: classification('medium', ['delete'], ['writes', 'rows_unbounded'], ['staging.rows']) });
    assert.equal(unmeasured.requirement.kind, 'allow', 'the statement itself, before measuring, is allowed by the rule');
  });
});
