import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signRequest } from '../../../src/control/request-signature.js';
import { createWebhookCallbackHandler } from '../../../src/control/webhook-callback.js';
import { NOW, VALID_CODE, directoryWith, harness, makeRecord, silentLogger } from '../slack/fixtures.js';

const SECRET = 'webhook-secret-0123456789';

function setup() {
  const h = harness();
  const handler = createWebhookCallbackHandler({ secret: SECRET, directory: directoryWith(), sink: h.sink, bus: h.bus, clock: h.clock, logger: silentLogger });
  const call = async (payload: unknown, opts: { at?: number; secret?: string; raw?: string } = {}) => {
    const body = Buffer.from(opts.raw ?? JSON.stringify(payload));
    const ts = String(Math.floor((opts.at ?? h.clock.now()) / 1000));
    const res = await handler(body, { 'content-type': 'application/json', 'x-airlock-timestamp': ts, 'x-airlock-signature': signRequest(opts.secret ?? SECRET, ts, body) }, { source: '198.51.100.4' });
    return { ...res, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
  };
  return { ...h, call, handler };
}

describe('webhook callback handler', () => {
  it('a signed decision from a directory approver is decided with channel webhook', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const res = await s.call({ id: record.id, action_hash: record.action.hash, decision: 'approve', approver: 'bob', reason: 'ok' });
    assert.equal(res.status, 200);
    assert.deepEqual([res.json?.['status'], res.json?.['votes']], ['approved', 1]);
    assert.deepEqual(s.sink.calls.map((c) => [c.channel, c.approver.subject, c.approver.issuer, c.actionHash, c.reason]), [['webhook', 'bob', 'webhook', record.action.hash, 'ok']]);
  });

  it('refuses forged, stale, future and replayed callbacks with 401 problems and webhook.rejected events', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const payload = { id: record.id, action_hash: record.action.hash, decision: 'deny', approver: 'bob', reason: 'no' };
    const forged = await s.call(payload, { secret: 'guess' });
    const stale = await s.call(payload, { at: NOW - 301_000 });
    const future = await s.call(payload, { at: NOW + 301_000 });
    assert.deepEqual([forged.status, stale.status, future.status], [401, 401, 401]);
    assert.equal(forged.headers?.['content-type'], 'application/problem+json');
    assert.equal(forged.json?.['code'], 'AIRLOCK_UNAUTHENTICATED');
    const body = Buffer.from(JSON.stringify(payload));
    const ts = String(NOW / 1000);
    const headers = { 'x-airlock-timestamp': ts, 'x-airlock-signature': signRequest(SECRET, ts, body) };
    assert.equal((await s.handler(body, headers)).status, 200);
    assert.equal((await s.handler(body, headers)).status, 401);
    assert.deepEqual(s.events.map((e) => [e.type, e.reason]), [
      ['webhook.rejected', 'bad_signature'],
      ['webhook.rejected', 'stale'],
      ['webhook.rejected', 'future'],
      ['webhook.rejected', 'replayed'],
    ]);
    assert.equal(s.events[0]?.source, '198.51.100.4');
    assert.equal(s.sink.calls.length, 1);
  });

  it('answers stable problem codes: unknown approver, self-approval, not an approver, mismatch, MFA, bad body', async () => {
    const s = setup();
    const record = s.sink.add(makeRecord());
    const mfa = s.sink.add(makeRecord({ mfa: true }));
    const base = { id: record.id, action_hash: record.action.hash, decision: 'approve' };
    const cases: [unknown, number, string][] = [
      [{ ...base, approver: 'mallory' }, 403, 'AIRLOCK_NOT_AN_APPROVER'],
      [{ ...base, approver: 'alice' }, 403, 'AIRLOCK_SELF_APPROVAL'],
      [{ ...base, approver: 'dave' }, 403, 'AIRLOCK_NOT_AN_APPROVER'],
      [{ ...base, approver: 'bob', action_hash: 'f'.repeat(64) }, 409, 'AIRLOCK_ACTION_MISMATCH'],
      [{ ...base, approver: 'bob', id: 'nope' }, 404, 'AIRLOCK_APPROVAL_NOT_FOUND'],
      [{ id: mfa.id, action_hash: mfa.action.hash, decision: 'approve', approver: 'bob' }, 401, 'AIRLOCK_MFA_REQUIRED'],
      [{ id: mfa.id, action_hash: mfa.action.hash, decision: 'approve', approver: 'bob', mfa_code: '000000' }, 401, 'AIRLOCK_MFA_INVALID'],
      [{ ...base, approver: 'bob', decision: 'maybe' }, 400, 'AIRLOCK_BAD_REQUEST'],
      [{ ...base, approver: 'bob', extra: 1 }, 400, 'AIRLOCK_BAD_REQUEST'],
      [{ ...base, approver: 'bob', action_hash: 'short' }, 400, 'AIRLOCK_BAD_REQUEST'],
    ];
    for (const [payload, status, code] of cases) {
      s.clock.advance(1000); // distinct signatures: these are not replays
      const res = await s.call(payload);
      assert.deepEqual([res.status, res.json?.['code']], [status, code], JSON.stringify(payload));
    }
    s.clock.advance(1000);
    const bad = await s.call(null, { raw: '{not json' });
    assert.deepEqual([bad.status, bad.json?.['code']], [400, 'AIRLOCK_BAD_REQUEST']);
    s.clock.advance(1000);
    const ok = await s.call({ id: mfa.id, action_hash: mfa.action.hash, decision: 'approve', approver: 'carol', mfa_code: VALID_CODE });
    assert.equal(ok.status, 200);
    assert.ok(s.events.some((e) => e.type === 'webhook.rejected' && e.reason === 'unknown_approver' && e.subject === 'mallory'));
  });
});
