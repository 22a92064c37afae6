import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EventBus, type AirlockEvent } from '../../../src/audit/events.js';
import { identitySchema } from '../../../src/config/sections/identity.js';
import { MfaRequiredError, TokenInvalidError } from '../../../src/errors.js';
import { loadDevIssuer } from '../../../src/identity/dev-issuer.js';
import { createJwtVerifier } from '../../../src/identity/jwt-verifier.js';
import type { Principal } from '../../../src/model/principal.js';
import { StepUpGrants } from '../../../src/identity/step-up-grants.js';
import { generateStepUpKey, loadStepUpKey, signStepUpToken, verifyStepUpToken } from '../../../src/identity/step-up-token.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const alice: Principal = { subject: 'alice', groups: ['dba'], authMethods: ['pwd'], deviceId: 'laptop-1', issuer: 'test', expiresAt: T0 + 3_600_000 };

function setup() {
  const clock = new ManualClock(T0);
  const store = new MemoryStore({ clock });
  const bus = new EventBus();
  const events: AirlockEvent[] = [];
  bus.on((e) => events.push(e));
  return { clock, store, events, grants: new StepUpGrants({ store, clock, events: bus }) };
}

describe('StepUpGrants', () => {
  it('covers the same session up to its risk level until it expires, on time', async () => {
    const { clock, grants, events } = setup();
    const grant = await grants.issue({ principal: alice, sessionId: 's1', maxRisk: 'medium', ttlMs: 600_000 });
    assert.equal(grant.expiresAt, T0 + 600_000);
    assert.equal(events[0]?.type, 'stepup.granted');
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'low' }), true);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'medium' }), true);
    clock.advance(599_999);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'medium' }), true);
    clock.advance(1);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'medium' }), false);
  });

  it('does not cover another session, a higher risk, another device or another user', async () => {
    const { grants, events } = setup();
    await grants.issue({ principal: alice, sessionId: 's1', maxRisk: 'medium', ttlMs: 600_000 });
    assert.equal(await grants.covers({ principal: alice, sessionId: 's2', risk: 'low' }), false);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'high' }), false);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'critical' }), false);
    assert.equal(await grants.covers({ principal: { ...alice, deviceId: 'stolen' }, sessionId: 's1', risk: 'low' }), false);
    const { deviceId: _d, ...noDevice } = alice;
    assert.equal(await grants.covers({ principal: noDevice, sessionId: 's1', risk: 'low' }), false);
    assert.equal(await grants.covers({ principal: { ...alice, subject: 'bob' }, sessionId: 's1', risk: 'low' }), false);
    assert.ok(events.some((e) => e.type === 'stepup.grant_rejected' && e.reason === 'risk above grant'));
  });

  it('never outlives the session token, and can be revoked', async () => {
    const { clock, grants } = setup();
    const shortLived = { ...alice, expiresAt: T0 + 60_000 };
    const grant = await grants.issue({ principal: shortLived, sessionId: 's1', maxRisk: 'high', ttlMs: 600_000 });
    assert.equal(grant.expiresAt, T0 + 60_000);
    clock.advance(60_000);
    assert.equal(await grants.covers({ principal: shortLived, sessionId: 's1', risk: 'low' }), false);
    await grants.issue({ principal: alice, sessionId: 's3', maxRisk: 'high', ttlMs: 600_000 });
    await grants.revoke({ subject: 'alice', sessionId: 's3' });
    assert.equal(await grants.covers({ principal: alice, sessionId: 's3', risk: 'low' }), false);
  });
});

describe('step-up tokens', () => {
  it('sign and verify: claims, coverage, expiry', async () => {
    const clock = new ManualClock(T0);
    const key = generateStepUpKey();
    const token = await signStepUpToken(key, { principal: alice, sessionId: 's1', maxRisk: 'medium', ttlMs: 5 * 60_000, clock });
    const claims = await verifyStepUpToken(key, token, { clock, expect: { principal: alice, sessionId: 's1', risk: 'medium' } });
    assert.deepEqual(
      { ...claims, tokenId: typeof claims.tokenId },
      { subject: 'alice', sessionId: 's1', deviceId: 'laptop-1', maxRisk: 'medium', authMethods: ['otp'], tokenId: 'string', issuedAt: T0, expiresAt: T0 + 300_000 },
    );
    const [header, payload] = token.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    assert.equal(decoded.acr, 'airlock:stepup:medium');
    assert.deepEqual(decoded.amr, ['otp']);
    assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).typ, 'airlock-stepup+jwt');

    await assert.rejects(verifyStepUpToken(key, token, { clock, expect: { principal: alice, sessionId: 's1', risk: 'high' } }), MfaRequiredError);
    await assert.rejects(verifyStepUpToken(key, token, { clock, expect: { principal: alice, sessionId: 's2' } }), MfaRequiredError);
    await assert.rejects(verifyStepUpToken(key, token, { clock, expect: { principal: { ...alice, subject: 'bob' } } }), MfaRequiredError);
    await assert.rejects(verifyStepUpToken(key, token, { clock, expect: { principal: { ...alice, deviceId: 'other' } } }), MfaRequiredError);

    clock.advance(5 * 60_000 + 5_000);
    await assert.rejects(verifyStepUpToken(key, token, { clock }), (err: unknown) => err instanceof TokenInvalidError && err.reason === 'expired');
  });

  it('rejects a token of another key, a tampered one and one with trailing whitespace', async () => {
    const clock = new ManualClock(T0);
    const key = generateStepUpKey();
    const token = await signStepUpToken(key, { principal: alice, sessionId: 's1', maxRisk: 'low', ttlMs: 60_000, clock });
    await assert.rejects(verifyStepUpToken(generateStepUpKey(), token, { clock }), (err: unknown) => err instanceof TokenInvalidError && err.reason === 'bad_signature');
    await assert.rejects(verifyStepUpToken(key, `${token}\n`, { clock }), (err: unknown) => err instanceof TokenInvalidError && err.reason === 'malformed');
  });

  it('is not accepted as an engineer token, and an engineer token is not a step-up token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-stepup-'));
    try {
      const clock = new ManualClock(T0);
      const identity = identitySchema.parse({ dev_issuer: { enabled: true } });
      const dev = loadDevIssuer({ dataDir: dir, identity, clock });
      const verifier = createJwtVerifier(identity, { clock, devPublicKey: dev.publicJwk });
      const key = loadStepUpKey(dir, clock);
      assert.equal(statSync(join(dir, 'stepup-signing-key.json')).mode & 0o777, 0o600);
      assert.equal(loadStepUpKey(dir, clock).kid, key.kid);
      const stepUp = await signStepUpToken(key, { principal: alice, sessionId: 's1', maxRisk: 'low', ttlMs: 60_000, clock });
      await assert.rejects(verifier.verify(stepUp), (err: unknown) => err instanceof TokenInvalidError && err.reason === 'unknown_key');
      const engineer = await dev.mintDevToken({ sub: 'alice', groups: [], ttlMs: 60_000 });
      await assert.rejects(verifyStepUpToken(key, engineer, { clock }), TokenInvalidError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
