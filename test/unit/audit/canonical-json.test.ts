import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { compileRedactor } from '../../../src/logging/redactor.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth by UTF-16 code units, without whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, B: true, '10': 'x', '9': 'y' }), '{"10":"x","9":"y","B":true,"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same text after a parse round trip, whatever the input order', () => {
    const value = { s: 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 😀 lone \ud800', n: [0, -0, 1.5e300, 5e-324, 123456789012345680000], u: undefined, f: () => 1, d: new Date(0), nested: { '': 1, é: 2, e: 3 } };
    const text = canonicalJson(value);
    assert.equal(canonicalJson(JSON.parse(text)), text);
    const reordered = JSON.parse(text) as Record<string, unknown>;
    assert.equal(canonicalJson(Object.fromEntries(Object.entries(reordered).reverse())), text);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
  });

  it('writes what JSON.stringify cannot (cycles, bigint, non-finite numbers) without throwing', () => {
    const cyclic: Record<string, unknown> = { n: Number.NaN, i: Number.POSITIVE_INFINITY, b: 2n };
    cyclic.self = cyclic;
    cyclic.list = [cyclic];
    assert.equal(canonicalJson(cyclic), '{"b":"2","i":null,"list":["[Circular]"],"n":null,"self":"[Circular]"}');
    const shared = { x: 1 };
    assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}', 'a shared object is not a cycle');
  });

  it('censors secret keys, configured paths and credentials in text while serializing', () => {
    const redactor = compileRedactor({ paths: ['data.ticket', 'data.items[*].note', "data['odd-key']"] });
    const text = canonicalJson(
      {
        code: '123456',
        data: { code: '654321', ticket: 'T-1', items: [{ note: 'n1', keep: 1 }], 'odd-key': 'o', password: 'p', nested: { code: 'ERR_X', clientSecret: 's' } },
        url: 'postgres://app:pw-123@db:5432/x',
      },
      redactor,
    );
    assert.equal(
      text,
      '{"code":"[Redacted]","data":{"code":"[Redacted]","items":[{"keep":1,"note":"[Redacted]"}],"nested":{"clientSecret":"[Redacted]","code":"ERR_X"},"odd-key":"[Redacted]","password":"[Redacted]","ticket":"[Redacted]"},"url":"postgres://app:[Redacted]@db:5432/x"}',
    );
  });

  it('rejects a malformed redaction path when the audit log is created', () => {
    assert.throws(() => createAuditLog({ file: '-', redact: ['a..b'] }), TypeError);
    assert.throws(() => compileRedactor({ paths: ['a["b'] }), /invalid redaction path/);
  });
});
