import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlobs } from '../../../src/policy/glob.js';

describe('config globs', () => {
  it('match exact names, * and ? as before', () => {
    const match = compileGlobs(['public.orders', 'prod-*', 'db?']);
    assert.ok(match('public.orders'));
    assert.ok(match('prod-eu'));
    assert.ok(match('db1'));
    assert.ok(!match('public.order'));
    assert.ok(!match('db12'));
  });

  it('read {name} as exactly one path segment (HTTP path templates)', () => {
    const match = compileGlobs(['/indices/{index}', '/users/{id}/roles/{role}']);
    assert.ok(match('/indices/logs-2024'));
    assert.ok(match('/users/7/roles/admin'));
    assert.ok(!match('/indices/'));
    assert.ok(!match('/indices/a/b'));
    assert.ok(!match('/users/7/roles'));
  });

  it('escape regular-expression characters in names', () => {
    const match = compileGlobs(['a.b+(c)*']);
    assert.ok(match('a.b+(c)x'));
    assert.ok(!match('aXb+(c)x'));
  });
});
