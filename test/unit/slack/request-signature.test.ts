import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMemorySeenCheck, signRequest, verifyRequestSignature } from '../../../src/control/request-signature.js';
import { ManualClock } from '../../../src/time/clock.js';

// The worked example in Slack's "Verifying requests from Slack"
// (api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIG = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const DOC_NOW = Number(DOC_TS) * 1000;

const verify = (over: Partial<Parameters<typeof verifyRequestSignature>[0]> = {}) =>
  verifyRequestSignature({ secret: DOC_SECRET, timestamp: DOC_TS, signature: DOC_SIG, body: Buffer.from(DOC_BODY), nowMs: DOC_NOW + 30_000, ...over });

describe('request signature (Slack scheme)', () => {
  it("reproduces Slack's documented example", () => {
    assert.equal(signRequest(DOC_SECRET, DOC_TS, DOC_BODY), DOC_SIG);
    assert.equal(signRequest(DOC_SECRET, Number(DOC_TS), Buffer.from(DOC_BODY)), DOC_SIG);
    // and agrees with a plain HMAC written independently
    assert.equal(DOC_SIG, `v0=${createHmac('sha256', DOC_SECRET).update(`v0:${DOC_TS}:${DOC_BODY}`).digest('hex')}`);
  });

  it('accepts the documented request within the window, both directions to the edge', async () => {
    assert.deepEqual(await verify(), { ok: true });
    assert.deepEqual(await verify({ nowMs: DOC_NOW + 300_000 }), { ok: true });
    assert.deepEqual(await verify({ nowMs: DOC_NOW - 300_000 }), { ok: true });
  });

  it('refuses forgeries: changed body, wrong secret, wrong length, wrong case, missing headers', async () => {
    const cases: [string, Partial<Parameters<typeof verifyRequestSignature>[0]>, string][] = [
      ['changed body', { body: DOC_BODY.replace('roadrunner', 'coyote') }, 'bad_signature'],
      ['wrong secret', { secret: 'not-the-secret' }, 'bad_signature'],
      ['truncated signature', { signature: DOC_SIG.slice(0, -2) }, 'bad_signature'],
      ['longer signature', { signature: `${DOC_SIG}00` }, 'bad_signature'],
      ['upper-case hex', { signature: DOC_SIG.toUpperCase() }, 'bad_signature'],
      ['other version', { signature: DOC_SIG.replace('v0=', 'v1=') }, 'bad_signature'],
      ['multibyte same char count', { signature: DOC_SIG.slice(0, -1) + 'é' }, 'bad_signature'],
      ['timestamp changed', { timestamp: String(Number(DOC_TS) + 1) }, 'bad_signature'],
      ['no signature', { signature: undefined }, 'missing_headers'],
      ['no timestamp', { timestamp: undefined }, 'missing_headers'],
      ['timestamp not a number', { timestamp: '1531420618.5' }, 'malformed_timestamp'],
    ];
    for (const [name, over, reason] of cases) {
      assert.deepEqual(await verify(over), { ok: false, reason }, name);
    }
  });

  it('refuses stale and future timestamps even when correctly signed', async () => {
    assert.deepEqual(await verify({ nowMs: DOC_NOW + 300_001 }), { ok: false, reason: 'stale' });
    assert.deepEqual(await verify({ nowMs: DOC_NOW + 3_600_000 }), { ok: false, reason: 'stale' });
    assert.deepEqual(await verify({ nowMs: DOC_NOW - 300_001 }), { ok: false, reason: 'future' });
  });

  it('refuses a replay of a valid request, but only after it was valid once', async () => {
    const clock = new ManualClock(DOC_NOW);
    const seen = createMemorySeenCheck(clock);
    // A forged request must not poison the replay memory.
    assert.deepEqual(await verify({ seen, signature: DOC_SIG.replace('a', 'b'), nowMs: DOC_NOW }), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(await verify({ seen, nowMs: DOC_NOW }), { ok: true });
    assert.deepEqual(await verify({ seen, nowMs: DOC_NOW + 1000 }), { ok: false, reason: 'replayed' });
    // Scopes keep Slack and webhook memories apart.
    assert.deepEqual(await verify({ seen, nowMs: DOC_NOW, scope: 'webhook' }), { ok: true });
  });

  it('the in-memory replay memory forgets after the TTL and stays bounded', async () => {
    const clock = new ManualClock(0);
    const seen = createMemorySeenCheck(clock, 3);
    assert.equal(await seen('a', 1000), false);
    assert.equal(await seen('a', 1000), true);
    clock.advance(1001);
    assert.equal(await seen('a', 1000), false);
    for (const k of ['b', 'c', 'd', 'e']) assert.equal(await seen(k, 10_000), false);
    assert.equal(await seen('e', 10_000), true);
  });
});
