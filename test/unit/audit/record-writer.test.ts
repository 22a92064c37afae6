import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from '../../../src/audit/canonical-json.js';
import type { AirlockEvent } from '../../../src/audit/events.js';
import { compileRecordWriter, recordOf } from '../../../src/audit/record-writer.js';
import { compileRedactor } from '../../../src/logging/redactor.js';

const PREV = 'ab'.repeat(32);
const TIME = '2026-12-05T12:00:00.000Z';

/** Strings that stress quoting and scrubbing: escapes, control bytes, lone surrogates, credentials in several forms. */
const TRICKY = [
  '',
  'plain',
  'DROP TABLE "users"',
  'back\\slash and "quotes"',
  'tab\there\nnewline\r\u0000nul\u001f',
  '\ud800 lone high, lone low \udc00',
  'emoji 🚀 and ünïcödé',
  "ALTER ROLE app PASSWORD 'hunter2hunter2'",
  "ALTER ROLE app ENCRYPTED PASSWORD $p$secret'x$p$",
  'curl -H "Authorization: Bearer abcdefghijklmnop"',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
  'postgres://app:s3cretpass@db:5432/prod',
  'psql "host=db password=topsecret123 user=x"',
  'TOKEN=abcdef0123456789; export SECRET="x y"',
  'x'.repeat(5000),
  '\u2028\u2029 separators',
];

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

function verdictEvent(n: number): AirlockEvent {
  const data: Record<string, unknown> = {
    allowed: n % 2 === 0,
    requirement: pick(['allow', 'deny', 'approval', 'step_up'], n),
    path: pick(['policy', 'approval', 'cancel'], n),
    risk: pick(['low', 'medium', 'high', 'critical'], n),
    decidedBy: n % 3 === 0 ? [] : [pick(TRICKY, n), pick(TRICKY, n + 1)],
    hash: 'f'.repeat(64),
    command: pick(TRICKY, n),
    kinds: ['update', pick(TRICKY, n + 2)],
    flags: n % 4 === 0 ? [] : ['no_where', pick(TRICKY, n + 3)],
  };
  if (n % 5 === 0) data.impact = pick(TRICKY, n + 4);
  if (n % 7 === 0) data.requesterReason = pick(TRICKY, n + 5);
  return {
    type: 'verdict',
    at: 1_700_000_000_000 + n,
    subject: pick(TRICKY, n + 6),
    ...(n % 2 === 0 ? { deviceId: pick(TRICKY, n + 7) } : {}),
    source: '127.0.0.1',
    protocol: 'postgres',
    target: pick(TRICKY, n + 8),
    sessionId: `s-${n}`,
    ...(n % 3 === 0 ? { approvalId: pick(TRICKY, n + 9) } : {}),
    rules: n % 2 === 0 ? [] : [pick(TRICKY, n + 10)],
    reason: pick(TRICKY, n + 11),
    data,
  };
}

function assertSame(event: AirlockEvent, options: { paths?: string[]; replica?: string; seq?: number } = {}): string {
  const redactor = compileRedactor({ paths: options.paths ?? [] });
  const seq = options.seq ?? 42;
  const fast = compileRecordWriter(redactor, options.replica)(event, seq, PREV, TIME);
  const generic = canonicalJson(recordOf(event, seq, PREV, TIME, options.replica), redactor);
  assert.equal(fast, generic);
  return fast;
}

describe('audit record writer', () => {
  it('writes exactly what canonicalJson writes for verdict records, over tricky strings', () => {
    for (let n = 0; n < 400; n++) assertSame(verdictEvent(n), n % 3 === 0 ? { replica: pick(TRICKY, n) } : {});
  });

  it('still scrubs credentials in the fast path', () => {
    const event = verdictEvent(7);
    const text = assertSame({ ...event, data: { ...event.data, command: "ALTER ROLE app PASSWORD 'hunter2hunter2'" } });
    assert.doesNotMatch(text, /hunter2/);
    assert.match(text, /\[Redacted\]/);
  });

  it('falls back to the generic writer, with the same result, for shapes it does not know', () => {
    const base = verdictEvent(3);
    const odd: AirlockEvent[] = [
      { ...base, data: { ...base.data, extra: { nested: ['a', 1, null, true], password: 'p4ssw0rd!!' } } },
      { ...base, data: { ...base.data, flags: ['a', 2 as unknown as string] } },
      { ...base, data: { ...base.data, command: 12 as unknown as string } },
      { ...base, data: { ...base.data, impact: undefined } },
      { ...base, data: { ...base.data, allowed: 'yes' as unknown as boolean } },
      { ...base, data: null as unknown as Record<string, unknown> },
      { ...base, data: Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { command: 'x' }) },
      { ...base, data: { ...base.data, token: 'abc' } },
      { ...base, rules: ['r', 3 as unknown as string] },
      { ...base, rules: [] },
      { ...base, rules: Object.assign(['visible'], { toJSON: () => ['via toJSON'] }) },
      { ...base, data: { ...base.data, flags: Object.assign(['a'], { toJSON: () => 'flags via toJSON' }) } },
      { ...base, subject: 5 as unknown as string },
      { ...base, type: 'approval.vote', data: { vote: 'approve', secret: 'x', code: '123456', list: [{ token: 'y' }] } },
      { type: 'auth.failure', at: 1, reason: 'expired' },
      { type: 'mfa.failure', at: 2, subject: 'alice', data: { code: '123456' } },
    ];
    for (const event of odd) assertSame(event);
    assertSame(base, { seq: 1.5 });
  });

  it('uses the generic writer when redaction paths are configured', () => {
    const event = verdictEvent(4);
    const text = assertSame(event, { paths: ['data.command'] });
    assert.match(text, /"command":"\[Redacted\]"/);
  });
});
