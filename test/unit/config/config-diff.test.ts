import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDiff, diffConfigs, isEmptyDiff, reloadRefusals } from '../../../src/config/config-diff.js';
import { parseConfig } from '../../../src/config/load.js';

const base = `
targets:
  - { name: app, protocol: postgres }
  - { name: reports, protocol: postgres }
policy:
  rules:
    - { id: no-drops, match: { kinds: [drop] }, require: deny }
    - { id: selects, match: { kinds: [select] }, require: allow }
`;
const config = (yaml: string) => parseConfig(yaml, 'test.yaml', {});

describe('config diff and reload refusals', () => {
  it('sees nothing between a file and itself', () => {
    assert.ok(isEmptyDiff(diffConfigs(config(base), config(base))));
  });

  it('refuses a reload that drops a target, a rule or a listener, unless the new file allows removals', () => {
    const dropped = base.replace('  - { name: reports, protocol: postgres }\n', '').replace("    - { id: selects, match: { kinds: [select] }, require: allow }\n", '') + 'postgres: { enabled: false }\n';
    const diff = diffConfigs(config(base), config(dropped));
    assert.deepEqual(diff.targets.removed, ['reports']);
    assert.deepEqual(diff.rules.removed, ['selects']);
    assert.deepEqual(diff.listeners.removed, ['postgres']);
    const refusals = reloadRefusals(config(base), config(dropped));
    assert.equal(refusals.length, 4);
    assert.match(refusals.join('; '), /remove target\(s\) reports.*stop listener\(s\) postgres.*remove policy rule\(s\) selects.*allow_removals/);
    assert.deepEqual(reloadRefusals(config(base), config(`${dropped}reload: { allow_removals: true }\n`)), []);
  });

  it('accepts additions and changes, and describes them', () => {
    const grown = `${base}    - { id: more, match: { kinds: [insert] }, require: step_up }\n`;
    assert.deepEqual(reloadRefusals(config(base), config(grown)), []);
    assert.deepEqual(describeDiff(diffConfigs(config(base), config(grown))), ['+ rule more']);
    assert.deepEqual(describeDiff(diffConfigs(config(base), config(base.replace('require: deny', 'require: allow')))), ['~ rule no-drops']);
  });
});
