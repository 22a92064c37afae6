import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnProgram } from '../../support/pg-clients.js';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { tempDir, verdictEvent } from './helpers.js';

async function airlock(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await spawnProgram(process.execPath, ['--import', 'tsx', 'cmd/airlock.ts', ...args], process.env).done;
  return { status: code, stdout, stderr };
}

async function writeLog(dir: string, count: number): Promise<string> {
  const file = join(dir, 'audit.log');
  const audit = createAuditLog({ file });
  for (let i = 1; i <= count; i++) audit.record(verdictEvent(i));
  await audit.close();
  return file;
}

describe('airlock audit verify', () => {
  it('exits 0 and prints OK with the count for an intact file', async (t) => {
    const file = await writeLog(tempDir(t), 5);
    const run = await airlock('audit', 'verify', file);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /: OK, 5 records, last seq 5 hash [0-9a-f]{64}/);
    const json = await airlock('audit', 'verify', file, '--json');
    assert.equal(json.status, 0);
    assert.deepEqual(
      (({ ok, records, segments, lastSeq }) => ({ ok, records, segments, lastSeq }))(JSON.parse(json.stdout) as Record<string, unknown>),
      { ok: true, records: 5, segments: 1, lastSeq: 5 },
    );
  });

  it('exits 1 and names the first broken line and why', async (t) => {
    const file = await writeLog(tempDir(t), 5);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('DROP TABLE t3', 'DROP TABLE t9');
    writeFileSync(file, lines.join('\n'));
    const run = await airlock('audit', 'verify', file);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /BROKEN at line 3 \(edited\)/);
    const json = await airlock('audit', 'verify', '--json', file);
    assert.equal(json.status, 1);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(parsed.line, 3);
    assert.equal(parsed.reason, 'edited');
    assert.equal(parsed.records, 2);
  });

  it('exits 2 on usage and read errors, 0 for --help', async (t) => {
    const dir = tempDir(t);
    const missing = await airlock('audit', 'verify', join(dir, 'nope.log'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*nope\.log/);
    assert.equal((await airlock('audit', 'verify')).status, 2);
    assert.equal((await airlock('audit', 'verify', 'a', 'b')).status, 2);
    assert.equal((await airlock('audit', 'verify', '--bogus', 'a')).status, 2);
    const help = await airlock('audit', 'verify', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Exit status: 0 intact, 1 broken/);
  });
});
