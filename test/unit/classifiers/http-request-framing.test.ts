import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestFraming } from '../../../src/classifiers/http/request-framing.js';

const refused: Array<[string, string[]]> = [
  ['CL and TE', ['Content-Length', '5', 'Transfer-Encoding', 'chunked']],
  ['duplicate CL', ['Content-Length', '5', 'Content-Length', '5']],
  ['conflicting CL', ['Content-Length', '5', 'Content-Length', '6']],
  ['CL list', ['Content-Length', '5, 6']],
  ['negative CL', ['Content-Length', '-1']],
  ['TE chunked, identity', ['Transfer-Encoding', 'chunked, identity']],
  ['TE identity', ['Transfer-Encoding', 'identity']],
  ['TE twice', ['Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked']],
  ['TE gzip', ['Transfer-Encoding', 'gzip, chunked']],
  ['obs-fold', ['X-A', 'a\r\n b']],
  ['NUL in value', ['X-A', 'a\u0000b']],
  ['space in name', ['Content-Length ', '5']],
  ['two Hosts', ['Host', 'a', 'Host', 'b']],
  ['lower-case override', ['X-HTTP-Method-Override', 'delete']],
  ['conflicting overrides', ['X-HTTP-Method-Override', 'DELETE', 'X-Method-Override', 'PUT']],
];

describe('HTTP request framing', () => {
  for (const [name, headers] of refused) {
    it(`refuses ${name}`, () => {
      assert.equal(checkRequestFraming('POST', headers).ok, false);
    });
  }
  it('accepts a plain Content-Length', () => {
    assert.deepEqual(checkRequestFraming('POST', ['Host', 'a', 'Content-Length', '5']), { ok: true, bodyLength: 5, effectiveMethod: 'POST' });
  });
  it('accepts chunked in any case', () => {
    assert.deepEqual(checkRequestFraming('POST', ['Transfer-Encoding', 'Chunked']), { ok: true, bodyLength: 'chunked', effectiveMethod: 'POST' });
  });
  it('takes _method in the query as the effective method and refuses ambiguous ones', () => {
    assert.deepEqual(checkRequestFraming('POST', [], 'a=1&_method=DELETE'), { ok: true, bodyLength: 0, effectiveMethod: 'DELETE' });
    assert.deepEqual(checkRequestFraming('POST', [], '%5Fmethod=PUT'), { ok: true, bodyLength: 0, effectiveMethod: 'PUT' });
    assert.equal(checkRequestFraming('POST', [], '_method=delete').ok, false);
    assert.equal(checkRequestFraming('POST', [], '_method=DELETE&_method=PUT').ok, false);
    assert.equal(checkRequestFraming('POST', ['X-HTTP-Method-Override', 'PUT'], '_METHOD=DELETE').ok, false);
    assert.deepEqual(checkRequestFraming('GET', [], 'method=DELETE'), { ok: true, bodyLength: 0, effectiveMethod: 'GET' });
  });
  it('takes the overridden method as the effective one', () => {
    assert.deepEqual(checkRequestFraming('POST', ['X-HTTP-Method-Override', 'DELETE']), { ok: true, bodyLength: 0, effectiveMethod: 'DELETE' });
    assert.deepEqual(checkRequestFraming('POST', ['x-method-override', 'DELETE', 'X-HTTP-Method', 'DELETE']), { ok: true, bodyLength: 0, effectiveMethod: 'DELETE' });
  });
});
