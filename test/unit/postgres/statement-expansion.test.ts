import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSqlClassifier, type SqlClassifier } from '../../../src/classifiers/sql/index.js';
import { UNCERTAIN, type Prediction } from '../../../src/protocols/postgres/protocol-state.js';
import { readStatementEffects } from '../../../src/protocols/postgres/statement-details.js';
import { expandExecute } from '../../../src/protocols/postgres/statement-expansion.js';
import type { GatedCommand } from '../../../src/protocols/postgres/statement-gate.js';
import type { StatementEntry } from '../../../src/protocols/postgres/statement-registry.js';

describe('SQL-level EXECUTE expansion', () => {
  let classifier: SqlClassifier;
  const held = new Map<string, StatementEntry>();
  const entry = (text: string): StatementEntry => ({ text, classification: classifier.classify(text) });
  const lookup = (name: string): Prediction => held.get(name);
  const expand = (text: string, find: (name: string) => Prediction = lookup): GatedCommand => {
    const classification = classifier.classify(text);
    const gated = expandExecute(text, classification, readStatementEffects(classification), find, entry);
    assert.notEqual(gated, UNCERTAIN);
    return gated as GatedCommand;
  };

  before(async () => {
    classifier = await createSqlClassifier({ cacheSize: 0 });
    held.set('readacl', entry('SELECT relacl FROM pg_class WHERE oid = $1'));
    held.set('wipe', entry('DELETE FROM orders'));
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

  it('follows the statements in order: an EXECUTE before a re-PREPARE runs what the server holds', () => {
    const gated = expand('EXECUTE wipe; DEALLOCATE wipe; PREPARE wipe AS SELECT 1');
    assert.match(gated.command, /-- wipe: DELETE FROM orders/);
    assert.equal(gated.classification.facts.flags.includes('no_where'), true);
  });

  it('after DEALLOCATE ALL in the same string a name is unknown, not the old text', () => {
    const gated = expand('DEALLOCATE ALL; EXECUTE readacl(1)');
    assert.match(gated.command, /not prepared through Airlock/);
    assert.equal(gated.classification.risk, 'high');
  });

  it('answers UNCERTAIN when the server state is not known yet', () => {
    const classification = classifier.classify('EXECUTE wipe');
    assert.equal(expandExecute('EXECUTE wipe', classification, readStatementEffects(classification), () => UNCERTAIN, entry), UNCERTAIN);
  });
});
