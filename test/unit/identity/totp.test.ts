import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ScureBase32Plugin, generate } from 'otplib';
import type { SecondFactorVerifier } from '../../../src/approvals/second-factor.js';
import { EventBus, type AirlockEvent } from '../../../src/audit/events.js';
import { stepUpSchema } from '../../../src/config/sections/step-up.js';
import { ConfigInvalidError, MfaInvalidError, MfaNotEnrolledError, MfaReplayError, RateLimitedError } from '../../../src/errors.js';
import type { Principal } from '../../../src/model/principal.js';
import { loadTotpEncryptionKey } from '../../../src/identity/totp/encryption-key.js';
import { SecretCipher, SecretDecryptionError } from '../../../src/identity/totp/secret-cipher.js';
import type { TotpAlgorithm } from '../../../src/identity/totp/totp-code.js';
import { TotpService } from '../../../src/identity/totp/totp-service.js';
import type { Store } from '../../../src/store/store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';

const KEY = Buffer.alloc(32, 7);
const T0 = Date.UTC(2026, 0, 1, 12, 0, 15); // mid-step: 15 s into a 30 s step
const base32 = new ScureBase32Plugin();

function principal(subject: string): Principal {
  return { subject, groups: [], authMethods: ['pwd'], issuer: 'test', expiresAt: T0 + 3_600_000 };
}

interface Harness {
  clock: ManualClock;
  store: Store;
  events: AirlockEvent[];
  service: TotpService;
  written: string[];
}

/** A MemoryStore that remembers every value written, to prove no secret lands there in clear. */
function recordingStore(clock: ManualClock, written: string[]): Store {
  const store = new MemoryStore({ clock });
  const setValue = store.setValue.bind(store);
  store.setValue = async (key, value, options) => {
    written.push(value);
    return setValue(key, value, options);
  };
  return store;
}

function harness(overrides: Record<string, unknown> = {}, secret?: string, shared?: { clock: ManualClock; store: Store }): Harness {
  const clock = shared?.clock ?? new ManualClock(T0);
  const written: string[] = [];
  const store = shared?.store ?? recordingStore(clock, written);
  const bus = new EventBus();
  const events: AirlockEvent[] = [];
  bus.on((e) => events.push(e));
  const config = stepUpSchema.parse(overrides);
  const service = new TotpService({
    store,
    events: bus,
    config,
    encryptionKey: KEY,
    clock,
    ...(secret === undefined ? {} : { generateSecret: () => secret }),
  });
  return { clock, store, events, service, written };
}

async function codeAt(secret: string, ms: number, algorithm: TotpAlgorithm = 'SHA1', digits = 6, period = 30): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000), algorithm: algorithm.toLowerCase() as 'sha1', digits, period });
}

/** Enrols `subject` and activates with the current code; returns the secret. */
async function enrol(h: Harness, subject = 'alice'): Promise<string> {
  const start = await h.service.beginEnrollment(principal(subject));
  await h.service.activate(principal(subject), await codeAt(start.secret, h.clock.now()), '10.0.0.1');
  // Move to the next step so the activation code's step is behind us.
  h.clock.advance(30_000);
  return start.secret;
}

const types = (events: AirlockEvent[]) => events.map((e) => e.type);

describe('TOTP: RFC 6238 appendix B vectors through TotpService.verify', () => {
  const seeds: Record<TotpAlgorithm, string> = {
    SHA1: '12345678901234567890',
    SHA256: '12345678901234567890123456789012',
    SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
  };
  const vectors: [number, Record<TotpAlgorithm, string>][] = [
    [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
    [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
    [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
    [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
    [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
    [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
  ];
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    it(`${algorithm}, 8 digits`, async () => {
      const secret = base32.encode(new TextEncoder().encode(seeds[algorithm]));
      const h = harness({ totp: { algorithm, digits: 8 } }, secret);
      h.clock.set(1_000);
      const start = await h.service.beginEnrollment(principal('rfc'));
      assert.ok(start.uri.includes(`algorithm=${algorithm}`) || algorithm === 'SHA1');
      // Activation at t=59 uses the first vector; the others go through verify.
      const [[firstTime, firstCodes], ...rest] = vectors as [typeof vectors[0], ...typeof vectors];
      h.clock.set(firstTime * 1000);
      await h.service.activate(principal('rfc'), firstCodes[algorithm], '');
      for (const [time, codes] of rest) {
        h.clock.set(time * 1000);
        await h.service.verify({ subject: 'rfc', code: codes[algorithm], source: '' });
        await assert.rejects(h.service.verify({ subject: 'rfc', code: codes[algorithm], source: '' }), MfaReplayError);
      }
    });
  }
});

describe('TotpService', () => {
  it('enrolment: a secret of >= 20 bytes shown once, stored only encrypted, active after one valid code', async () => {
    const h = harness();
    const start = await h.service.beginEnrollment({ ...principal('alice'), email: 'alice@example.com' });
    assert.match(start.secret, /^[A-Z2-7]{32,}$/);
    assert.ok(base32.decode(start.secret).length >= 20);
    assert.ok(start.uri.startsWith('otpauth://totp/Airlock:alice%40example.com?'));
    assert.ok(start.uri.includes(`secret=${start.secret}`));
    assert.ok(start.qr.length > 100);
    assert.equal(await h.service.isEnrolled('alice'), false);
    await assert.rejects(h.service.verify({ subject: 'alice', code: await codeAt(start.secret, h.clock.now()), source: 's' }), MfaNotEnrolledError);

    await assert.rejects(h.service.activate(principal('alice'), '000000', 's'), MfaInvalidError);
    assert.equal(await h.service.isEnrolled('alice'), false);
    h.clock.advance(30_000);
    await h.service.activate(principal('alice'), await codeAt(start.secret, h.clock.now()), 's');
    assert.equal(await h.service.isEnrolled('alice'), true);
    assert.ok(types(h.events).includes('mfa.enrolled'));
    for (const value of h.written) assert.ok(!value.includes(start.secret), 'secret must never be stored in clear');
    // A second enrolment over an active factor is refused (a stolen JWT must not replace the factor).
    await assert.rejects(h.service.beginEnrollment(principal('alice')), { code: 'AIRLOCK_FORBIDDEN' });
  });

  it('accepts a code once and rejects its reuse; events carry subject and source, never the code', async () => {
    const h = harness();
    const secret = await enrol(h);
    const code = await codeAt(secret, h.clock.now());
    await h.service.verify({ subject: 'alice', code, source: '10.0.0.9' });
    await assert.rejects(h.service.verify({ subject: 'alice', code, source: '10.0.0.9' }), MfaReplayError);
    const success = h.events.find((e) => e.type === 'mfa.success' && e.source === '10.0.0.9');
    assert.equal(success?.subject, 'alice');
    const replay = h.events.find((e) => e.type === 'mfa.replay');
    assert.equal(replay?.subject, 'alice');
    assert.equal(replay?.source, '10.0.0.9');
    assert.ok(!JSON.stringify(h.events).includes(code));
  });

  it('rejects a code of the previous step once a newer one was used', async () => {
    const h = harness();
    const secret = await enrol(h);
    const previous = await codeAt(secret, h.clock.now() - 30_000);
    const current = await codeAt(secret, h.clock.now());
    await h.service.verify({ subject: 'alice', code: current, source: '' });
    await assert.rejects(h.service.verify({ subject: 'alice', code: previous, source: '' }), MfaReplayError);
  });

  it('accepts codes one step either side, never two', async () => {
    const h = harness();
    const secret = await enrol(h);
    h.clock.advance(60_000); // the step before now must be one the activation did not use
    const now = h.clock.now();
    await assert.rejects(h.service.verify({ subject: 'alice', code: await codeAt(secret, now - 60_000), source: '' }), MfaInvalidError);
    await assert.rejects(h.service.verify({ subject: 'alice', code: await codeAt(secret, now + 60_000), source: '' }), MfaInvalidError);
    await h.service.verify({ subject: 'alice', code: await codeAt(secret, now - 30_000), source: '' });
    await h.service.verify({ subject: 'alice', code: await codeAt(secret, now + 30_000), source: '' });
  });

  it('window 0 accepts only the current step', async () => {
    const h = harness({ totp: { window: 0 } });
    const secret = await enrol(h);
    const now = h.clock.now();
    await assert.rejects(h.service.verify({ subject: 'alice', code: await codeAt(secret, now - 30_000), source: '' }), MfaInvalidError);
    await h.service.verify({ subject: 'alice', code: await codeAt(secret, now), source: '' });
  });

  it('refuses the 6th attempt in a window without checking it, even when the code is right', async () => {
    const h = harness();
    const secret = await enrol(h);
    h.clock.advance(60_000); // fresh attempt window after enrolment
    for (let i = 0; i < 5; i++) {
      await assert.rejects(h.service.verify({ subject: 'alice', code: '000000', source: '10.0.0.1' }), MfaInvalidError);
    }
    h.events.length = 0;
    const right = await codeAt(secret, h.clock.now());
    await assert.rejects(h.service.verify({ subject: 'alice', code: right, source: '10.0.0.1' }), (err: unknown) => {
      assert.ok(err instanceof RateLimitedError);
      assert.equal(err.retryAfterSeconds, 60);
      return true;
    });
    assert.deepEqual(types(h.events), ['mfa.rate_limited']);
    // Not checked means not consumed either: after the lock-out the same step is still unused.
    h.clock.advance(60_000);
    await h.service.verify({ subject: 'alice', code: await codeAt(secret, h.clock.now()), source: '10.0.0.1' });
  });

  it('lock-out doubles on each repeat, up to lockout_max', async () => {
    const h = harness({ attempts: { per_window: 5, window: '1m', lockout_max: '3m' } });
    await enrol(h);
    h.clock.advance(60_000);
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) await assert.rejects(h.service.verify({ subject: 'alice', code: '000000', source: '' }), MfaInvalidError);
      await assert.rejects(h.service.verify({ subject: 'alice', code: '000000', source: '' }), (err: unknown) => {
        assert.ok(err instanceof RateLimitedError);
        seen.push(err.retryAfterSeconds);
        return true;
      });
      // Still locked just before the end, and the refusal counts down.
      h.clock.advance(seen[round]! * 1000 - 1000);
      await assert.rejects(h.service.verify({ subject: 'alice', code: '000000', source: '' }), (err: unknown) => err instanceof RateLimitedError && err.retryAfterSeconds === 1);
      h.clock.advance(1000);
    }
    assert.deepEqual(seen, [60, 120, 180]);
  });

  it('limits attempts per source across users (per_source_window)', async () => {
    const h = harness({ attempts: { per_window: 5, per_source_window: 5, window: '1m', lockout_max: '1h' } });
    for (const user of ['u1', 'u2', 'u3']) await enrol(h, user);
    h.clock.advance(60_000);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(h.service.verify({ subject: `u${(i % 3) + 1}`, code: '000000', source: '192.0.2.7' }), MfaInvalidError);
    }
    await assert.rejects(h.service.verify({ subject: 'u1', code: '000000', source: '192.0.2.7' }), RateLimitedError);
    // Another source is not affected.
    await assert.rejects(h.service.verify({ subject: 'u1', code: '000000', source: '192.0.2.8' }), MfaInvalidError);
    const limited = h.events.find((e) => e.type === 'mfa.rate_limited');
    assert.equal(limited?.data?.scope, 'source');
  });

  it("by default one person's fumbles behind a shared address lock out only that person", async () => {
    const h = harness();
    for (const user of ['bob', 'alice']) await enrol(h, user);
    h.clock.advance(60_000);
    for (let i = 0; i < 5; i++) await assert.rejects(h.service.verify({ subject: 'bob', code: '000000', source: '127.0.0.1' }), MfaInvalidError);
    await assert.rejects(h.service.verify({ subject: 'bob', code: '000000', source: '127.0.0.1' }), RateLimitedError);
    // alice, on the same address, still gets her code checked.
    await assert.rejects(h.service.verify({ subject: 'alice', code: '000000', source: '127.0.0.1' }), MfaInvalidError);
  });

  it('treats malformed codes as wrong codes', async () => {
    const h = harness();
    await enrol(h);
    h.clock.advance(60_000);
    for (const code of ['', '12345', '1234567', '12345a', '１２３４５６']) {
      await assert.rejects(h.service.verify({ subject: 'alice', code, source: '' }), MfaInvalidError);
    }
  });

  it('fits the approvals SecondFactorVerifier contract', () => {
    const verifier: SecondFactorVerifier = harness().service;
    assert.equal(typeof verifier.verify, 'function');
  });

  it('single use holds across two replicas sharing a store', async () => {
    const a = harness();
    const secret = await enrol(a);
    const b = harness({}, undefined, { clock: a.clock, store: a.store });
    const code = await codeAt(secret, a.clock.now());
    await a.service.verify({ subject: 'alice', code, source: '' });
    await assert.rejects(b.service.verify({ subject: 'alice', code, source: '' }), MfaReplayError);
  });

  it('reset removes the factor; the user can enrol again', async () => {
    const h = harness();
    await enrol(h);
    assert.equal(await h.service.reset('alice', 'admin'), true);
    assert.equal(await h.service.isEnrolled('alice'), false);
    assert.ok(types(h.events).includes('mfa.reset'));
    await assert.rejects(h.service.verify({ subject: 'alice', code: '123456', source: '' }), MfaNotEnrolledError);
    await enrol(h);
  });

  it('refuses activation when the pending enrolment expired', async () => {
    const h = harness();
    const start = await h.service.beginEnrollment(principal('alice'));
    h.clock.advance(16 * 60_000);
    await assert.rejects(h.service.activate(principal('alice'), await codeAt(start.secret, h.clock.now()), ''), MfaNotEnrolledError);
  });
});

describe('TOTP secrets at rest', () => {
  it('round-trips and rejects tampering or another owner', () => {
    const cipher = new SecretCipher(KEY);
    const sealed = cipher.encrypt('JBSWY3DPEHPK3PXP', 'alice');
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    assert.equal(cipher.decrypt(sealed, 'alice'), 'JBSWY3DPEHPK3PXP');
    assert.notEqual(cipher.encrypt('JBSWY3DPEHPK3PXP', 'alice'), sealed, 'fresh IV each time');
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[2]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    const tampered = [parts[0], parts[1], ct.toString('base64url'), parts[3]].join('.');
    assert.throws(() => cipher.decrypt(tampered, 'alice'), SecretDecryptionError);
    assert.throws(() => cipher.decrypt(sealed, 'mallory'), SecretDecryptionError);
    assert.throws(() => new SecretCipher(Buffer.alloc(32, 8)).decrypt(sealed, 'alice'), SecretDecryptionError);
    assert.throws(() => cipher.decrypt('garbage', 'alice'), SecretDecryptionError);
  });

  it('uses the configured key, or generates one (0600) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-totp-'));
    try {
      const configured = Buffer.alloc(32, 3).toString('base64');
      assert.deepEqual(loadTotpEncryptionKey({ encryptionKey: configured, dataDir: dir }), Buffer.alloc(32, 3));
      assert.throws(() => loadTotpEncryptionKey({ encryptionKey: Buffer.alloc(16).toString('base64'), dataDir: dir }), ConfigInvalidError);
      const first = loadTotpEncryptionKey({ dataDir: join(dir, 'data') });
      assert.equal(first.length, 32);
      assert.equal(statSync(join(dir, 'data', 'totp-key')).mode & 0o777, 0o600);
      assert.deepEqual(loadTotpEncryptionKey({ dataDir: join(dir, 'data') }), first);
      assert.equal(Buffer.from(readFileSync(join(dir, 'data', 'totp-key'), 'utf8').trim(), 'base64').length, 32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
