import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CatalogResolution } from '../../../src/classifiers/sql/catalog-resolution.js';
import { type CatalogData, type CatalogFunction, CatalogSnapshot } from '../../../src/classifiers/sql/catalog-snapshot.js';
import { createSqlClassifier, type SqlClassifier } from '../../../src/classifiers/sql/index.js';

let nextOid = 20000;
function fn(partial: Partial<CatalogFunction> & { name: string }): CatalogFunction {
  return {
    oid: nextOid++,
    schema: 'public',
    nargs: 0,
    defaults: 0,
    variadic: false,
    kind: 'f',
    language: 'sql',
    securityDefiner: false,
    trusted: false,
    publicExecute: true,
    helpers: [],
    ...partial,
  };
}

const builtin = (name: string, nargs: number, extra: Partial<CatalogFunction> = {}): CatalogFunction =>
  fn({ name, nargs, schema: 'pg_catalog', trusted: true, language: 'internal', oid: nextOid++, ...extra });

function data(partial: Partial<CatalogData>): CatalogData {
  return { functions: [], operators: [], relations: [], domainFunctions: new Map(), ambientFunctions: [], eventTriggerFunctions: [], uniqueKeys: [], ...partial };
}

describe('catalog resolution (unit, no database)', () => {
  let classifier: SqlClassifier;
  before(async () => {
    classifier = await createSqlClassifier({ cacheSize: 0 });
  });

  const resolve = (catalog: CatalogData, sql: string) =>
    new CatalogResolution(new CatalogSnapshot(catalog, 1), (code) => classifier.classifyStored(code)).refine(classifier.classify(sql));

  it('counts every overload whose argument count fits, and none that cannot be chosen', () => {
    const wipe = fn({ name: 'length', nargs: 2, body: { form: 'sql', text: 'DELETE FROM t' } });
    const catalog = data({ functions: [builtin('length', 1), wipe] });
    assert.equal(resolve(catalog, "SELECT length('abc')").risk, 'low');
    assert.equal(resolve(catalog, 'SELECT length(1, 2)').risk, 'high');
    assert.ok(resolve(catalog, 'SELECT length(1, 2)').facts.kinds.includes('delete'));
  });

  it('defaults and VARIADIC widen what a call can resolve to', () => {
    const withDefault = fn({ name: 'f', nargs: 3, defaults: 2, body: { form: 'sql', text: 'DELETE FROM t' } });
    const variadic = fn({ name: 'g', nargs: 2, variadic: true, body: { form: 'sql', text: 'DELETE FROM t' } });
    const catalog = data({ functions: [withDefault, variadic] });
    assert.equal(resolve(catalog, 'SELECT f(1)').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT f(1, 2, 3)').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT g(1, 2, 3, 4, 5)').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT g(VARIADIC ARRAY[1])').risk, 'high');
  });

  it('a qualified name reaches only its schema; pg_temp means any temporary schema', () => {
    const other = fn({ name: 'h', schema: 'other', body: { form: 'sql', text: 'DELETE FROM t' } });
    const temp = fn({ name: 'tmp', schema: 'pg_temp_3', body: { form: 'sql', text: 'DELETE FROM t' } });
    const catalog = data({ functions: [other, temp, fn({ name: 'h', schema: 'safe', body: { form: 'sql', text: 'SELECT 1' } })] });
    assert.equal(resolve(catalog, 'SELECT safe.h()').risk, 'medium');
    assert.equal(resolve(catalog, 'SELECT other.h()').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT h()').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT pg_temp.tmp()').risk, 'high');
  });

  it('built-ins reached indirectly are judged by name; those not granted to PUBLIC are high even by name', () => {
    const readFile = builtin('pg_read_file', 1, { publicExecute: false });
    const op = { schema: 'public', name: '###', arity: 1, functions: [readFile.oid] };
    const catalog = data({ functions: [readFile], operators: [op] });
    assert.equal(resolve(catalog, "SELECT ### 'x'").risk, 'critical');
    assert.equal(resolve(catalog, "SELECT 1 ### 'x'").risk, 'low', 'an infix use cannot be the prefix operator');
    assert.ok(resolve(catalog, "SELECT pg_read_file('x')").facts.flags.includes('not_granted_to_public:pg_catalog.pg_read_file'));
  });

  it('aggregates reach their state and final functions', () => {
    const setConfig = builtin('set_config', 3);
    const max = fn({ name: 'max', nargs: 2, kind: 'a', helpers: [setConfig.oid] });
    const catalog = data({ functions: [builtin('max', 1), setConfig, max] });
    assert.equal(resolve(catalog, "SELECT max('pg_monitor', false)").risk, 'critical');
    assert.equal(resolve(catalog, 'SELECT max(id) FROM t').risk, 'low');
  });

  it('cycles end, depth is bounded, unknown languages and unread bodies are high', () => {
    const a = fn({ name: 'a', body: { form: 'sql', text: 'SELECT b()' } });
    const b = fn({ name: 'b', body: { form: 'sql', text: 'SELECT a()' } });
    const c = fn({ name: 'c', language: 'c' });
    const chain: CatalogFunction[] = [];
    for (let i = 0; i < 12; i++) chain.push(fn({ name: `d${i}`, body: { form: 'sql', text: i === 11 ? 'SELECT 1' : `SELECT d${i + 1}()` } }));
    const catalog = data({ functions: [a, b, c, ...chain] });
    assert.equal(resolve(catalog, 'SELECT a()').risk, 'medium');
    assert.equal(resolve(catalog, 'SELECT c()').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT d0()').risk, 'high');
    assert.ok(resolve(catalog, 'SELECT d0()').facts.flags.includes('function_depth'));
  });

  it('a name the catalog does not know is high; a built-in name it knows is not', () => {
    const catalog = data({ functions: [builtin('now', 0)] });
    assert.equal(resolve(catalog, 'SELECT now()').risk, 'low');
    assert.equal(resolve(catalog, 'SELECT brand_new()').risk, 'high');
  });

  it('plpgsql bodies, rules and BEGIN ATOMIC bodies are read as code that runs', () => {
    const pl = fn({
      name: 'pl',
      language: 'plpgsql',
      body: { form: 'plpgsql', definition: 'CREATE FUNCTION public.pl() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN DELETE FROM t; RETURN 1; END $f$' },
    });
    const dyn = fn({
      name: 'dyn',
      language: 'plpgsql',
      body: { form: 'plpgsql', definition: "CREATE FUNCTION public.dyn() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN EXECUTE 'x'; END $f$" },
    });
    const relation = { oid: 30000, schema: 'public', name: 'r', readFunctions: [], writeFunctions: [], baseRelations: [], rules: ['CREATE RULE x AS ON INSERT TO public.r DO ALSO DELETE FROM public.t;'], triggers: [] };
    const catalog = data({ functions: [pl, dyn], relations: [relation] });
    assert.equal(resolve(catalog, 'SELECT pl()').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT dyn()').risk, 'critical');
    assert.equal(resolve(catalog, 'INSERT INTO r VALUES (1)').risk, 'high');
    assert.equal(resolve(catalog, 'SELECT * FROM r').risk, 'low', 'reading fires no insert rule');
  });

  it('ambient code (casts, implicit operators) reaches every statement; event triggers only DDL', () => {
    const kill = builtin('pg_terminate_backend', 2);
    const catalog = data({ functions: [kill], ambientFunctions: [kill.oid] });
    assert.equal(resolve(catalog, 'SELECT 1').risk, 'critical');
    const events = data({ functions: [kill], eventTriggerFunctions: [kill.oid] });
    assert.equal(resolve(events, 'SELECT 1').risk, 'low');
    assert.equal(resolve(events, 'CREATE TABLE x (a int)').risk, 'critical');
  });

  it('a stored body that does not parse is critical, never skipped', () => {
    const broken = fn({ name: 'broken', body: { form: 'sql', text: 'BEGIN ATOMIC oops' } });
    assert.equal(resolve(data({ functions: [broken] }), 'SELECT broken()').risk, 'critical');
  });

  it('resolution only raises: it never lowers what the classifier said', () => {
    const catalog = data({ functions: [builtin('pg_terminate_backend', 2)] });
    assert.equal(resolve(catalog, 'SELECT pg_terminate_backend(1)').risk, 'critical');
    assert.equal(resolve(catalog, 'DROP TABLE t').risk, 'critical');
  });
});

describe('catalog resolution: writes bounded by a unique key', () => {
  let classifier: SqlClassifier;
  before(async () => {
    classifier = await createSqlClassifier({ cacheSize: 0 });
  });
  const keyed = (sql: string, extra: Partial<CatalogData> = {}) => {
    const catalog: CatalogData = { functions: [], operators: [], relations: [], domainFunctions: new Map(), ambientFunctions: [], eventTriggerFunctions: [], uniqueKeys: [{ schema: 'public', relation: 'accounts', column: 'aid' }], ...extra };
    return new CatalogResolution(new CatalogSnapshot(catalog, 1), (code) => classifier.classifyStored(code)).refine(classifier.classify(sql)).facts.flags.includes('write_by_key');
  };

  it('marks UPDATE and DELETE that pin a unique column with =', () => {
    assert.equal(keyed('UPDATE accounts SET abalance = abalance + 1 WHERE aid = 7'), true);
    assert.equal(keyed('UPDATE public.accounts SET x = 1 WHERE aid = $1 AND bid = 3'), true);
    assert.equal(keyed('DELETE FROM accounts a WHERE a.aid = 42'), true);
  });

  it('does not mark anything else', () => {
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE aid > 7'), false);
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE aid = 7 OR bid = 1'), false);
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE aid = bid'), false, 'a column compared to a column');
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE bid = 7'), false, 'not a unique column');
    assert.equal(keyed('UPDATE other SET x = 1 WHERE aid = 7'), false, 'another table');
    assert.equal(keyed('UPDATE elsewhere.accounts SET x = 1 WHERE aid = 7'), false, 'another schema');
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE aid OPERATOR(public.=) 7'), false, 'a user equality');
    assert.equal(keyed('WITH d AS (DELETE FROM accounts WHERE aid = 1 RETURNING *) SELECT * FROM d'), false, 'a write in a CTE');
    const trigger = { oid: 1, schema: 'public', name: 'accounts', readFunctions: [], writeFunctions: [], baseRelations: [], rules: [], triggers: ['t'] };
    assert.equal(keyed('UPDATE accounts SET x = 1 WHERE aid = 7', { relations: [trigger] }), false, 'user code runs with it');
  });
});
