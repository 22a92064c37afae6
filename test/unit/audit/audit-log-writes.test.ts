// How the audit log hands lines to the operating system: one write per
// event-loop turn, whole lines only, nothing lost on flush, close or error.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs, { createReadStream, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import { createAuditLog } from '../../../src/audit/audit-log.js';
import { verifyAuditFile, verifyAuditStream } from '../../../src/audit/verify.js';
import { tempDir, verdictEvent } from './helpers.js';

const nextTurn = (): Promise<void> => new Promise((done) => setImmediate(done));

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The writeSync call the audit log makes: a buffer, an offset and a length. */
type WriteArgs = [fd: number, buffer: Buffer, offset: number, length: number];
type RealWrite = (...args: WriteArgs) => number;

/**
 * Replaces fs.writeSync (also for `import { writeSync }` bindings) for the test's
 * duration; `audit` lists the audit chunks written, other writes pass through.
 */
function interceptWriteSync(t: TestContext, replace?: (real: RealWrite, args: WriteArgs) => number): { audit: string[] } {
  const real = fs.writeSync;
  const seen = { audit: [] as string[] };
  const wrapped = (...args: unknown[]): number => {
    const passThrough = (): number => (real as (...a: unknown[]) => number)(...args);
    const data = args[1];
    if (!Buffer.isBuffer(data) || !data.toString('utf8').includes('"seq":')) return passThrough();
    seen.audit.push(data.toString('utf8', args[2] as number, (args[2] as number) + (args[3] as number)));
    return replace ? replace(real as RealWrite, args as WriteArgs) : passThrough();
  };
  fs.writeSync = wrapped as typeof fs.writeSync;
  syncBuiltinESMExports();
  t.after(() => {
    fs.writeSync = real;
    syncBuiltinESMExports();
  });
  return seen;
}

function captureLogger(): { logger: pino.Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), entries };
}

describe('audit log writes', () => {
  it('writes the lines recorded in one turn with one write, after the turn', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const writes = interceptWriteSync(t);
    const audit = createAuditLog({ file });
    for (let i = 1; i <= 20; i++) audit.record(verdictEvent(i));
    assert.equal(readFileSync(file, 'utf8'), '', 'nothing is written during the turn');
    await nextTurn();
    assert.equal(writes.audit.length, 1);
    assert.equal(writes.audit[0]?.split('\n').filter(Boolean).length, 20);
    assert.deepEqual(lines(file).map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
    await audit.close();
  });

  it('splits a burst above the byte cap into several writes of whole lines', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const writes = interceptWriteSync(t);
    const audit = createAuditLog({ file });
    const command = `UPDATE t SET v = '${'x'.repeat(1000)}'`;
    for (let i = 1; i <= 200; i++) audit.record(verdictEvent(i, { data: { allowed: true, risk: 'medium', command } }));
    await nextTurn();
    assert.ok(writes.audit.length >= 3, `expected the ~230 KB burst in several writes, got ${writes.audit.length}`);
    for (const chunk of writes.audit) {
      assert.ok(chunk.endsWith('\n'), 'every write ends on a line boundary');
      assert.ok(chunk.length < 70 * 1024);
    }
    assert.equal(lines(file).length, 200);
    await audit.close();
    assert.deepEqual(await verifyAuditFile(file), { ok: true, records: 200, segments: 1, lastSeq: 200, lastHash: lines(file)[199]?.hash, torn: [] });
  });

  it('keeps order and the hash chain across turns, flushes and a restart', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const writes = interceptWriteSync(t);
    const first = createAuditLog({ file });
    let n = 0;
    for (const perTurn of [1, 5, 2, 7]) {
      for (let i = 0; i < perTurn; i++) first.record(verdictEvent(++n));
      await nextTurn();
    }
    first.record(verdictEvent(++n));
    await first.flush();
    first.record(verdictEvent(++n));
    await first.close();
    assert.equal(writes.audit.length, 6, 'one write per turn, one for flush, one for close');
    const second = createAuditLog({ file });
    second.record(verdictEvent(++n));
    second.record(verdictEvent(++n));
    await second.close();

    const records = lines(file);
    assert.deepEqual(records.map((r) => r.seq), Array.from({ length: n }, (_, i) => i + 1));
    assert.deepEqual(records.map((r) => r.subject), Array.from({ length: n }, (_, i) => `user${i + 1}@example.com`));
    for (let i = 1; i < records.length; i++) assert.equal(records[i]?.prev, records[i - 1]?.hash);
    const result = await verifyAuditFile(file);
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.records, n);
  });

  it('flush() resolves with every recorded line in the file, and syncs it', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const realFsync = fs.fsync;
    const synced: number[] = [];
    fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      synced.push(fd);
      realFsync(fd, cb);
    }) as typeof fs.fsync;
    syncBuiltinESMExports();
    t.after(() => {
      fs.fsync = realFsync;
      syncBuiltinESMExports();
    });
    const audit = createAuditLog({ file });
    for (let i = 1; i <= 5; i++) audit.record(verdictEvent(i));
    await audit.flush();
    assert.equal(lines(file).length, 5);
    assert.equal(synced.length, 1);
    audit.record(verdictEvent(6));
    await audit.flush();
    assert.equal(lines(file).length, 6);
    await audit.close();
  });

  it('close() writes the lines of the current turn at once, and nothing is written after it', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const writes = interceptWriteSync(t);
    const audit = createAuditLog({ file });
    for (let i = 1; i <= 3; i++) audit.record(verdictEvent(i));
    const closing = audit.close();
    assert.equal(lines(file).length, 3, 'written synchronously by close(), before any await');
    audit.record(verdictEvent(4));
    await closing;
    await nextTurn();
    assert.equal(writes.audit.length, 1);
    assert.deepEqual(lines(file).map((r) => r.seq), [1, 2, 3]);
  });

  it('a record made in the SIGTERM handler is written by close() before the process exits', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const script = [
      "import { createAuditLog } from './src/audit/audit-log.ts';",
      `const audit = createAuditLog({ file: ${JSON.stringify(file)} });`,
      "audit.record({ type: 'auth.success', at: 0, subject: 'alice' });",
      'const keepAlive = setInterval(() => {}, 60_000);',
      "process.on('SIGTERM', () => {",
      "  audit.record({ type: 'verdict', at: 0, subject: 'alice', reason: 'shutting down', data: { allowed: false } });",
      '  void audit.close().then(() => process.exit(0));',
      '});',
      "process.stdout.write('ready\\n');",
      'void keepAlive;',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) ready();
      });
      child.once('exit', () => fail(new Error(`child exited early: ${stderr}`)));
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
    assert.equal(code, 0, stderr);
    assert.deepEqual(lines(file).map((r) => [r.seq, r.type, r.reason ?? null]), [
      [1, 'auth.success', null],
      [2, 'verdict', 'shutting down'],
    ]);
    assert.equal((await verifyAuditFile(file)).ok, true);
  });

  it('a process that only records and closes exits without waiting for anything', (t) => {
    const file = join(tempDir(t), 'audit.log');
    const script = [
      "import { createAuditLog } from './src/audit/audit-log.ts';",
      `const audit = createAuditLog({ file: ${JSON.stringify(file)} });`,
      "for (let i = 0; i < 3; i++) audit.record({ type: 'auth.success', at: 0, subject: 'alice' });",
      'void audit.close();',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(lines(file).length, 3);
  });

  it('a failing write is logged once, never thrown, and the next lines start on a fresh line', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const { logger, entries } = captureLogger();
    let mode: 'ok' | 'partial-then-fail' | 'fail' = 'ok';
    interceptWriteSync(t, (real, args) => {
      if (mode === 'ok') return real(...args);
      if (mode === 'partial-then-fail') {
        mode = 'fail';
        return real(args[0], args[1], args[2], 40);
      }
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    });
    const audit = createAuditLog({ file, logger });
    audit.record(verdictEvent(1));
    await audit.flush();

    mode = 'partial-then-fail';
    assert.doesNotThrow(() => audit.record(verdictEvent(2)));
    await nextTurn();
    audit.record(verdictEvent(3));
    await audit.flush();
    const failures = entries.filter((e) => e.msg === 'audit log write failed');
    assert.equal(failures.length, 1, 'logged once while the failure lasts');
    assert.equal((failures[0]?.err as Record<string, unknown>).code, 'EIO');

    mode = 'ok';
    audit.record(verdictEvent(4));
    await audit.close();
    const text = readFileSync(file, 'utf8').split('\n');
    assert.equal(JSON.parse(text[0] as string).seq, 1);
    assert.equal(text[1]?.length, 40, 'the torn line is kept as written');
    assert.equal(JSON.parse(text[2] as string).seq, 4, 'and terminated before the next line');
    const result = await verifyAuditFile(file);
    assert.equal(result.ok, false, 'the lost records show as a broken chain');
  });

  it('writes to a pipe asynchronously (never write(2) on the event loop), all lines in order', async (t) => {
    const dir = tempDir(t);
    const fifo = join(dir, 'audit.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) {
      t.skip('mkfifo not available');
      return;
    }
    const writes = interceptWriteSync(t);
    // The log opens the FIFO read-write, so the reader's open does not block and the pipe stays open until close().
    const audit = createAuditLog({ file: fifo });
    const reader = createReadStream(fifo);
    const chunks: Buffer[] = [];
    reader.on('data', (chunk) => chunks.push(chunk as Buffer));
    await once(reader, 'open');
    for (let i = 1; i <= 10; i++) audit.record(verdictEvent(i));
    await nextTurn();
    audit.record(verdictEvent(11));
    await audit.close();
    await new Promise<void>((done) => reader.once('close', done));
    assert.equal(writes.audit.length, 0);
    const text = Buffer.concat(chunks).toString('utf8');
    assert.deepEqual(
      text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Record<string, unknown>).seq),
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
    assert.equal((await verifyAuditStream([Buffer.from(text)])).ok, true);
  });
});
