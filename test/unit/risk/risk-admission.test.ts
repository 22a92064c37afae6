import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { SourceBlockedError, StoreUnavailableError, TokenInvalidError } from '../../../src/errors.js';
import { RiskAdmission } from '../../../src/risk/risk-admission.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { authRequest, person, startReplica, type Replica } from './risk-fixtures.js';

describe('admission: blocked source networks', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup() {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const r = await startReplica({ clock, store });
    cleanups.push(async () => {
      await r.stop();
      await store.close();
    });
    return { clock, store, r };
  }

  async function failLogins(r: Replica, count: number, source: (i: number) => string): Promise<void> {
    const good = r.verify;
    r.verify = async () => {
      throw new TokenInvalidError('bad_signature', 'token signature is invalid');
    };
    for (let i = 0; i < count; i++) await assert.rejects(r.gate.authenticate(authRequest(source(i), `bad-${i}`)), TokenInvalidError);
    r.verify = good;
    await r.settled();
  }

  it('blocks a /24 after 20 failed logins at authenticate(), once, and unblocks after block_for', async () => {
    const { clock, r } = await setup();
    await failLogins(r, 19, (i) => `10.0.0.${i + 1}`);
    await r.gate.authenticate(authRequest('10.0.0.50'));
    await failLogins(r, 1, () => '10.0.0.20');

    await assert.rejects(r.gate.authenticate(authRequest('10.0.0.50')), (err: unknown) => {
      assert.ok(err instanceof SourceBlockedError);
      assert.equal(err.code, 'AIRLOCK_SOURCE_BLOCKED');
      assert.equal(err.message, 'too many failed logins from 10.0.0.0/24; blocked for 15m');
      return true;
    });
    await assert.rejects(r.gate.authenticate(authRequest('::ffff:10.0.0.77')), SourceBlockedError, 'IPv4-mapped IPv6 is the same network');
    await r.gate.authenticate(authRequest('10.0.1.5')); // the next /24 is not affected

    // refusals while blocked are not failed logins: they do not extend or repeat the block
    await r.settled();
    const blocked = r.eventsOf('source.blocked');
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]?.source, '10.0.0.0/24');
    assert.deepEqual(blocked[0]?.rules, ['signal:auth_failures']);
    assert.equal(blocked[0]?.reason, 'too many failed logins from 10.0.0.0/24; blocked for 15m');
    assert.equal(blocked[0]?.data?.['failures'], 20);

    clock.advance(15 * 60_000 - 1);
    await assert.rejects(r.gate.authenticate(authRequest('10.0.0.50')), SourceBlockedError);
    clock.advance(1);
    const principal = await r.gate.authenticate(authRequest('10.0.0.50'));
    assert.equal(principal.subject, 'alice');
  });

  it('checks the block before the token: a bad token during a block gets the block, is not counted, and cannot re-block at once', async () => {
    const { clock, r } = await setup();
    await failLogins(r, 20, (i) => `10.0.0.${i + 1}`);
    // 25 more bad tokens during the block: each is told about the block, none is a failed login.
    const good = r.verify;
    let verified = 0;
    r.verify = async () => {
      verified++;
      throw new TokenInvalidError('malformed', 'token is malformed');
    };
    for (let i = 0; i < 25; i++) await assert.rejects(r.gate.authenticate(authRequest('10.0.0.9', 'garbage')), SourceBlockedError);
    assert.equal(verified, 0, 'the token is not even read while the source is blocked');
    await r.settled();
    r.verify = good;
    assert.equal(r.eventsOf('source.blocked').length, 1);
  });

  it('a network starts afresh when its block ends, even when the block is shorter than the window', async () => {
    const { clock, r } = await setup();
    r.signals.currentConfig.auth_failures.block_for = 40_000;
    await failLogins(r, 20, (i) => `10.0.0.${i + 1}`);
    await assert.rejects(r.gate.authenticate(authRequest('10.0.0.9')), SourceBlockedError);
    clock.advance(40_000);
    // The 20 failures are still inside the 5-minute window, but the block paid for them.
    await failLogins(r, 1, () => '10.0.0.9');
    const principal = await r.gate.authenticate(authRequest('10.0.0.9'));
    assert.equal(principal.subject, 'alice');
    assert.equal(r.eventsOf('source.blocked').length, 1);
    // Twenty new failures block it again.
    await failLogins(r, 19, (i) => `10.0.0.${i + 1}`);
    await assert.rejects(r.gate.authenticate(authRequest('10.0.0.9')), SourceBlockedError);
  });

  it('counts failures in the window only', async () => {
    const { clock, r } = await setup();
    await failLogins(r, 19, (i) => `10.0.0.${i + 1}`);
    clock.advance(5 * 60_000 + 1);
    await failLogins(r, 1, () => '10.0.0.1');
    await r.gate.authenticate(authRequest('10.0.0.1'));
    assert.equal(r.eventsOf('source.blocked').length, 0);
  });

  it('blocks IPv6 sources by /64', async () => {
    const { r } = await setup();
    await failLogins(r, 20, (i) => `2001:db8:0:1::${(i + 1).toString(16)}`);
    await assert.rejects(r.gate.authenticate(authRequest('2001:db8:0:1:ffff::1')), /too many failed logins from 2001:db8:0:1::\/64/);
    await r.gate.authenticate(authRequest('2001:db8:0:2::1'));
  });

  it('fails closed when the store is unavailable', async () => {
    const { store, r } = await setup();
    const admission = new RiskAdmission({ store, revocations: r.revocations, config: () => r.signals.currentConfig });
    await store.close();
    await assert.rejects(admission.admit(person('alice')), StoreUnavailableError);
    await assert.rejects(admission.admitSource({ protocol: 'postgres', target: 'db', source: '10.0.0.1', sessionId: 's' }), StoreUnavailableError);
    await assert.rejects(r.gate.authenticate(authRequest('10.0.0.1')), StoreUnavailableError);
  });
});
