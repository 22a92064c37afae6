import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { generate } from 'otplib';
import { parse } from 'yaml';
import { renderKustomization, readManifests, type K8sObject } from '../unit/deploy/support/kustomize.js';
import { airlockConfigSource, ingresses } from '../unit/deploy/support/manifests.js';
import { freePort, heldApprovalId } from '../support/airlock-process.js';
import { FakeSlackApi } from '../support/fake-slack-api.js';
import { direct, psql, uniqueName, type RunningProcess } from '../support/pg-clients.js';
import { RedisServer, requireRedisServerBinary } from '../support/redis-server.js';
import { RenderedSidecar, type Substitution } from '../support/rendered-sidecar.js';
import { POSTGRES, requirePostgres, waitFor } from '../support/services.js';

const OVERLAY = 'deploy/overlays/postgres-sidecar';
const TOTP_PERIOD_MS = 30_000;

// The postgres-sidecar overlay as shipped: rendered with the kustomize subset,
// its Airlock container run as a real `airlock serve` with the ConfigMap's
// airlock.yaml unchanged except for what a cluster provides (mounted volumes,
// listen addresses, the Ingress host, Redis and Slack addresses, and the test
// database in place of the pod's PostgreSQL), then used the way an engineer,
// the application and an approver would: psql through the proxy and the
// control API on the paths the overlay's Ingress routes.
describe('e2e: deploy/overlays/postgres-sidecar runs as shipped', () => {
  let objects: K8sObject[];
  let issuerKey: KeyObject;
  let issuer: string;
  let redisBinary = '';
  let redis: RedisServer | null = null;
  const slack = new FakeSlackApi();
  let sidecar: RenderedSidecar;
  let pgPort: number;
  const run = uniqueName('sidecar');
  const engineer = `${run}@example.com`; // unique per run: enrolments live in Redis
  const tables: string[] = [];
  let totpSecret = '';
  let activationStep = 0;

  before(async () => {
    const binary = requireRedisServerBinary(); // in CI a missing redis-server fails here
    if (!binary) return;
    redisBinary = binary;
    objects = renderKustomization(OVERLAY);
    issuer = String(parse(airlockConfigSource(objects)).identity.issuer);
  });

  after(async () => {
    await sidecar?.close();
    await redis?.close();
    await slack.stop();
    for (const table of tables) await direct((c) => c.query(`DROP TABLE IF EXISTS ${table}`)).catch(() => undefined);
  });

  /** Skips without the servers (fails in CI); starts everything once. */
  async function ready(t: TestContext): Promise<boolean> {
    if (!objects) {
      t.skip('redis-server is not installed');
      return false;
    }
    if (!(await requirePostgres(t))) return false;
    if (sidecar) return true;
    // The airlock-secrets Secret, one value per key of the template (a cluster's operator creates it).
    const template = readManifests('deploy/base/secrets/airlock-secrets.example.yaml')[0] as K8sObject;
    const keys = Object.keys(template['stringData'] as Record<string, string>);
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    issuerKey = pair.privateKey;
    const secrets: Record<string, string> = Object.fromEntries(keys.map((k) => [k, `e2e-${k}-${randomBytes(6).toString('hex')}\n`]));
    secrets['issuer-public-key.pem'] = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    secrets['totp-encryption-key'] = `${randomBytes(32).toString('base64')}\n`;
    secrets['slack-bot-token'] = 'xoxb-e2e-sidecar\n';
    secrets['slack-app-token'] = 'xapp-e2e-sidecar\n';
    // The overlay's Redis reads the same Secret key: require the same password here.
    redis = await RedisServer.start(redisBinary, { args: ['--requirepass', (secrets['redis-password'] as string).trim()] });
    await slack.start();
    pgPort = await freePort();
    const controlPort = await freePort();
    const substitutions: Substitution[] = [
      // Addresses the pod network gives: here, loopback and free ports.
      [['control', 'listen'], `127.0.0.1:${controlPort}`],
      [['postgres', 'listen'], `127.0.0.1:${pgPort}`],
      // The Ingress host: here, the control port itself.
      [['server', 'public_url'], `http://127.0.0.1:${controlPort}`],
      // The overlay's Redis Service: a redis-server with the Secret's password.
      [['store', 'redis', 'url'], redis.url],
      // Slack's Web API and Socket Mode: a local stand-in.
      [['approvals', 'channels', 'slack', 'api_url'], slack.url],
      // The pod's PostgreSQL (same host 127.0.0.1:5432): the test database, whose role takes no password.
      [['targets', 0, 'upstream', 'port'], POSTGRES.port],
      [['targets', 0, 'upstream', 'database'], POSTGRES.database],
      [['targets', 0, 'upstream', 'user'], POSTGRES.user],
    ];
    sidecar = new RenderedSidecar({ objects, secrets, podName: 'app-db-0', substitutions, pgPort, controlPort });
    // Nothing else differs from the rendered ConfigMap (port 5432 and host 127.0.0.1 happen to match already).
    assert.deepEqual(
      [...sidecar.changed].sort(),
      ['approvals.channels.slack.api_url', 'control.listen', 'postgres.listen', 'server.public_url', 'store.redis.url', 'targets.0.upstream.database', 'targets.0.upstream.user'],
    );
    await sidecar.start();
    return true;
  }

  function token(sub: string, groups: readonly string[]): Promise<string> {
    return new SignJWT({ groups: [...groups], email: sub.includes('@') ? sub : undefined })
      .setProtectedHeader({ alg: 'ES256', kid: 'issuer-2025' })
      .setIssuer(issuer)
      .setAudience('airlock')
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(issuerKey);
  }

  /** psql through the proxy, TLS required (the overlay sets plaintext: never). */
  function psqlAs(jwt: string, user: string, sql: string): RunningProcess {
    const env = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(pgPort), PGDATABASE: 'app', PGUSER: user, PGPASSWORD: jwt, PGSSLMODE: 'require' };
    return psql(env, ['-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]);
  }

  /** A control API call on a path the overlay's Ingress routes to the pod (never one it does not). */
  async function controlApi(method: 'GET' | 'POST', path: string, jwt: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const routed = ingresses(objects).flatMap((i) => (i.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.path ?? '')));
    assert.ok(routed.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)), `${path} is routed by the Ingress (${routed.join(', ')})`);
    const response = await fetch(`${sidecar.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${jwt}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function table(): Promise<string> {
    const name = uniqueName('sidecar_t');
    tables.push(name);
    await direct((c) => c.query(`CREATE TABLE ${name} (id int primary key, n int); INSERT INTO ${name} VALUES (1, 0), (2, 0)`));
    return name;
  }

  const rowCount = async (name: string) => (await direct((c) => c.query(`SELECT count(*)::int AS n FROM ${name}`))).rows[0].n as number;
  const valueOf = async (name: string) => (await direct((c) => c.query(`SELECT n FROM ${name} WHERE id = 1`))).rows[0].n as number;

  it('is ready, with the Redis store reachable', async (t) => {
    if (!(await ready(t))) return;
    const { status, body } = await sidecar.readyz();
    assert.equal(status, 200);
    assert.equal(body.status, 'ready');
    assert.equal(body.checks?.['store'], 'ok');
  });

  it('runs an engineer\'s low-risk SELECT through psql over TLS with a token from the issuer', async (t) => {
    if (!(await ready(t))) return;
    const result = await psqlAs(await token(engineer, ['engineers']), engineer, 'SELECT current_database(), 41 + 1').done;
    assert.equal(result.code, 0, `${result.stderr}\n${sidecar.logTail()}`);
    assert.equal(result.stdout.trim(), `${POSTGRES.database}|42`);
  });

  it('lets the application\'s own medium-risk UPDATE through without step-up (it has no second factor)', async (t) => {
    if (!(await ready(t))) return;
    const name = await table();
    const result = await psqlAs(await token(`app-${run}`, ['app-workloads']), 'app', `UPDATE ${name} SET n = n + 1 WHERE id = 1`).done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stderr.includes('held'), result.stderr);
    assert.equal(await valueOf(name), 1);
  });

  it('holds an engineer\'s high-risk DELETE (no WHERE) until an approver approves it through the control API; psql then completes', async (t) => {
    if (!(await ready(t))) return;
    const name = await table();
    const sql = `DELETE FROM ${name}`;
    const held = psqlAs(await token(engineer, ['engineers']), engineer, sql);
    await waitFor(() => heldApprovalId(held.stderr) !== null || held.child.exitCode !== null, 15_000, 'the hold notice');
    const id = heldApprovalId(held.stderr);
    assert.ok(id, held.stderr);
    assert.equal(await rowCount(name), 2, 'nothing runs before the verdict');
    // The shipped Slack channel gets the request too (Socket Mode, through the stand-in).
    const channel = String(parse(airlockConfigSource(objects)).approvals.channels.slack.channel);
    await slack.waitForCall('chat.postMessage', (c) => c.args['channel'] === channel && JSON.stringify(c.args).includes(sql), 10_000);
    // bob is a dba in the shipped approvals.directory; the requester could not approve it.
    const bob = await token('bob@example.com', ['dba', 'security']);
    const view = await controlApi('GET', `/v1/approvals/${id}`, bob);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    const action = view.body['action'] as { hash: string; command: string };
    assert.equal(action.command, sql);
    const approved = await controlApi('POST', `/v1/approvals/${id}/approve`, bob, { action_hash: action.hash, reason: 'e2e' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await waitFor(() => held.child.exitCode !== null, 15_000, 'psql to finish after the approval');
    const result = await held.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'DELETE 2');
    assert.equal(await rowCount(name), 0);
  });

  it('enrols an engineer\'s authenticator in Redis, so step-up still works after the process restarts with fresh emptyDirs', async (t) => {
    if (!(await ready(t))) return;
    const jwt = await token(engineer, ['engineers']);
    const enrolled = await controlApi('POST', '/v1/totp/enroll', jwt, {});
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    totpSecret = new URL(enrolled.body['otpauth_uri'] as string).searchParams.get('secret') as string;
    activationStep = Math.floor(Date.now() / TOTP_PERIOD_MS);
    const activated = await controlApi('POST', '/v1/totp/activate', jwt, { code: await generate({ secret: totpSecret, epoch: activationStep * (TOTP_PERIOD_MS / 1000) }) });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));

    // A pod restart: the process stops, its data_dir (emptyDir) is gone, the Secret and Redis remain.
    await sidecar.stop();
    await sidecar.start();
    assert.equal((await sidecar.readyz()).body.checks?.['store'], 'ok');

    const name = await table();
    const update = psqlAs(jwt, engineer, `UPDATE ${name} SET n = n + 10 WHERE id = 1`);
    // With a memory store the enrolment would be gone and psql refused at once ("no authenticator enrolled").
    await waitFor(() => /airlock confirm ([A-Za-z0-9_-]{22})/.test(update.stderr) || update.child.exitCode !== null, 15_000, 'the step-up notice');
    const id = /airlock confirm ([A-Za-z0-9_-]{22})/.exec(update.stderr)?.[1];
    assert.ok(id, `${update.stderr}\n${sidecar.logTail()}`);
    assert.match(update.stderr, /step-up required/);
    assert.equal(await valueOf(name), 0, 'held');
    // The activation code's step is used (the replay mark is in Redis too): the next step is within the accepted window.
    const step = Math.max(activationStep + 1, Math.floor(Date.now() / TOTP_PERIOD_MS));
    const confirmed = await controlApi('POST', `/v1/approvals/${id}/confirm`, jwt, { code: await generate({ secret: totpSecret, epoch: step * (TOTP_PERIOD_MS / 1000) }) });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    await waitFor(() => update.child.exitCode !== null, 15_000, 'psql to finish after the confirmation');
    const result = await update.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await valueOf(name), 10);
  });
});
