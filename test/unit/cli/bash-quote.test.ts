import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { quoteCommand, quoteWord } from '../../../cmd/support/bash-quote.js';

/** What bash makes of a command line: the argv it would run, printed NUL-separated by printf. */
function bashArgv(line: string): string[] {
  const result = spawnSync('/bin/bash', ['--noprofile', '--norc', '-c', `printf '%s\\0' ${line}`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', IFS_TEST: 'x' } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\0').slice(0, -1);
}

// `airlock exec box -- ARGS` sends one bash command line: what runs must be exactly ARGS.
describe('bash quoting of airlock exec arguments', () => {
  const nasty = [
    'plain',
    '',
    ' ',
    'two words',
    "it's",
    "''",
    '"double"',
    '$HOME',
    '${PATH}',
    '$(touch /tmp/airlock-quote-pwned)',
    '`id`',
    'a;b',
    'a && b || c',
    'x|y',
    '>out',
    '<in',
    '2>&1',
    '*',
    '?',
    '[a-z]',
    '~',
    '~root',
    '{a,b}',
    '!!',
    '!$',
    '#comment',
    'back\\slash',
    'trailing\\',
    'line\nbreak',
    'tab\there',
    'carriage\rreturn',
    '\x01\x1b[31mansi',
    'ünïcödé ✓ 漢字',
    '-rf',
    '--',
    '=',
    'a=b',
    "'; rm -rf / #",
    "\\'",
    '%s%n',
  ];

  it('every nasty argument comes back from bash unchanged, alone and all together', () => {
    for (const arg of nasty) assert.deepEqual(bashArgv(quoteWord(arg)), [arg], JSON.stringify(arg));
    assert.deepEqual(bashArgv(quoteCommand(nasty)), nasty);
  });

  it('plain words stay readable (what approvers see)', () => {
    assert.equal(quoteCommand(['rm', '-rf', '/tmp/dir']), 'rm -rf /tmp/dir');
    assert.equal(quoteCommand(['sh', '-c', 'exit 7']), "sh -c 'exit 7'");
    assert.equal(quoteWord("it's"), `'it'\\''s'`);
    assert.equal(quoteWord(''), "''");
  });
});
