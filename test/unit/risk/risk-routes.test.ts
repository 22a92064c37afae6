import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createControlServer } from '../../../src/control/control-server.js';
import { revocationRoutes } from '../../../src/control/revocation-routes.js';
import { riskRoutes } from '../../../src/control/risk-routes.js';
import { TokenInvalidError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { silentLogger } from '../../support/core-fixtures.js';
import { FakeSession, person, startReplica, type Replica } from './risk-fixtures.js';

const admin = person('root', ['airlock-admins']);
const dev = person('dana', ['dev']);

describe('control API: revocations and risk', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(): Promise<{ app: FastifyInstance; r: Replica; clock: ManualClock }> {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const r = await startReplica({ clock, store });
    const verifier = {
      verify: async (token: string) => {
        if (token === 'admin') return admin;
        if (token === 'dev') return dev;
        throw new TokenInvalidError('bad_signature', 'token signature is invalid');
      },
    };
    const adminGroups = r.config.control.admin_groups;
    const app = createControlServer({
      config: r.config.control,
      logger: silentLogger,
      routes: [revocationRoutes({ revocations: r.revocations, verifier, adminGroups }), riskRoutes({ store, signals: r.signals, revocations: r.revocations, clock, verifier, adminGroups })],
    });
    await app.ready();
    cleanups.push(async () => {
      await app.close();
      await r.stop();
      await store.close();
    });
    return { app, r, clock };
  }

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('lets admins revoke, list and lift; ends sessions; refuses non-admins', async () => {
    const { app, r } = await setup();
    const session = new FakeSession('s-1', person('alice'));
    r.sessions.register(session);

    const forbidden = await app.inject({ method: 'POST', url: '/v1/revocations', headers: as('dev'), payload: { kind: 'subject', id: 'alice', reason: 'x' } });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().code, 'AIRLOCK_FORBIDDEN');
    assert.equal((await app.inject({ method: 'GET', url: '/v1/revocations' })).statusCode, 401);

    const bad = await app.inject({ method: 'POST', url: '/v1/revocations', headers: as('admin'), payload: { kind: 'group', id: 'x' } });
    assert.equal(bad.statusCode, 400);
    const badTtl = await app.inject({ method: 'POST', url: '/v1/revocations', headers: as('admin'), payload: { kind: 'subject', id: 'x', ttl: 'forever' } });
    assert.equal(badTtl.statusCode, 400);

    const created = await app.inject({ method: 'POST', url: '/v1/revocations', headers: as('admin'), payload: { kind: 'subject', id: 'alice', reason: 'phished', ttl: '2h' } });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.equal(body.by, 'root');
    assert.equal(Date.parse(body.expires_at) - Date.parse(body.created_at), 2 * 3_600_000);
    assert.deepEqual(session.terminated, ['access revoked: phished']);

    const listed = await app.inject({ method: 'GET', url: '/v1/revocations', headers: as('admin') });
    assert.deepEqual(
      listed.json().revocations.map((x: { kind: string; id: string; reason: string }) => [x.kind, x.id, x.reason]),
      [['subject', 'alice', 'phished']],
    );

    const lifted = await app.inject({ method: 'DELETE', url: '/v1/revocations/subject/alice', headers: as('admin') });
    assert.equal(lifted.statusCode, 200);
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/revocations/subject/alice', headers: as('admin') })).statusCode, 404);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/revocations', headers: as('admin') })).json().revocations, []);
  });

  it('shows the signals of a principal and of a source, and what they do next', async () => {
    const { app, r, clock } = await setup();
    for (let i = 0; i < 3; i++) r.bus.emit({ type: 'mfa.failure', at: clock.now(), subject: 'alice', reason: 'invalid' });
    for (let i = 0; i < 20; i++) r.bus.emit({ type: 'auth.failure', at: clock.now(), source: `10.0.0.${i}`, reason: 'bad_signature' });
    await r.settled();

    assert.equal((await app.inject({ method: 'GET', url: '/v1/risk?sub=alice', headers: as('dev') })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/risk', headers: as('admin') })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/risk?source=not-an-ip', headers: as('admin') })).statusCode, 400);

    const subject = (await app.inject({ method: 'GET', url: '/v1/risk?sub=alice', headers: as('admin') })).json();
    assert.equal(subject.mfa_failures.count, 3);
    assert.deepEqual(
      subject.raises.map((x: { rule: string }) => x.rule),
      ['signal:mfa_failures'],
    );
    assert.match(subject.effect, /raised 1 level.*3 MFA failures in 10m for alice/);

    const source = (await app.inject({ method: 'GET', url: '/v1/risk?source=::ffff:10.0.0.7', headers: as('admin') })).json();
    assert.equal(source.network, '10.0.0.0/24');
    assert.equal(source.auth_failures.network, 20);
    assert.equal(source.auth_failures.address, 1);
    assert.match(source.effect, /connections from 10.0.0.0\/24 are refused until/);

    clock.advance(30 * 60_000);
    const later = (await app.inject({ method: 'GET', url: '/v1/risk?sub=alice', headers: as('admin') })).json();
    assert.deepEqual(later.raises, []);
    assert.match(later.effect, /no signal applies/);
  });
});
