import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnProgram } from '../../support/pg-clients.js';
import { markerLine, playEvents } from '../../../cmd/support/asciicast-player.js';
import { eventLine, headerLine } from '../../../src/protocols/shell/asciicast.js';

async function airlock(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await spawnProgram(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], process.env).done;
  return { status: code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const recording =
  headerLine({ version: 2, width: 80, height: 24, timestamp: 1_767_225_600, env: { TERM: 'xterm' } }) +
  eventLine(0.1, 'o', 'box:~$ ') +
  eventLine(0.2, 'i', 'rm -rf /tmp/x\n') +
  eventLine(0.2, 'm', 'held for approval (id abc): rm -rf /tmp/x') +
  eventLine(30, 'm', 'approved by bob (id abc): rm -rf /tmp/x') +
  eventLine(30.5, 'o', 'done\r\n') +
  eventLine(31, 'r', '100x40');

describe('airlock replay', () => {
  const file = join(dir, 'good.cast');
  writeFileSync(file, recording);

  it('plays the output (not input, markers or resizes) with the pauses capped by --max-idle', async () => {
    const result = await airlock('replay', file, '--max-idle', '0');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'box:~$ done\r\n');
  });

  it('--markers prints the verdict markers with their times', async () => {
    const result = await airlock('replay', '--markers', file);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '[     0.200s] held for approval (id abc): rm -rf /tmp/x\n[    30.000s] approved by bob (id abc): rm -rf /tmp/x\n');
  });

  it('--json dumps the header and each event as a JSON line', async () => {
    const result = await airlock('replay', '--json', file);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines[0]?.['version'], 2);
    assert.deepEqual(lines[2], { time: 0.2, code: 'i', data: 'rm -rf /tmp/x\n' });
    assert.equal(lines.length, 7);
  });

  it('--verify compares the SHA-256 of the file', async () => {
    const sha = createHash('sha256').update(recording).digest('hex');
    assert.equal((await airlock('replay', '--markers', '--verify', sha, file)).status, 0);
    const wrong = await airlock('replay', '--verify', '0'.repeat(64), file);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /SHA-256 [0-9a-f]{64} is not the expected 0{64}/);
    assert.equal(wrong.stdout, '');
  });

  it('refuses a malformed file before printing anything, naming the line (exit 1); an unreadable one is exit 2', async () => {
    const bad = join(dir, 'bad.cast');
    writeFileSync(bad, `${recording}[1,"o","back in time"]\n`);
    const result = await airlock('replay', '--max-idle', '0', bad);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /bad\.cast is not a valid recording: line 8: the time 1 goes back before 31/);
    const header = join(dir, 'v1.cast');
    writeFileSync(header, '{"version":1,"width":80,"height":24}\n');
    assert.match((await airlock('replay', header)).stderr, /line 1: version 1 is not 2/);
    const missing = await airlock('replay', join(dir, 'missing.cast'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read/);
    assert.equal((await airlock('replay', '--speed', '0', file)).status, 2);
  });

  it('the player scales pauses by --speed and caps them by --max-idle', async () => {
    const slept: number[] = [];
    let out = '';
    const events = [
      { time: 1, code: 'o' as const, data: 'a' },
      { time: 1.5, code: 'm' as const, data: 'm' },
      { time: 11, code: 'o' as const, data: 'b' },
    ];
    await playEvents(events, { speed: 2, maxIdle: 4, write: (d) => (out += d), sleep: async (ms) => void slept.push(ms) });
    assert.deepEqual(slept, [500, 2000]);
    assert.equal(out, 'ab');
    assert.equal(markerLine({ time: 1.25, code: 'm', data: 'x\x1by' }), '[     1.250s] x^[y');
  });
});
