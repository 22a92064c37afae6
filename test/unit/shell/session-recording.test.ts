import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ForbiddenError } from '../../../src/errors.js';
import { allowVerdict, denyVerdict } from '../../../src/gate/verdicts.js';
import type { Principal } from '../../../src/model/principal.js';
import { parseAsciicast } from '../../../src/protocols/shell/asciicast.js';
import { type RecordInput, SessionRecording } from '../../../src/protocols/shell/session-recording.js';
import { ManualClock } from '../../../src/time/clock.js';

const root = mkdtempSync(join(tmpdir(), 'airlock-recording-'));
after(() => rmSync(root, { recursive: true, force: true }));

const principal = { subject: 'alice' } as Principal;
let n = 0;

async function start(recordInput: RecordInput, extra: { terminal?: boolean; command?: string } = {}) {
  const recording = await SessionRecording.start({
    settings: { dir: root, required: true, recordInput, bufferBytes: 1 << 20 },
    clock: new ManualClock(),
    sessionId: `s${++n}`,
    channelNumber: 1,
    principal,
    target: 'box',
    source: '127.0.0.1',
    kind: extra.command === undefined ? 'shell' : 'exec',
    terminal: extra.terminal === false ? null : { term: 'xterm-256color', cols: 120, rows: 30 },
    ...(extra.command === undefined ? {} : { command: extra.command }),
    onFailure: () => undefined,
  });
  const sent: string[] = [];
  const channel = {
    write: (data: unknown) => sent.push(String(data)) > 0,
    stderr: { write: (data: unknown) => sent.push(`E:${String(data)}`) > 0 },
  };
  recording.tee(channel);
  return { recording, channel, sent };
}

async function eventsOf(recording: SessionRecording) {
  const summary = await recording.finish();
  return { summary, ...parseAsciicast(readFileSync(summary.file, 'utf8')) };
}

describe('session recording (what a channel records)', () => {
  it('tees stdout and stderr to the client unchanged and records them as output, whole UTF-8 characters only', async () => {
    const { recording, channel, sent } = await start('lines');
    const euro = Buffer.from('€', 'utf8');
    channel.write(Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]));
    channel.write(euro.subarray(1));
    channel.stderr.write('oops\n');
    assert.equal(sent.length, 3, 'everything still reaches the client');
    const { header, events, summary } = await eventsOf(recording);
    assert.equal(header.width, 120);
    assert.deepEqual(header.env, { TERM: 'xterm-256color' });
    assert.equal(header.title, 'alice@box');
    assert.equal(events.map((e) => e.data).join(''), 'price €oops\n');
    assert.equal(summary.subject, 'alice');
    assert.equal(summary.kind, 'shell');
  });

  for (const [mode, expected] of [
    ['lines', ['ls -l\n']],
    ['all', ['ls -l\n', 'typed-raw\r']],
    ['none', []],
  ] as const) {
    it(`record_input: ${mode}`, async () => {
      const { recording } = await start(mode);
      recording.checking('ls -l');
      recording.rawInput('typed-raw\r');
      const { events } = await eventsOf(recording);
      assert.deepEqual(events.filter((e) => e.code === 'i').map((e) => e.data), expected);
    });
  }

  it('markers for holds and verdicts name the outcome, the approval id and the command; resizes are r events', async () => {
    const { recording } = await start('none', { terminal: false, command: 'rm -rf /tmp/x' });
    recording.held({ approvalId: 'A1', kind: 'approval', message: 'held', command: 'airlock approve A1', expiresAt: 0 }, 'rm -rf /tmp/x');
    recording.decided(allowVerdict({ risk: 'high', requirement: 'approval', path: 'approval', rules: [], reason: 'approved', decidedBy: ['bob'], approvalId: 'A1' }), 'rm -rf /tmp/x');
    recording.decided(denyVerdict({ risk: 'high', requirement: 'approval', path: 'approval', rules: [], reason: 'not now', decidedBy: ['bob'], approvalId: 'A2', error: new ForbiddenError('not now') }), 'rm -rf /tmp/y');
    recording.decided(denyVerdict({ risk: 'high', requirement: 'approval', path: 'cancel', rules: [], reason: 'cancelled', approvalId: 'A3', error: new ForbiddenError('x') }), 'rm -rf /tmp/z');
    recording.resize(100, 40);
    const { header, events } = await eventsOf(recording);
    assert.equal(header.width, 80, 'an exec without a PTY is recorded as 80x24');
    assert.equal(header.title, 'alice@box: rm -rf /tmp/x');
    assert.deepEqual(
      events.map((e) => `${e.code} ${e.data}`),
      [
        'm held for approval (id A1): rm -rf /tmp/x',
        'm approved by bob (id A1): rm -rf /tmp/x',
        'm denied by bob (id A2): not now: rm -rf /tmp/y',
        'm withdrawn (id A3): rm -rf /tmp/z',
        'r 100x40',
      ],
    );
  });
});
