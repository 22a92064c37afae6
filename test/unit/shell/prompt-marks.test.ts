import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { type OutputSegment, PromptMarks } from '../../../src/protocols/shell/prompt-marks.js';

const NONCE = 'n0nce0123456789abcdef012';
const mark = (cwd: string) => `\x1b]133;A;airlock=${NONCE};cwd=${cwd}\x07`;

function joined(segments: OutputSegment[]): OutputSegment[] {
  const out: OutputSegment[] = [];
  for (const s of segments) {
    const last = out.at(-1);
    if (s.kind === 'output' && last?.kind === 'output') out[out.length - 1] = { kind: 'output', text: last.text + s.text };
    else out.push(s);
  }
  return out;
}

describe('shell prompt marks', () => {
  const stream = `total 0\r\n${mark('/srv/app')}box:/srv/app$ `;
  const expected: OutputSegment[] = [
    { kind: 'output', text: 'total 0\r\n' },
    { kind: 'prompt', cwd: '/srv/app', state: null },
    { kind: 'output', text: 'box:/srv/app$ ' },
  ];

  it('strips the mark and reports the prompt with its directory', () => {
    assert.deepEqual(joined(new PromptMarks(NONCE).scan(stream)), expected);
  });

  it('finds a mark split across chunks at every offset, and never shows part of it', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const marks = new PromptMarks(NONCE);
      const segments = [...marks.scan(stream.slice(0, cut)), ...marks.scan(stream.slice(cut))];
      assert.deepEqual(joined(segments), expected, `cut at ${cut}`);
    }
  });

  it('byte by byte', () => {
    const marks = new PromptMarks(NONCE);
    const segments = [...stream].flatMap((ch) => marks.scan(ch));
    assert.deepEqual(joined(segments), expected);
  });

  it('a mark with another nonce is ordinary output (a program printing one cannot fake it)', () => {
    const fake = '\x1b]133;A;airlock=other;cwd=/\x07';
    assert.deepEqual(joined(new PromptMarks(NONCE).scan(`x${fake}y`)), [{ kind: 'output', text: `x${fake}y` }]);
  });

  it('a directory bash reported with replaced control characters, or not absolute, is unknown', () => {
    assert.deepEqual(new PromptMarks(NONCE).scan(mark('/tmp/a?b')), [{ kind: 'prompt', cwd: null, state: null }]);
    assert.deepEqual(new PromptMarks(NONCE).scan(mark('relative')), [{ kind: 'prompt', cwd: null, state: null }]);
  });

  it('the prompt mark carries the shell state after a separator, up to 64 KiB', () => {
    assert.deepEqual(new PromptMarks(NONCE).scan(mark('/srv\x1fdeclare -x PATH="/bin"|f')), [{ kind: 'prompt', cwd: '/srv', state: 'declare -x PATH="/bin"|f' }]);
    const big = 'x'.repeat(60_000);
    const marks = new PromptMarks(NONCE);
    const text = mark(`/srv\x1f${big}`);
    const segments = [...marks.scan(text.slice(0, 30_000)), ...marks.scan(text.slice(30_000))];
    assert.deepEqual(segments, [{ kind: 'prompt', cwd: '/srv', state: big }]);
  });

  it('an unfinished prefix at the end is held back, then flushed when the program ends', () => {
    const marks = new PromptMarks(NONCE);
    assert.deepEqual(marks.scan('abc\x1b]13'), [{ kind: 'output', text: 'abc' }]);
    assert.equal(marks.flush(), '\x1b]13');
  });

  it('knows raw input that would spell the nonce, even typed one key at a time', () => {
    const marks = new PromptMarks(NONCE);
    assert.equal(marks.spellsNonce('', `x${NONCE}\n`), true);
    assert.equal(marks.spellsNonce(NONCE.slice(0, 10), NONCE.slice(10)), true);
    assert.equal(marks.spellsNonce('', 'ls\r'), false);
  });

  it('the release line is a bash comment (inert should bash ever read it as a command)', () => {
    const marks = new PromptMarks(NONCE);
    const result = spawnSync('bash', ['--noprofile', '--norc', '-c', `${marks.releaseLine.replace('\x15', '').trim()}\necho after`], { encoding: 'utf8' });
    assert.equal(result.stdout, 'after\n');
  });

  it('the hooks make bash print the mark with its cwd, hand back lines typed ahead, and wait for the release line', () => {
    const marks = new PromptMarks(NONCE);
    const hooks = marks.hooks('box');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-c', 'cd /tmp && eval "$PROMPT_COMMAND" && echo released'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...hooks },
      // Keys typed ahead (one with an escape sequence), a bare nonce, then the release after junk on the same line.
      input: `typed ahead\nls \x1b[A-l\n${NONCE}\njunk${marks.releaseLine}`,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    const segments = joined(marks.scan(result.stdout));
    const prompt = segments[0] as { kind: 'prompt'; state: string | null };
    assert.match(prompt.state ?? '', /declare -x PATH="[^"]+"/);
    assert.deepEqual(segments, [
      { kind: 'prompt', cwd: '/tmp', state: prompt.state },
      { kind: 'typed', line: 'typed ahead' },
      { kind: 'typed', line: 'ls [A-l' },
      { kind: 'typed', line: NONCE },
      { kind: 'output', text: 'released\n' },
    ]);
  });

  it('the reported state follows what a line changed, however it changed it', () => {
    const marks = new PromptMarks(NONCE);
    const hooks = marks.hooks('box');
    const stateAfter = (line: string): string | null => {
      const result = spawnSync('bash', ['--noprofile', '--norc', '-c', `${line}\neval "$PROMPT_COMMAND"`], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...hooks },
        input: marks.releaseLine,
        encoding: 'utf8',
      });
      const prompt = marks.scan(result.stdout).find((s) => s.kind === 'prompt');
      return prompt?.kind === 'prompt' ? prompt.state : null;
    };
    const baseline = stateAfter(':');
    assert.ok(baseline);
    assert.equal(stateAfter('x=1; cd /tmp'), baseline);
    for (const line of ["x='PATH=0'; (( x ))", "x='BASH_ENV=5'; : $(( x ))", 'ls() { :; }', "alias ls='rm'", "trap 'echo' USR1", 'enable -n echo', 'shopt -s extglob', 'set -o noglob', 'CDPATH=/etc', 'export LD_PRELOAD=/tmp/x.so']) {
      assert.notEqual(stateAfter(line), baseline, line);
    }
  });

  it('the prompt ends with the ready mark', () => {
    const marks = new PromptMarks(NONCE);
    const ps1 = marks.hooks('box')['PS1'] as string;
    assert.deepEqual(joined(marks.scan(`${ps1.replace('\\w', '/srv').replace('\\$', '$')}`)), [{ kind: 'output', text: 'box:/srv$ ' }, { kind: 'ready' }]);
  });
});
