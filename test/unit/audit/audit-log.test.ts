import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createAuditLog, attachAuditLog } from '../../../src/audit/audit-log.js';
import { GENESIS, sha256Hex } from '../../../src/audit/audit-record.js';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import { EventBus } from '../../../src/audit/events.js';
import { verifyAuditFile, verifyAuditStream } from '../../../src/audit/verify.js';
import { ManualClock } from '../../../src/time/clock.js';
import { tempDir, verdictEvent } from './helpers.js';

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('audit log', () => {
  it('writes one chained JSON line per event, hashed over the canonical record without hash', async (t) => {
    const file = join(tempDir(t), 'nested', 'dir', 'audit.log');
    const audit = createAuditLog({ file, redact: [] });
    for (let i = 1; i <= 3; i++) audit.record(verdictEvent(i));
    await audit.close();

    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
    const records = lines(file);
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3]);
    assert.equal(records[0]?.prev, GENESIS);
    for (let i = 0; i < records.length; i++) {
      const { hash, ...rest } = records[i] as Record<string, unknown>;
      assert.equal(hash, sha256Hex(canonicalJson(rest)));
      if (i > 0) assert.equal(rest.prev, records[i - 1]?.hash);
    }
    assert.equal(records[0]?.time, '2026-01-01T12:00:01.000Z');
    assert.equal(records[0]?.type, 'verdict');
    assert.equal((records[0]?.data as Record<string, unknown>).command, 'DROP TABLE t1');
    assert.deepEqual(await verifyAuditFile(file), { ok: true, records: 3, segments: 1, lastSeq: 3, lastHash: records[2]?.hash, torn: [] });
  });

  it('continues the chain across restarts (two instances in sequence)', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const first = createAuditLog({ file });
    first.record(verdictEvent(1));
    first.record(verdictEvent(2));
    await first.close();
    const second = createAuditLog({ file });
    second.record(verdictEvent(3));
    await second.flush();
    second.record(verdictEvent(4));
    await second.close();

    const records = lines(file);
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4]);
    assert.equal(records[2]?.prev, records[1]?.hash);
    const result = await verifyAuditFile(file);
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.records, 4);
  });

  it('starts a new segment that names the reason when the last line is damaged', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const first = createAuditLog({ file, clock });
    first.record(verdictEvent(1));
    first.record(verdictEvent(2));
    await first.close();
    appendFileSync(file, '{"seq":3,"prev":"abc'); // a crash in the middle of a write

    const second = createAuditLog({ file, clock, replicaId: 'pod-a' });
    second.record(verdictEvent(3));
    await second.close();

    const text = readFileSync(file, 'utf8').split('\n');
    assert.equal(text[2], '{"seq":3,"prev":"abc', 'the partial line is kept and terminated');
    const segment = JSON.parse(text[3] as string) as Record<string, unknown>;
    assert.equal(segment.type, 'audit.segment');
    assert.equal(segment.seq, 1);
    assert.equal(segment.prev, GENESIS);
    assert.equal(segment.replica, 'pod-a');
    assert.equal(segment.time, '2026-06-01T00:00:00.000Z');
    assert.match(segment.reason as string, /truncated/);
    const next = JSON.parse(text[4] as string) as Record<string, unknown>;
    assert.equal(next.seq, 2);
    assert.equal(next.prev, segment.hash);

    // The partial line was terminated by the restart, and the restart's segment follows it:
    // verify reports a torn line (a crash), not tampering.
    const result = await verifyAuditFile(file);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(result.ok && result.torn, [3]);
  });

  it('does not continue from an edited last line', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const first = createAuditLog({ file });
    first.record(verdictEvent(1));
    await first.close();
    writeFileSync(file, readFileSync(file, 'utf8').replace('DROP TABLE t1', 'SELECT 1'));
    const second = createAuditLog({ file });
    second.record(verdictEvent(2));
    await second.close();
    const records = lines(file);
    assert.equal(records[1]?.type, 'audit.segment');
    assert.match(records[1]?.reason as string, /hash_mismatch/);
  });

  it('never writes tokens, passwords or OTP codes found in event data', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const jwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    const audit = createAuditLog({ file, redact: ['data.extra.ticket'] });
    audit.record({
      type: 'mfa.failure',
      at: 0,
      subject: 'alice',
      reason: 'invalid_code',
      data: {
        code: '492039',
        token: jwt,
        upstream: { user: 'app', password: 'hunter2-upstream' },
        headers: { Authorization: 'Bearer opaque-token-value-1' },
        nested: { deeper: { stepUpToken: 'grant-secret-value', totp: '118833', slack: { signing_secret: 'slack-signing-xyz' } } },
        extra: { ticket: 'INC-SECRET-42', visible: 'kept' },
        list: [{ otp: '771234' }],
      },
    });
    audit.record(
      verdictEvent(2, {
        data: {
          allowed: true,
          risk: 'high',
          command: "ALTER ROLE app PASSWORD 'sql-pass-9'; -- psql postgres://app:url-pass-7@db/x",
          requesterReason: `curl -H 'Authorization: Bearer ${jwt}'`,
        },
      }),
    );
    await audit.close();
    const text = readFileSync(file, 'utf8');
    for (const secret of [jwt, '492039', 'hunter2-upstream', 'opaque-token-value-1', 'grant-secret-value', '118833', 'slack-signing-xyz', 'INC-SECRET-42', '771234', 'sql-pass-9', 'url-pass-7']) {
      assert.ok(!text.includes(secret), `${secret} reached the audit file`);
    }
    assert.ok(text.includes('"visible":"kept"'));
    assert.ok(text.includes('"user":"app"'));
    assert.ok(text.includes('ALTER ROLE app PASSWORD'));
    assert.equal((await verifyAuditFile(file)).ok, true, 'the chain verifies over the redacted text');
  });

  it('skips routine allowed verdicts when include_allowed is false', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const audit = createAuditLog({ file });
    const bus = new EventBus();
    const detach = attachAuditLog(bus, audit, { includeAllowed: false });
    bus.emit(verdictEvent(1, { data: { allowed: true, risk: 'low', path: 'policy', requirement: 'allow' } }));
    bus.emit(verdictEvent(2, { data: { allowed: false, risk: 'low', path: 'policy', requirement: 'deny' } }));
    bus.emit({ type: 'auth.success', at: 0, subject: 'alice', protocol: 'postgres' });
    detach();
    bus.emit({ type: 'auth.success', at: 0, subject: 'after-detach' });
    await audit.close();
    assert.deepEqual(
      lines(file).map((r) => [r.type, r.subject]),
      [
        ['verdict', 'user2@example.com'],
        ['auth.success', 'alice'],
      ],
    );
  });

  it('drops records after close and never throws', async (t) => {
    const file = join(tempDir(t), 'audit.log');
    const audit = createAuditLog({ file });
    audit.record(verdictEvent(1));
    await audit.close();
    await audit.close();
    audit.record(verdictEvent(2));
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.equal(lines(file).length, 1);
    const again = createAuditLog({ file });
    again.record({ type: 'config.reloaded', at: Number.NaN, data: { cyclic, big: 10n } });
    await again.close();
    const last = lines(file).at(-1) as Record<string, unknown>;
    assert.deepEqual(last.data, { big: '10', cyclic: { a: 1, self: '[Circular]' } });
    assert.equal((await verifyAuditFile(file)).ok, true);
  });

  it('writes to stdout with "-", starting a new chain with a segment record', async () => {
    const script = [
      "import { createAuditLog } from './src/audit/audit-log.ts';",
      "const audit = createAuditLog({ file: '-' });",
      "audit.record({ type: 'auth.success', at: 0, subject: 'alice', data: { token: 'stdout-secret-token' } });",
      'await audit.close();',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const out = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(out.map((r) => [r.seq, r.type]), [
      [1, 'audit.segment'],
      [2, 'auth.success'],
    ]);
    assert.ok(!child.stdout.includes('stdout-secret-token'));
    const result = await verifyAuditStream([Buffer.from(child.stdout)]);
    assert.equal(result.ok, true);
  });
});
