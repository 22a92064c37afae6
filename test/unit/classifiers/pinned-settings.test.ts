import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier, type SqlClassifier } from '../../../src/classifiers/sql/index.js';
import { isAcceptedClientEncoding } from '../../../src/classifiers/sql/lexer-settings.js';
import { PolicyEngine } from '../../../src/policy/policy-engine.js';
import { action, principal, testConfig } from '../../support/core-fixtures.js';

let classifier: SqlClassifier;
before(async () => {
  classifier = await createSqlClassifier({ cacheSize: 100 });
});

const pinned = (sql: string) => classifier.classify(sql).facts.flags.includes('pinned_setting');

// Every path that changes a setting the classifier assumes: refused.
const REFUSED = [
  'SET standard_conforming_strings = off',
  'SET standard_conforming_strings TO off',
  "SET standard_conforming_strings = 'off'",
  'SET standard_conforming_strings = 0',
  'SET standard_conforming_strings = false',
  'SET standard_conforming_strings = of',
  'set STANDARD_CONFORMING_STRINGS = OFF',
  'SET "standard_conforming_strings" = off',
  'SET SESSION standard_conforming_strings = off',
  'SET LOCAL standard_conforming_strings = off',
  'SELECT 1; SET standard_conforming_strings = off; SELECT 2',
  "SELECT set_config('standard_conforming_strings', 'off', false)",
  "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', true)",
  "SELECT set_config('Standard_Conforming_Strings', 'no', false)",
  "SELECT * FROM t WHERE set_config('standard_conforming_strings', 'off', false) IS NOT NULL",
  "PREPARE p AS SELECT set_config('standard_conforming_strings', 'off', false)",
  "EXPLAIN ANALYZE SELECT set_config('standard_conforming_strings', 'off', false)",
  "WITH x AS (SELECT set_config('standard_conforming_strings', 'off', false)) SELECT * FROM x",
  "SET client_encoding = 'SJIS'",
  "SET client_encoding TO 'big5'",
  "SET NAMES 'GBK'",
  "SET NAMES 'uhc'",
  "SET client_encoding = 'GB18030'",
  "SET client_encoding = 'LATIN1'",
  "SELECT set_config('client_encoding', 'SJIS', false)",
  'SET backslash_quote = off',
  'SET transform_null_equals = on',
  'ALTER ROLE alice SET standard_conforming_strings = off',
  'ALTER ROLE ALL SET standard_conforming_strings TO off',
  "ALTER ROLE alice IN DATABASE app SET client_encoding = 'sjis'",
  "ALTER DATABASE app SET client_encoding = 'SJIS'",
  'ALTER SYSTEM SET standard_conforming_strings = off',
  "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET client_encoding = 'sjis' AS 'SELECT 1'",
  'CREATE OR REPLACE PROCEDURE p() LANGUAGE sql SET standard_conforming_strings = off AS $$ SELECT 1 $$',
  'ALTER FUNCTION f() SET standard_conforming_strings = off',
  'ALTER PROCEDURE p() SET transform_null_equals = on',
];

// What pg_dump, psql and drivers send, and going back to the verified start value: allowed.
const ALLOWED = [
  'SET standard_conforming_strings = on',
  "SET standard_conforming_strings = 'on'",
  'SET standard_conforming_strings TO true',
  'SET standard_conforming_strings = DEFAULT',
  'RESET standard_conforming_strings',
  'RESET ALL',
  "SET client_encoding = 'UTF8'",
  "SET client_encoding = 'utf-8'",
  "SET NAMES 'UNICODE'",
  "SET client_encoding = 'SQL_ASCII'",
  'SET backslash_quote = safe_encoding',
  'SET transform_null_equals = off',
  "SELECT 'standard_conforming_strings' AS name",
  "SELECT set_config('application_name', 'standard_conforming_strings=off', false)",
  "SELECT '\\\\' AS backslash, 'SET client_encoding = sjis' AS text",
  'ALTER ROLE alice SET search_path = public',
  "COMMENT ON TABLE t IS 'SET standard_conforming_strings = off'",
];

describe('pinned settings: changes to how the server reads text are refused', () => {
  for (const sql of REFUSED) it(`refuses ${sql}`, () => assert.ok(pinned(sql), JSON.stringify(classifier.classify(sql).facts)));
  for (const sql of ALLOWED) it(`allows ${sql}`, () => assert.ok(!pinned(sql), JSON.stringify(classifier.classify(sql).facts)));

  it('is critical and names the setting, so the policy engine denies it whatever the rules say', () => {
    const classification = classifier.classify('SET standard_conforming_strings = off');
    assert.equal(classification.risk, 'critical');
    assert.ok(classification.facts.flags.includes('pinned_setting:standard_conforming_strings'));
    const engine = new PolicyEngine(testConfig('policy: { rules: [ { id: allow-all, match: {}, require: allow } ], defaults: { low: allow, medium: allow, high: allow, critical: allow } }'));
    const decision = engine.evaluate({ ...action(principal('alice'), 'SET standard_conforming_strings = off', 'low'), classification });
    assert.equal(decision.requirement.kind, 'deny');
    assert.deepEqual(decision.rules, ['airlock:pinned-setting']);
    assert.match((decision.requirement as { reason: string }).reason, /standard_conforming_strings/);
  });

  it('accepts only encodings the classifier reads as the server will', () => {
    for (const ok of ['UTF8', 'utf8', 'UTF-8', 'utf_8', 'Unicode', 'SQL_ASCII', 'sql-ascii']) assert.ok(isAcceptedClientEncoding(ok), ok);
    for (const bad of ['SJIS', 'Shift_JIS', 'BIG5', 'GBK', 'UHC', 'GB18030', 'LATIN1', 'EUC_JP', 'WIN1252', 'auto', '']) assert.ok(!isAcceptedClientEncoding(bad), bad);
  });
});
