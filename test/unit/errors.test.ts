import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as errors from '../../src/errors.js';

describe('error list', () => {
  const classes = Object.values(errors).filter(
    (value): value is typeof errors.AirlockError => typeof value === 'function' && value.prototype instanceof errors.AirlockError,
  );

  it('gives every error class a unique, documented code', () => {
    const codes = classes.map((c) => (c as unknown as { code: string }).code);
    assert.equal(new Set(codes).size, codes.length, `duplicate codes: ${codes.join(', ')}`);
    for (const code of codes) {
      assert.match(code, /^AIRLOCK_[A-Z_]+$/);
      assert.ok(errors.ERROR_CODES[code], `${code} is not documented in ERROR_CODES`);
    }
    assert.deepEqual(Object.keys(errors.ERROR_CODES).sort(), [...codes].sort(), 'ERROR_CODES lists exactly the classes');
  });

  it('puts the code on instances too, and hides unsafe errors from clients', () => {
    const e = new errors.SelfApprovalError('no');
    assert.equal(e.code, 'AIRLOCK_SELF_APPROVAL');
    assert.equal(errors.toClientError(new Error('secret detail')).message, 'internal error');
    assert.equal(errors.toClientError(e), e);
  });
});
