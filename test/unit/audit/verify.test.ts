import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { sealLine, sha256Hex } from '../../../src/audit/audit-record.js';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import { verifyAuditFile, verifyAuditStream, type AuditVerifyResult } from '../../../src/audit/verify.js';
import { tempDir, verdictEvent } from './helpers.js';

const COUNT = 10;
let pristine: string[] = [];

function verifyText(text: string, chunkSize = 64 * 1024): Promise<AuditVerifyResult> {
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return verifyAuditStream(chunks);
}

function broken(result: AuditVerifyResult): { line: number; reason: string } {
  assert.equal(result.ok, false, 'expected a broken chain');
  return result.ok ? { line: 0, reason: '' } : { line: result.line, reason: result.reason };
}

/** Rewrites one field of a parsed line, keeping its type. */
function tweak(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return /^[0-9a-f]{64}$/.test(value) ? `${value[0] === 'a' ? 'b' : 'a'}${value.slice(1)}` : `${value}x`;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return [...value, 'x'];
  return { ...(value as object), injected: true };
}

describe('audit verify', () => {
  before(async () => {
    const dir = tempDir({ after: (fn) => process.on('exit', fn) });
    const file = join(dir, 'audit.log');
    const audit = createAuditLog({ file });
    for (let i = 1; i <= COUNT; i++) audit.record(verdictEvent(i));
    await audit.close();
    pristine = readFileSync(file, 'utf8').split('\n').slice(0, -1);
    assert.equal(pristine.length, COUNT);
  });

  it('accepts the log as written, from a file and in chunks split anywhere', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    writeFileSync(file, `${pristine.join('\n')}\n`);
    const result = await verifyAuditFile(file);
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.records, COUNT);
    assert.equal(result.ok && result.lastSeq, COUNT);
    for (const size of [1, 7, 100]) assert.deepEqual(await verifyText(`${pristine.join('\n')}\n`, size), result);
    assert.deepEqual(await verifyText(''), { ok: true, records: 0, segments: 0, lastSeq: 0, lastHash: '0'.repeat(64), torn: [] });
  });

  it('detects an edit of any field of one line, at that line', async () => {
    const target = 5;
    const original = JSON.parse(pristine[target - 1] as string) as Record<string, unknown>;
    const paths: string[][] = [...Object.keys(original).map((k) => [k]), ...Object.keys(original.data as object).map((k) => ['data', k])];
    assert.ok(paths.length > 15);
    for (const path of paths) {
      const edited = structuredClone(original);
      let holder = edited as Record<string, unknown>;
      for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
      const last = path.at(-1) as string;
      holder[last] = tweak(holder[last]);
      const lines = [...pristine];
      lines[target - 1] = JSON.stringify(edited);
      const result = broken(await verifyText(`${lines.join('\n')}\n`));
      assert.deepEqual(result, { line: target, reason: 'edited' }, `edit of ${path.join('.')}`);
    }
  });

  it('detects a deleted line at the line that follows it', async () => {
    const lines = pristine.filter((_l, i) => i !== 4);
    const result = await verifyText(`${lines.join('\n')}\n`);
    assert.deepEqual(broken(result), { line: 5, reason: 'deleted' });
    assert.equal(!result.ok && result.records, 4);
    assert.match(!result.ok ? result.message : '', /1 record deleted/);
  });

  it('detects a deleted first line and a deleted last line is only visible against an anchor', async () => {
    assert.deepEqual(broken(await verifyText(`${pristine.slice(1).join('\n')}\n`)), { line: 1, reason: 'starts_mid_chain' });
    const shortened = await verifyText(`${pristine.slice(0, -1).join('\n')}\n`);
    assert.equal(shortened.ok && shortened.lastSeq, COUNT - 1, 'lastSeq tells the anchor check what is missing');
  });

  it('detects two swapped lines at the first of them', async () => {
    const lines = [...pristine];
    [lines[3], lines[4]] = [lines[4] as string, lines[3] as string];
    assert.deepEqual(broken(await verifyText(`${lines.join('\n')}\n`)), { line: 4, reason: 'reordered' });
  });

  it('detects an appended forged line whose hash is recomputed but whose prev is wrong', async () => {
    const last = JSON.parse(pristine.at(-1) as string) as Record<string, unknown>;
    const forged: Record<string, unknown> = { ...verdictEvent(99), seq: COUNT + 1, prev: sha256Hex('made up'), time: '2026-01-01T13:00:00.000Z' };
    delete forged.at;
    const line = sealLine(canonicalJson(forged), sha256Hex(canonicalJson(forged))).trimEnd();
    assert.notEqual(forged.prev, last.hash);
    const result = await verifyText(`${[...pristine, line].join('\n')}\n`);
    assert.deepEqual(broken(result), { line: COUNT + 1, reason: 'forged' });
  });

  it('detects a line inserted with a correct link, because the next line then repeats its seq', async () => {
    const third = JSON.parse(pristine[2] as string) as Record<string, unknown>;
    const inserted: Record<string, unknown> = { seq: 4, prev: third.hash, time: '2026-01-01T13:00:00.000Z', type: 'verdict', subject: 'mallory' };
    const line = sealLine(canonicalJson(inserted), sha256Hex(canonicalJson(inserted))).trimEnd();
    const lines = [...pristine.slice(0, 3), line, ...pristine.slice(3)];
    assert.deepEqual(broken(await verifyText(`${lines.join('\n')}\n`)), { line: 5, reason: 'reordered' });
  });

  it('detects a truncated last line, bad JSON and empty lines', async () => {
    const cut = (pristine.at(-1) as string).slice(0, 40);
    assert.deepEqual(broken(await verifyText(`${[...pristine.slice(0, -1), cut].join('\n')}`)), { line: COUNT, reason: 'truncated' });
    const garbage = [...pristine];
    garbage[6] = 'not json at all';
    assert.deepEqual(broken(await verifyText(`${garbage.join('\n')}\n`)), { line: 7, reason: 'bad_json' });
    const blank = [...pristine];
    blank.splice(2, 0, '');
    assert.deepEqual(broken(await verifyText(`${blank.join('\n')}\n`)), { line: 3, reason: 'empty_line' });
    const noFields = [...pristine];
    noFields[1] = '{"type":"verdict"}';
    assert.deepEqual(broken(await verifyText(`${noFields.join('\n')}\n`)), { line: 2, reason: 'missing_field' });
  });

  it('accepts a last line without its newline when it is intact, and key order or spacing changed by a collector', async () => {
    assert.equal((await verifyText(pristine.join('\n'))).ok, true);
    const reformatted = pristine.map((l) => {
      const parsed = JSON.parse(l) as Record<string, unknown>;
      const reversed = Object.fromEntries(Object.entries(parsed).reverse());
      return JSON.stringify(reversed).replace(/,/g, ', ');
    });
    assert.equal((await verifyText(`${reformatted.join('\r\n')}\r\n`)).ok, true);
  });
});

describe('audit verify: a line torn by a crash', () => {
  it('reports "torn line N (crash), chain resumed at N+1" apart from tampering, after a real restart on the torn file', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'audit.log');
    const first = createAuditLog({ file });
    for (let i = 1; i <= 3; i++) first.record(verdictEvent(i));
    await first.close();
    // The process dies halfway through writing the fourth record.
    const whole = readFileSync(file, 'utf8');
    const fourth = createAuditLog({ file: join(dir, 'scratch.log') });
    fourth.record(verdictEvent(4));
    await fourth.close();
    const scratch = readFileSync(join(dir, 'scratch.log'), 'utf8');
    writeFileSync(file, whole + scratch.slice(0, Math.floor(scratch.length / 2)));
    // Airlock comes back on the same file and goes on writing.
    const restarted = createAuditLog({ file });
    for (let i = 5; i <= 6; i++) restarted.record(verdictEvent(i));
    await restarted.close();

    const result = await verifyAuditFile(file);
    assert.equal(result.ok, true, JSON.stringify(result));
    if (!result.ok) return;
    assert.deepEqual(result.torn, [4]);
    assert.equal(result.segments, 2);
    assert.equal(result.records, 3 + 1 + 2, 'three before, the restart segment, two after');
  });

  it('the same bytes without Airlock’s restart after them are damage, not a crash', async () => {
    const half = pristine[3]!.slice(0, 40);
    assert.deepEqual(broken(await verifyText(`${pristine.slice(0, 3).join('\n')}\n${half}\n${pristine.slice(3).join('\n')}\n`)), { line: 4, reason: 'bad_json' });
    assert.deepEqual(broken(await verifyText(`${pristine.slice(0, 3).join('\n')}\n${half}\n`)), { line: 4, reason: 'bad_json' });
    // Garbage that does not even start like a record is never called torn.
    assert.deepEqual(broken(await verifyText(`${pristine.slice(0, 3).join('\n')}\nnot json\n`)), { line: 4, reason: 'bad_json' });
  });
});
