import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createClassifier } from '../../../src/classifiers/create-classifier.js';
import type { CommandClassifier } from '../../../src/classifiers/command-classifier.js';
import { createShellClassifier } from '../../../src/classifiers/shell/index.js';
import { SHELL_CASE_GROUPS, type ShellCase } from './shell-cases.js';

let classifier: CommandClassifier;
before(async () => {
  classifier = await createClassifier('shell');
});

function check(c: ShellCase): void {
  const r = classifier.classify(c.line);
  const show = JSON.stringify(r.facts);
  assert.equal(r.risk, c.risk, `risk of ${JSON.stringify(c.line)}: ${show}`);
  for (const k of c.kinds ?? []) assert.ok(r.facts.kinds.includes(k), `kind ${k} missing: ${show}`);
  for (const f of c.flags ?? []) assert.ok(r.facts.flags.includes(f), `flag ${f} missing: ${show}`);
}

describe('shell classifier: the table has at least 100 cases', () => {
  it('counts', () => {
    const n = Object.values(SHELL_CASE_GROUPS).reduce((s, g) => s + g.length, 0);
    assert.ok(n >= 100, `${n} cases`);
  });
});

for (const [group, cases] of Object.entries(SHELL_CASE_GROUPS)) {
  describe(`shell classifier: ${group}`, () => {
    for (const c of cases) it(JSON.stringify(c.line.length > 200 ? `${c.line.slice(0, 60)}…` : c.line), () => check(c));
  });
}

describe('shell classifier: completeness', () => {
  const shell = createShellClassifier();
  it('tells incomplete input from invalid input', () => {
    assert.equal(shell.completeness('ls -la'), 'complete');
    assert.equal(shell.completeness("echo 'open"), 'incomplete');
    assert.equal(shell.completeness('while true; do'), 'incomplete');
    assert.equal(shell.completeness('echo )'), 'invalid');
  });
  it('without a SQL classifier, psql -c is high rather than guessed', () => {
    const r = shell.classify("psql -c 'SELECT 1'");
    assert.equal(r.risk, 'high');
    assert.ok(r.facts.flags.includes('sql_not_classified'));
  });
  it('resolves relative paths against the tracked working directory', () => {
    assert.equal(shell.classifyIn('echo hi > out.txt', '/tmp').risk, 'low');
    assert.equal(shell.classifyIn('echo hi > passwd', '/etc').risk, 'high');
    assert.equal(shell.classifyIn('rm -rf ..', '/tmp').risk, 'critical');
    // `..` is resolved by the kernel after symbolic links: /tmp/a may link anywhere, so ../x may be a system path.
    assert.equal(shell.classifyIn('rm -rf ../x', '/tmp/a').risk, 'critical');
    assert.equal(shell.classifyIn('rm -rf x', '/tmp/a').risk, 'high');
    assert.deepEqual(shell.classifyIn('echo hi > out.txt', '/srv').facts.objects, ['/srv/out.txt']);
  });
  it('never throws on hostile input', () => {
    for (const line of ['', ' ', '\u0000', '$((', '<<<', '((((((((((', 'a'.repeat(10_000), '$(' .repeat(200)]) {
      const r = shell.classify(line);
      assert.ok(['low', 'medium', 'high', 'critical'].includes(r.risk));
    }
  });
});
