import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier, type SqlClassifier } from '../../../src/classifiers/sql/index.js';
import { readStatementDetails } from '../../../src/protocols/postgres/statement-details.js';
import { expandExecute } from '../../../src/protocols/postgres/statement-expansion.js';
import { StatementRegistry, type StatementEntry } from '../../../src/protocols/postgres/statement-registry.js';

describe('SQL-level EXECUTE expansion', () => {
  let classifier: SqlClassifier;
  const registry = new StatementRegistry();
  const entry = (text: string): StatementEntry => ({ text, classification: classifier.classify(text) });
  const expand = (text: string) => {
    const classification = classifier.classify(text);
    return expandExecute(text, classification, readStatementDetails(classification), registry, entry);
  };

  before(async () => {
    classifier = await createSqlClassifier({ cacheSize: 0 });
    registry.statements.set('readacl', entry('SELECT relacl FROM pg_class WHERE oid = $1'));
    registry.statements.set('wipe', entry('DELETE FROM orders'));
  });

  it('gives a lone EXECUTE the risk of the statement it runs, and shows that text', () => {
    const read = expand("EXECUTE readacl('6100')");
    assert.equal(read.classification.risk, 'low');
    assert.match(read.command, /-- readacl: SELECT relacl FROM pg_class/);
    const wipe = expand('EXECUTE wipe');
    assert.equal(wipe.classification.risk, 'high');
    assert.ok(wipe.classification.facts.flags.includes('no_where'));
  });

  it('keeps an unknown prepared name high', () => {
    assert.equal(expand('EXECUTE never_prepared').classification.risk, 'high');
  });

  it('keeps the riskiest statement of a multi-statement string', () => {
    assert.equal(expand("EXECUTE readacl('1'); DROP TABLE orders").classification.risk, 'critical');
    assert.equal(expand('PREPARE p AS DELETE FROM t; EXECUTE p').classification.risk, 'high');
  });
});
