import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier, sqlDetails, type SqlClassifier } from '../../../src/classifiers/sql/index.js';
import { SQL_CASE_GROUPS, type Case } from './sql-cases.js';

let classifier: SqlClassifier;
before(async () => {
  classifier = await createSqlClassifier({ cacheSize: 10_000 });
});

function check(c: Case): void {
  const r = classifier.classify(c.sql);
  const show = JSON.stringify(r.facts);
  assert.equal(r.risk, c.risk, `risk of ${JSON.stringify(c.sql)}: ${show}`);
  for (const k of c.kinds ?? []) assert.ok(r.facts.kinds.includes(k), `kind ${k} missing: ${show}`);
  if (c.kinds?.length === 0) assert.deepEqual(r.facts.kinds, []);
  for (const f of c.flags ?? []) assert.ok(r.facts.flags.includes(f), `flag ${f} missing: ${show}`);
  for (const f of c.not ?? []) assert.ok(!r.facts.flags.includes(f), `flag ${f} unexpected: ${show}`);
  if (c.objects) assert.deepEqual([...r.facts.objects].sort(), [...c.objects].sort(), `objects: ${show}`);
}

for (const [group, cases] of Object.entries(SQL_CASE_GROUPS)) {
  describe(`sql classifier: ${group}`, () => {
    for (const c of cases) it(c.name ? `${c.name}: ${JSON.stringify(c.sql)}` : JSON.stringify(c.sql), () => check(c));
  });
}

describe('sql classifier: details', () => {
  it('reports SET and set_config settings for the proxy', () => {
    const r = classifier.classify("SET airlock.reason = 'INC-42'; SELECT set_config('application_name', 'x', false)");
    const d = sqlDetails(r);
    assert.deepEqual(d.settings, [
      { name: 'airlock.reason', value: 'INC-42' },
      { name: 'application_name', value: 'x' },
    ]);
    assert.deepEqual(
      d.statements.map((s) => s.kind),
      ['set', 'select'],
    );
  });

  it('reports PREPARE text, EXECUTE and DEALLOCATE names', () => {
    const r = classifier.classify('PREPARE p (int) AS DELETE FROM t WHERE id = $1; EXECUTE p(1); DEALLOCATE p; DEALLOCATE ALL');
    const d = sqlDetails(r);
    assert.deepEqual(d.prepare, [{ name: 'p', text: 'DELETE FROM t WHERE id = $1' }]);
    assert.deepEqual(d.execute, ['p']);
    assert.deepEqual(d.deallocate, ['p', 'ALL']);
    assert.equal(r.risk, 'medium');
  });

  it('keeps statement texts intact around multi-byte characters', () => {
    const d = sqlDetails(classifier.classify("SELECT 'é'; DELETE FROM t"));
    assert.deepEqual(d.statements, [
      { kind: 'select', text: "SELECT 'é'" },
      { kind: 'delete', text: 'DELETE FROM t' },
    ]);
  });

  it('does not copy role statements (passwords) into details', () => {
    const d = sqlDetails(classifier.classify("ALTER USER x WITH PASSWORD 'secret'"));
    assert.ok(!JSON.stringify(d).includes('secret'));
  });
});

describe('sql classifier: robustness', () => {
  it('never throws on garbage and classifies it critical', () => {
    const inputs = ['\u0001\u0002', ')))(((', 'SELECT ' + '('.repeat(5000), "'".repeat(1001), '$$', 'DO $$', '\uD800', ';;;;'];
    for (const s of inputs) {
      const r = classifier.classify(s);
      assert.ok(r.risk === 'critical' || r.facts.flags.includes('empty'), `${JSON.stringify(s.slice(0, 20))}: ${JSON.stringify(r)}`);
    }
  });

  it('classifies a 1 MB statement (not cached) and keeps working after a too-deep one', () => {
    const big = `SELECT '${'x'.repeat(1 << 20)}' FROM t; DROP TABLE t`;
    assert.equal(classifier.classify(big).risk, 'critical');
    const deep = `SELECT ${Array(100_000).fill('1').join('+')}`;
    assert.equal(classifier.classify(deep).risk, 'critical');
    const before = classifier.cacheStats.size;
    classifier.classify(`SELECT '${'y'.repeat(1 << 20)}'`);
    assert.equal(classifier.cacheStats.size, before);
    assert.equal(classifier.classify('SELECT 42').risk, 'low');
  });

  it('deep-freezes results', () => {
    const r = classifier.classify('DELETE FROM frozen_t');
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.facts) && Object.isFrozen(r.facts.flags));
    assert.ok(Object.isFrozen(sqlDetails(r).statements[0]));
    assert.throws(() => (r.facts.flags as string[]).push('x'));
  });
});

describe('sql classifier: cache', () => {
  it('returns the same object for the same text', async () => {
    const c = await createSqlClassifier({ cacheSize: 4 });
    const a = c.classify('SELECT * FROM cached');
    const b = c.classify('SELECT * FROM cached');
    assert.equal(a, b);
    assert.deepEqual(c.cacheStats, { hits: 1, misses: 1, size: 1 });
  });

  it("never lets WHERE 'a'='a' and WHERE 'a'='b' share an entry", async () => {
    const c = await createSqlClassifier();
    const yes = c.classify("DELETE FROM t WHERE 'a'='a'");
    const no = c.classify("DELETE FROM t WHERE 'a'='b'");
    assert.equal(yes.risk, 'high');
    assert.equal(no.risk, 'medium');
    assert.equal(c.classify("DELETE FROM t WHERE 'a'='a'"), yes);
    assert.equal(c.classify("DELETE FROM t WHERE 'a'='b'"), no);
  });

  it('evicts the least recently used entry', async () => {
    const c = await createSqlClassifier({ cacheSize: 2 });
    const one = c.classify('SELECT * FROM one');
    c.classify('SELECT * FROM two');
    c.classify('SELECT * FROM one');
    c.classify('SELECT * FROM three');
    assert.equal(c.cacheStats.size, 2);
    assert.equal(c.classify('SELECT * FROM one'), one, 'recently used entry kept');
    const misses = c.cacheStats.misses;
    c.classify('SELECT * FROM two');
    assert.equal(c.cacheStats.misses, misses + 1, 'least recently used entry evicted');
  });

  it('can be disabled and rejects a bad size', async () => {
    const c = await createSqlClassifier({ cacheSize: 0 });
    c.classify('SELECT 1');
    assert.equal(c.cacheStats.size, 0);
    await assert.rejects(createSqlClassifier({ cacheSize: -1 }), TypeError);
  });

  it('measures hit and miss cost (printed, not asserted)', async () => {
    const c = await createSqlClassifier({ cacheSize: 100 });
    const sql = 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 42';
    const n = 20_000;
    c.classify(sql);
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) c.classify(sql);
    const hitNs = Number(process.hrtime.bigint() - t) / n;
    const misses = Array.from({ length: 2000 }, (_, i) => `UPDATE pgbench_accounts SET abalance = abalance + ${i} WHERE aid = ${i}`);
    t = process.hrtime.bigint();
    for (const m of misses) c.classify(m);
    const missNs = Number(process.hrtime.bigint() - t) / misses.length;
    process.stdout.write(`# sql classifier: cache hit ${(hitNs / 1000).toFixed(2)} µs, miss ${(missNs / 1000).toFixed(1)} µs\n`);
  });
});
