import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAsciicast } from '../../../src/protocols/shell/asciicast.js';
import { type RecorderOptions, SessionRecorder } from '../../../src/protocols/shell/session-recorder.js';
import { ManualClock } from '../../../src/time/clock.js';

const root = mkdtempSync(join(tmpdir(), 'airlock-recorder-'));
after(() => rmSync(root, { recursive: true, force: true }));

function options(name: string, over: Partial<RecorderOptions> = {}): RecorderOptions & { failures: string[] } {
  const failures: string[] = [];
  return {
    dir: join(root, 'recordings'),
    name,
    header: { width: 80, height: 24, env: { TERM: 'xterm' }, title: 'alice@box' },
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    maxBufferBytes: 1 << 20,
    required: true,
    onFailure: (reason) => failures.push(reason),
    failures,
    ...over,
  };
}

describe('session recorder (asciicast v2 writer)', () => {
  it('writes the header and events, with times from the session start, monotonic even if the clock steps back', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const recorder = await SessionRecorder.open(options('timing', { clock }));
    recorder.output('$ ');
    clock.advance(1500);
    recorder.input('ls\n');
    recorder.marker('allowed (low risk, policy): ls');
    clock.advance(-1000);
    recorder.output('a\x1b[0m"b"\r\n');
    clock.advance(2000);
    recorder.resize(100, 40);
    const summary = await recorder.close();
    const text = readFileSync(summary.file, 'utf8');
    const { header, events } = parseAsciicast(text);
    assert.deepEqual(header, { version: 2, width: 80, height: 24, env: { TERM: 'xterm' }, title: 'alice@box', timestamp: Date.UTC(2026, 0, 1) / 1000 });
    assert.deepEqual(events, [
      { time: 0, code: 'o', data: '$ ' },
      { time: 1.5, code: 'i', data: 'ls\n' },
      { time: 1.5, code: 'm', data: 'allowed (low risk, policy): ls' },
      { time: 1.5, code: 'o', data: 'a\x1b[0m"b"\r\n' },
      { time: 2.5, code: 'r', data: '100x40' },
    ]);
    assert.equal(summary.events, 5);
    assert.equal(summary.bytes, Buffer.byteLength(text));
    assert.equal(summary.sha256, createHash('sha256').update(readFileSync(summary.file)).digest('hex'));
  });

  it('creates the file 0600 in a 0700 directory, narrows a wider directory, and never reuses a file', async () => {
    const dir = join(root, 'modes');
    const recorder = await SessionRecorder.open(options('modes', { dir }));
    const { file } = await recorder.close();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await assert.rejects(SessionRecorder.open(options('modes', { dir })), /EEXIST/);
    const wide = join(root, 'wide');
    await SessionRecorder.open(options('first', { dir: wide })).then((r) => r.close());
    const { chmodSync } = await import('node:fs');
    chmodSync(wide, 0o755);
    await SessionRecorder.open(options('second', { dir: wide })).then((r) => r.close());
    assert.equal(statSync(wide).mode & 0o777, 0o700);
  });

  it('required: a full buffer (the disk behind) fails once, and nothing more is recorded', async () => {
    const opts = options('full-required', { maxBufferBytes: 4096 });
    const recorder = await SessionRecorder.open(opts);
    // All in one tick: the first write is still in flight, so the queue only grows.
    for (let i = 0; i < 100; i++) recorder.output('x'.repeat(100));
    assert.equal(opts.failures.length, 1);
    assert.match(opts.failures[0] as string, /buffer is full/);
    assert.match(recorder.failed ?? '', /buffer is full/);
    const summary = await recorder.close();
    assert.match(summary.failure ?? '', /buffer is full/);
    const { events } = parseAsciicast(readFileSync(summary.file, 'utf8'));
    assert.ok(events.length > 0 && events.length < 100, `${events.length} events`);
    assert.equal(summary.sha256, createHash('sha256').update(readFileSync(summary.file)).digest('hex'));
  });

  it('not required: dropped events are counted and a gap marker says so once the disk caught up', async () => {
    const opts = options('full-optional', { maxBufferBytes: 4096, required: false });
    const recorder = await SessionRecorder.open(opts);
    for (let i = 0; i < 100; i++) recorder.output('y'.repeat(100));
    assert.deepEqual(opts.failures, []);
    // Wait for the queue to drain (a write completes), then record again.
    await new Promise<void>((resolve) => {
      const poll = (): void => void (recorder['queuedBytes'] === 0 ? resolve() : setImmediate(poll));
      poll();
    });
    recorder.output('after');
    const summary = await recorder.close();
    assert.ok(summary.droppedBytes > 0);
    const { events } = parseAsciicast(readFileSync(summary.file, 'utf8'));
    const gap = events.findIndex((e) => e.code === 'm' && /recording gap: \d+ bytes of events dropped/.test(e.data));
    assert.ok(gap > 0, JSON.stringify(events.filter((e) => e.code === 'm')));
    assert.deepEqual(events.at(-1), { time: 0, code: 'o', data: 'after' });
  });

  it('a file that cannot be created is an error at open (the session is then refused when required)', async () => {
    const blocker = join(root, 'not-a-dir');
    writeFileSync(blocker, '');
    await assert.rejects(SessionRecorder.open(options('x', { dir: blocker })));
  });
});
