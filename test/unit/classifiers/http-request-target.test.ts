import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseMethod, normaliseRequestTarget } from '../../../src/classifiers/http/request-target.js';

const normalised: Array<[string, string, string]> = [
  ['/admin/../admin/delete', '/admin/delete', ''],
  ['/a/./b', '/a/b', ''],
  ['//admin//users', '/admin/users', ''],
  ['/admin;jsessionid=1/users', '/admin/users', ''],
  ['/%61dmin/users', '/admin/users', ''],
  ['/../../etc', '/etc', ''],
  ['/indices/logs?q=1', '/indices/logs', 'q=1'],
  ['/users/', '/users/', ''],
  ['/', '/', ''],
  ['/caf%C3%A9', '/caf%C3%A9', ''],
];

const refused: string[] = [
  '/admin%2fdelete',
  '/admin%2Fdelete',
  '/%2e%2e/admin',
  '/admin/%2E%2E/x',
  '/a%00b',
  '/a%5cb',
  '/a%zz',
  '/a%2',
  'http://other.example/admin',
  '*',
  '',
  '/a b',
  '/a\\b',
  '/a#frag',
  '/café',
];

describe('HTTP request target normalisation', () => {
  for (const [input, path, query] of normalised) {
    it(`normalises ${JSON.stringify(input)} to ${path}`, () => {
      const result = normaliseRequestTarget(input);
      assert.ok(result.ok);
      assert.deepEqual({ path: result.path, query: result.query }, { path, query });
    });
  }
  for (const input of refused) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.equal(normaliseRequestTarget(input).ok, false);
    });
  }
  it('accepts only upper-case method tokens', () => {
    assert.equal(normaliseMethod('DELETE'), 'DELETE');
    assert.equal(normaliseMethod('delete'), undefined);
    assert.equal(normaliseMethod('DeLeTe'), undefined);
    assert.equal(normaliseMethod('GET '), undefined);
  });
});
