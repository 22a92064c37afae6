import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate } from 'otplib';
import { EventBus } from '../../../src/audit/events.js';
import { stepUpSchema } from '../../../src/config/sections/step-up.js';
import { BadRequestError, ForbiddenError, MfaInvalidError } from '../../../src/errors.js';
import type { Principal } from '../../../src/model/principal.js';
import { StepUpGrants } from '../../../src/identity/step-up-grants.js';
import { createStepUpRoute } from '../../../src/identity/step-up-route.js';
import { generateStepUpKey, verifyStepUpToken } from '../../../src/identity/step-up-token.js';
import { createTotpRoutes } from '../../../src/identity/totp/totp-routes.js';
import { TotpService } from '../../../src/identity/totp/totp-service.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 15);
const alice: Principal = { subject: 'alice', groups: [], authMethods: ['pwd'], deviceId: 'd1', tokenId: 'jwt-1', issuer: 'test', expiresAt: T0 + 3_600_000 };
const admin: Principal = { subject: 'root', groups: ['airlock-admins'], authMethods: ['pwd'], issuer: 'test', expiresAt: T0 + 3_600_000 };

function setup() {
  const clock = new ManualClock(T0);
  const store = new MemoryStore({ clock });
  const events = new EventBus();
  const totp = new TotpService({ store, events, config: stepUpSchema.parse({}), encryptionKey: Buffer.alloc(32, 9), clock });
  const routes = createTotpRoutes(totp, { adminGroups: ['airlock-admins'] });
  return { clock, store, events, totp, routes };
}

const codeAt = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

describe('TOTP control routes', () => {
  it('enroll → activate → status; reset is for admins only', async () => {
    const { clock, routes } = setup();
    const started = await routes.enroll(alice, {});
    assert.equal(typeof started.otpauth_uri, 'string');
    assert.equal(typeof started.qr, 'string');
    assert.equal(started.expires_at, new Date(T0 + 15 * 60_000).toISOString());
    await assert.rejects(routes.activate(alice, {}), BadRequestError);
    await assert.rejects(routes.activate(alice, { code: 123456 }), BadRequestError);
    await assert.rejects(routes.activate(alice, { code: '000000' }, { source: '10.0.0.1' }), MfaInvalidError);
    assert.deepEqual(await routes.activate(alice, { code: await codeAt(started.secret as string, clock.now()) }, { source: '10.0.0.1' }), { activated: true });
    assert.deepEqual(await routes.status(alice, undefined), { enrolled: true });
    await assert.rejects(routes.reset(alice, { subject: 'alice' }), ForbiddenError);
    assert.deepEqual(await routes.reset(admin, { subject: 'alice' }), { subject: 'alice', was_active: true });
    assert.deepEqual(await routes.status(alice, undefined), { enrolled: false });
  });
});

describe('step-up route', () => {
  it('verifies the caller’s code, grants the session and returns a step-up token', async () => {
    const { clock, store, totp, routes } = setup();
    const started = await routes.enroll(alice, {});
    await routes.activate(alice, { code: await codeAt(started.secret as string, clock.now()) });
    clock.advance(30_000);
    const grants = new StepUpGrants({ store, clock });
    const key = generateStepUpKey();
    const stepUp = createStepUpRoute({ totp, grants, key, grantTtlMs: 600_000, grantMaxRisk: 'medium', clock });

    await assert.rejects(stepUp(alice, { code: '000000', session_id: 's1' }), MfaInvalidError);
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'low' }), false);

    const result = await stepUp(alice, { code: await codeAt(started.secret as string, clock.now()), session_id: 's1' }, { source: '10.0.0.1' });
    assert.equal(result.session_id, 's1');
    assert.equal(result.max_risk, 'medium');
    assert.equal(result.expires_at, new Date(clock.now() + 600_000).toISOString());
    assert.equal(await grants.covers({ principal: alice, sessionId: 's1', risk: 'medium' }), true);
    const claims = await verifyStepUpToken(key, result.step_up_token as string, { clock, expect: { principal: alice, sessionId: 's1', risk: 'medium' } });
    assert.equal(claims.subject, 'alice');
  });
});
