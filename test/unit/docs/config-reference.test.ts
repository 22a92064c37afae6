import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { replaceConfigReference } from '../../../scripts/config-reference.js';

describe('README configuration reference', () => {
  it('is the table generated from the schema (run `npx tsx scripts/config-reference.ts --write`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.equal(readme, replaceConfigReference(readme));
  });
});
