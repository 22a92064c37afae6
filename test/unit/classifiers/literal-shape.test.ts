import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier } from '../../../src/classifiers/sql/index.js';
import { classifySql } from '../../../src/classifiers/sql/sql-classifier.js';
import { literalShape, type LiteralKind, type ShapeLiteral } from '../../../src/classifiers/sql/literal-shape.js';
import { loadSqlParser, type SqlParser } from '../../../src/classifiers/sql/sql-parser.js';
import type { Classification } from '../../../src/model/action.js';
import { SQL_CASE_GROUPS } from './sql-cases.js';

describe('literal shape: scanner', () => {
  it('gives texts that differ only inside literals one key', () => {
    const same = [
      ['SELECT * FROM t WHERE a = 5', 'SELECT * FROM t WHERE a = 123456'],
      ["SELECT * FROM t WHERE s = 'a'", "SELECT * FROM t WHERE s = 'b''c -- not a comment /* nor this */ $$'"],
      ['UPDATE t SET x = x + -3 WHERE id = 1', 'UPDATE t SET x = x + -4000 WHERE id = 99'],
      ['SELECT 1.5', 'SELECT 0.25'],
      ['SELECT 2147483648', 'SELECT 99999999999999999999'],
    ];
    for (const [a, b] of same) {
      assert.ok(literalShape(a!), a);
      assert.equal(literalShape(a!)!.key, literalShape(b!)!.key, `${a} / ${b}`);
    }
  });

  it('keeps apart what PostgreSQL lexes differently', () => {
    const different = [
      ['SELECT 5', 'SELECT 5.0'],
      ['SELECT 2147483647', 'SELECT 2147483648'],
      ['SELECT 5', "SELECT '5'"],
      ['SELECT x + -5', 'SELECT x + 5'],
      ['SELECT x + -5', 'SELECT x + - 5'],
      ["SELECT 'a'\n'b'", "SELECT 'a' 'b'"],
      ['SELECT a=5', 'SELECT a =5'],
    ];
    for (const [a, b] of different) {
      const ka = literalShape(a!)?.key;
      const kb = literalShape(b!)?.key;
      assert.ok(ka !== undefined && kb !== undefined, `${a} / ${b}`);
      assert.notEqual(ka, kb, `${a} / ${b}`);
    }
  });

  it('leaves out every text outside the subset it can lex for sure', () => {
    const out = [
      'SELECT 1 -- comment',
      'SELECT 1 /* comment */',
      'SELECT 1 +/* comment */ 2',
      'SELECT $1',
      'SELECT $$text$$',
      'SELECT $tag$x$tag$',
      "SELECT E'x'",
      "SELECT e'\\''",
      "SELECT B'0101'",
      "SELECT X'1F'",
      "SELECT N'x'",
      "SELECT U&'d\\0061t'",
      "SELECT U&\"d0061t\"",
      "SELECT 'a\\'; DROP TABLE t; --'",
      "SELECT 'é'",
      'SELECT 1 AS "ü"',
      'SELECT 1e5',
      'SELECT 1E-3',
      'SELECT .5',
      'SELECT 1.',
      'SELECT 1..2',
      'SELECT 1.2.3',
      'SELECT 0x1F',
      'SELECT 0o17',
      'SELECT 1_000',
      'SELECT 123abc',
      "SELECT 'unterminated",
      'SELECT "unterminated',
      'SELECT 1\u000b',
      'SELECT 1\u0000; DROP TABLE t',
      'SELECT 1\u0001I',
      'SELECT a.1',
      "SELECT 1'x'",
    ];
    for (const sql of out) assert.equal(literalShape(sql), undefined, JSON.stringify(sql));
  });

  it('has nothing to say about a text without literals', () => {
    assert.equal(literalShape('SELECT * FROM t'), undefined);
    assert.equal(literalShape('SELECT "5" FROM t5'), undefined);
  });

  it('reports each literal where the parser will put its constant', () => {
    const offsets = (sql: string) => literalShape(sql)!.literals.map((l) => `${l.offset}${l.kind}`);
    assert.deepEqual(offsets("SELECT 1, 'a', 2.5, -7, x -8"), ['7I', '10S', '15F', '20I', '27I']);
    assert.deepEqual(offsets('SELECT "it\'s" FROM t WHERE a = 1'), ['31I']);
    assert.deepEqual(offsets('SELECT 1, -2147483648'), ['7I', '10F']);
    // After a word the minus may subtract (a column) or negate (a keyword): the digits are the literal, and the parser decides.
    assert.deepEqual(offsets('SELECT -5'), ['8I']);
  });
});

/** `sql` with each literal replaced by the pick for its index, keeping its kind (and a folded minus). */
function withLiterals(sql: string, literals: readonly ShapeLiteral[], pick: (kind: LiteralKind, index: number) => string): string {
  let out = '';
  let copied = 0;
  literals.forEach((literal, index) => {
    let start = literal.offset;
    if (sql[start] === '-') start++;
    let end = start;
    if (literal.kind === 'S') {
      end = start + 1;
      while (end < sql.length) {
        if (sql[end] === "'" && sql[end + 1] === "'") end += 2;
        else if (sql[end] === "'") break;
        else end++;
      }
      end++;
    } else {
      while (end < sql.length && /[0-9.]/.test(sql[end]!)) end++;
    }
    out += sql.slice(copied, start) + pick(literal.kind, index);
    copied = end;
  });
  return out + sql.slice(copied);
}

const VALUES: Readonly<Record<LiteralKind, readonly string[]>> = {
  I: ['0', '1', '2', '7', '42', '2147483647'],
  F: ['0.0', '1.5', '2147483648', '99999999999999999999', '3.25'],
  S: ["''", "'a'", "'b'", "'x''y'", "'role'", "'on'", "'t'", "'true'", "'1'", "'%'", "'a%'", "'2000-01-01'", "'DROP TABLE t'", "'evil, pg_catalog'", "'search_path'", "'session_authorization'"],
};

/** Statements whose literals decide their risk, or that sit on the edge of the scanner's subset. */
const ADVERSARIAL = [
  'DELETE FROM t WHERE 1 = 2',
  'DELETE FROM t WHERE 1 = 1',
  "DELETE FROM t WHERE 'a' LIKE 'b'",
  "DELETE FROM t WHERE 'abc' ILIKE 'x%'",
  'DELETE FROM t WHERE 5 BETWEEN 1 AND 3',
  'DELETE FROM t WHERE 3 IN (1, 2)',
  'DELETE FROM t WHERE 3 NOT IN (1, 2)',
  "UPDATE t SET a = 1 WHERE id = 1 OR 'x' = 'y'",
  "UPDATE t SET a = 1 WHERE 'f'::boolean",
  "DELETE FROM t WHERE NOT 'true'::bool",
  "DELETE FROM t WHERE '1'::int4 = 2",
  'DELETE FROM t WHERE -1 = -1',
  'DELETE FROM t WHERE 1 IS NOT NULL',
  "DELETE FROM t WHERE 'a' IS DISTINCT FROM 'b'",
  "DELETE FROM t WHERE 'a' IS NOT DISTINCT FROM 'b'",
  'DELETE FROM t WHERE (SELECT 1 = 2)',
  'DELETE FROM t WHERE EXISTS (SELECT 1)',
  'DELETE FROM t WHERE length(1) = length(2)',
  'DELETE FROM t WHERE id = 1 AND 1 = 1',
  'DELETE FROM t WHERE id = 1 OR 1 = 2',
  "SELECT set_config('application_name', 'x', false)",
  "SELECT set_config('search_path', '', false)",
  "SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'work_mem'",
  "SELECT * FROM pg_settings WHERE name = 'work_mem'",
  "SELECT current_setting('role')",
  'INSERT INTO t VALUES (1, 2.5, -3)',
  "INSERT INTO t (a, b) VALUES (1, 'a'), (2, 'b') RETURNING id",
  'SELECT 1; SELECT 2',
  'SELECT * FROM t LIMIT 10 OFFSET 5',
  "SELECT * FROM t WHERE x = 'a'\n'b'",
  "SELECT 'a' 'b'",
  'SELECT x FROM t WHERE y = 2147483647',
  'SELECT pg_sleep(1)',
  'SELECT lo_unlink(1234)',
  "SELECT setval('seq', 1)",
  "SELECT nextval('seq')",
  "SELECT dblink_exec('conn', 'DROP TABLE x')",
  'SELECT pg_terminate_backend(123)',
  "UPDATE t SET a = 1 WHERE id = 1 RETURNING 'x'",
  'WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d',
  'WITH d AS (DELETE FROM t WHERE 1 = 1 RETURNING *) SELECT 1',
  "SELECT 'x' = 'x'",
  "SELECT * FROM t WHERE created > '2020-01-01'::date",
  "SELECT '1 day'::interval, interval '2 hours'",
  "SELECT 'x'::varchar(10)",
  'SELECT * FROM t ORDER BY 1 DESC FETCH FIRST 5 ROWS ONLY',
  'SELECT * FROM t FOR UPDATE SKIP LOCKED LIMIT 1',
  "SELECT * INTO new_t FROM t WHERE a = 'x'",
  'SELECT x * -5, x @-5, x - -5, - -5',
  "SELECT 'a' || 'b' FROM t WHERE a = 'it''s'",
  "UPDATE accounts SET balance = balance - 100.50 WHERE id = 7 AND owner = 'bob'",
  "DELETE FROM sessions WHERE expires_at < now() - '1 day'::interval",
  "SELECT query_to_xml('DROP TABLE t', true, true, '')",
  "SELECT * FROM dblink('dbname=x', 'SELECT 1') AS t(a int)",
  "SELECT pg_read_file('/etc/passwd')",
  "COPY (SELECT 1) TO '/tmp/x'",
  "PREPARE p AS SELECT * FROM t WHERE a = 1",
  "EXECUTE p(1)",
  "SET search_path = 'public'",
  "DO 'BEGIN PERFORM 1; END'",
  "CREATE ROLE r PASSWORD 'secret'",
  "COMMENT ON TABLE t IS 'x'",
  "ALTER SYSTEM SET work_mem = '1MB'",
];

describe('literal shape: one classification per shape is sound', () => {
  let parser: SqlParser;
  before(async () => {
    parser = await loadSqlParser();
  });

  const essentials = (c: Classification) => ({ risk: c.risk, kinds: [...c.facts.kinds], objects: [...c.facts.objects].sort(), flags: [...c.facts.flags] });

  it('classifies every variant of every corpus statement as if it were classified alone', async () => {
    const corpus = [...Object.values(SQL_CASE_GROUPS).flatMap((cases) => cases.map((c) => c.sql)), ...ADVERSARIAL];
    let shapes = 0;
    let sharedVariants = 0;
    let variants = 0;
    for (const sql of corpus) {
      const shape = literalShape(sql);
      if (!shape) continue;
      shapes++;
      for (let round = 0; round < 4; round++) {
        const variant = withLiterals(sql, shape.literals, (kind, index) => {
          const options = VALUES[kind];
          return options[(index * 7 + round * 3 + sql.length) % options.length]!;
        });
        assert.equal(literalShape(variant)?.key, shape.key, `variant of ${JSON.stringify(sql)} keeps the shape: ${JSON.stringify(variant)}`);
        // A fresh classifier that has seen the original first, then the variant.
        const classifier = await createSqlClassifier({ cacheSize: 10 });
        const first = classifier.classify(sql);
        assert.deepEqual(essentials(first), essentials(classifySql(parser, sql)), `original ${JSON.stringify(sql)}`);
        const missesBefore = classifier.cacheStats.misses;
        const got = classifier.classify(variant);
        if (classifier.cacheStats.misses === missesBefore) sharedVariants++;
        variants++;
        assert.deepEqual(essentials(got), essentials(classifySql(parser, variant)), `${JSON.stringify(variant)} after ${JSON.stringify(sql)}`);
      }
    }
    process.stdout.write(`# literal shape: ${shapes} shapes, ${sharedVariants} of ${variants} variants shared\n`);
    // The property must have been exercised, not vacuously true.
    assert.ok(shapes >= 100, `shapes: ${shapes}`);
    assert.ok(sharedVariants >= 80, `variants answered from a shared classification: ${sharedVariants} of ${variants}`);
  });

  it('never shares a classification that read a literal', async () => {
    const classifier = await createSqlClassifier();
    const pairs: Array<[string, string, string]> = [
      ['DELETE FROM t WHERE 1 = 2', 'DELETE FROM t WHERE 1 = 1', 'high'],
      ["DELETE FROM t WHERE 'a' LIKE 'b'", "DELETE FROM t WHERE 'a' LIKE '%'", 'high'],
      ['DELETE FROM t WHERE 5 BETWEEN 1 AND 3', 'DELETE FROM t WHERE 2 BETWEEN 1 AND 3', 'high'],
      ["SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'x', false)", 'critical'],
      ["SELECT set_config('search_path', '', false)", "SELECT set_config('search_path', 'evil, pg_catalog', false)", 'high'],
      ["SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'work_mem'", "SELECT set_config(name, 'x', false) FROM pg_settings WHERE name = 'role'", 'critical'],
      ["UPDATE t SET a = 1 WHERE 'f'::boolean", "UPDATE t SET a = 1 WHERE 't'::boolean", 'high'],
    ];
    for (const [first, second, risk] of pairs) {
      classifier.classify(first);
      const got = classifier.classify(second);
      assert.ok(got.risk === risk || (risk === 'high' && got.risk === 'critical'), `${second}: ${got.risk}, expected ${risk}`);
    }
  });

  it('shares pgbench-style statements, names no statement text in them, and keeps exact texts apart', async () => {
    const classifier = await createSqlClassifier();
    const a = classifier.classify('UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 17;');
    const b = classifier.classify('UPDATE pgbench_accounts SET abalance = abalance + -12 WHERE aid = 99999;');
    assert.equal(a, b, 'one frozen classification for the shape');
    assert.equal(a.risk, 'medium');
    // Names for the catalog (never literals) are shared too.
    const references = { calls: [], operators: [{ name: '+', arity: 2 }, { name: '=', arity: 2 }], attributes: [], writes: ['pgbench_accounts'], types: [], keyed: [{ relation: 'pgbench_accounts', columns: ['aid'] }] };
    assert.deepEqual(a.facts.details, { statements: [{ kind: 'update' }], settings: [], prepare: [], execute: [], deallocate: [], references });
    assert.ok(Object.isFrozen(a.facts.details));
    assert.deepEqual(classifier.cacheStats, { hits: 1, misses: 1, size: 1 });
    // Texts the shape cannot stand for keep their own entries, with their text.
    const own = classifier.classify('SELECT * FROM t -- comment');
    assert.equal((own.facts.details as { statements: Array<{ text?: string }> }).statements[0]!.text, 'SELECT * FROM t -- comment');
  });

  it('is off with the cache', async () => {
    const classifier = await createSqlClassifier({ cacheSize: 0 });
    classifier.classify('SELECT * FROM t WHERE a = 1');
    classifier.classify('SELECT * FROM t WHERE a = 2');
    assert.deepEqual(classifier.cacheStats, { hits: 0, misses: 2, size: 0 });
  });
});
