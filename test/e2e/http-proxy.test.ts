import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import { WebSocket } from 'ws';
import { startTestAirlock } from '../support/airlock-instance.js';
import { curl } from '../support/curl.js';
import { RecordingUpstream, rawExchange } from '../support/http-upstream.js';
import { waitFor } from '../support/services.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;

/** Real time plus an offset the test moves, so a fresh TOTP step is reachable without waiting 30 s. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };


describe('HTTP proxy (end to end, real sockets, real upstream)', () => {
  let airlock: Instance;
  let upstream: RecordingUpstream;
  let base: string;
  let port: number;
  let alice: string;
  let bob: string;

  async function pendingOf(subject: string, pathPart: string): Promise<{ id: string; action: { hash: string; command: string } }> {
    let found: { id: string; action: { hash: string; command: string } } | undefined;
    await waitFor(async () => {
      const list = (await airlock.broker.list({ status: 'pending' })).filter((r) => r.requester.subject === subject && r.action.command.includes(pathPart));
      found = list[0] as typeof found;
      return found !== undefined;
    }, 10_000, `a pending request for ${pathPart}`);
    return found!;
  }

  async function decide(id: string, hash: string, decision: 'approve' | 'deny', reason?: string) {
    const response = await fetch(`${airlock.url}/v1/approvals/${id}/${decision}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action_hash: hash, ...(reason ? { reason } : {}) }),
    });
    assert.equal(response.status, 200, await response.text());
  }

  before(async () => {
    upstream = await new RecordingUpstream().start();
    airlock = await startTestAirlock(
      `
http: { enabled: true, listen: "127.0.0.1:0", notice_interval: 1s, max_body_bytes: 4096 }
targets:
  - name: api
    protocol: http
    upstream: { url: "${upstream.url}", bearer_token: upstream-secret-token }
    hosts: [127.0.0.1, api.test]
policy:
  rules:
    - id: quick-timeout
      match: { protocols: [http], objects: ["/timeout*"] }
      require: { approval: { approvers: approvers, timeout: 1s } }
    - id: uploads-allowed
      match: { protocols: [http], objects: ["/upload"] }
      require: allow
`,
      { clock },
    );
    assert.ok(airlock.http, 'the HTTP listener is up');
    port = airlock.http.port;
    base = `http://127.0.0.1:${port}`;
    alice = await airlock.token('alice', ['dev']);
    bob = await airlock.token('bob', ['approvers']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await upstream?.close();
  });

  it('passes a GET (curl and fetch) with the upstream credential instead of the engineer\'s token', async () => {
    const viaCurl = await curl(['-i', `${base}/items?x=1`, '-H', `Authorization: Bearer ${alice}`]);
    assert.equal(viaCurl.code, 0, viaCurl.stderr);
    assert.match(viaCurl.stdout, /^HTTP\/1\.1 200/);
    assert.match(viaCurl.stdout, /set-cookie: a=1\r\nset-cookie: b=2/i, 'duplicate response headers pass');
    const viaFetch = await fetch(`${base}/items`, { headers: { authorization: `Bearer ${alice}`, 'x-original-url': '/admin/delete', 'x-forwarded-for': '10.9.9.9' } });
    assert.equal(viaFetch.status, 200);
    const seen = upstream.seen.filter((r) => r.url.startsWith('/items'));
    assert.equal(seen.length, 2);
    for (const request of seen) {
      assert.equal(request.headers.authorization, 'Bearer upstream-secret-token', 'Airlock adds the upstream credential');
      assert.ok(!JSON.stringify(request.headers).includes(alice), 'the engineer\'s JWT never reaches the upstream');
      assert.equal(request.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(request.headers['x-original-url'], undefined, 'a header some servers take as the path never reaches the upstream');
    }
  });

  it('answers 401 without a token (a page for browsers) and never forwards', async () => {
    const before = upstream.seen.length;
    const program = await fetch(`${base}/items`);
    assert.equal(program.status, 401);
    assert.match(program.headers.get('www-authenticate') ?? '', /^Bearer realm="airlock"/);
    assert.equal(((await program.json()) as { type: string }).type, 'unauthenticated');
    const browser = await fetch(`${base}/items`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(browser.status, 401);
    assert.match(await browser.text(), /Sign in to Airlock/);
    const forged = await fetch(`${base}/items`, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate') ?? '', /invalid_token/);
    assert.equal(upstream.seen.length, before);
  });

  it('holds a DELETE (103 with the approval link), forwards it exactly once when approved', async () => {
    const run = curl(['-v', '-X', 'DELETE', `${base}/users/7`, '-H', `Authorization: Bearer ${alice}`, '-H', 'Airlock-Reason: INC-7']);
    const record = await pendingOf('alice', 'DELETE /users/7');
    assert.equal(upstream.count('DELETE', '/users/7'), 0, 'nothing reaches the upstream while held');
    const full = await airlock.broker.get(record.id);
    assert.equal(full?.reason, 'INC-7');
    await decide(record.id, record.action.hash, 'approve');
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /< HTTP\/1\.1 103 Early Hints/);
    assert.match(result.stderr, new RegExp(`< airlock-approval: ${record.id}`));
    assert.match(result.stderr, /< HTTP\/1\.1 200 OK/);
    assert.equal(upstream.count('DELETE', '/users/7'), 1, 'forwarded exactly once');
  });

  it('answers a denial with 403 problem JSON naming the reason and the approver', async () => {
    const pending = fetch(`${base}/users/8`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } });
    const record = await pendingOf('alice', 'DELETE /users/8');
    await decide(record.id, record.action.hash, 'deny', 'not during the freeze');
    const response = await pending;
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const problem = (await response.json()) as { type: string; reason: string; decided_by: string[] };
    assert.equal(problem.type, 'denied');
    assert.match(problem.reason, /not during the freeze/);
    assert.deepEqual(problem.decided_by, ['bob']);
    assert.equal(upstream.count('DELETE', '/users/8'), 0);
  });

  it('answers 504 approval_timeout when nobody decides in time', async () => {
    const response = await fetch(`${base}/timeout/1`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } });
    assert.equal(response.status, 504);
    assert.equal(((await response.json()) as { type: string }).type, 'approval_timeout');
    assert.equal(upstream.count('DELETE', '/timeout/1'), 0);
  });

  it('withdraws a held request when the client disconnects; a later approval runs nothing', async () => {
    const controller = new AbortController();
    const pending = fetch(`${base}/users/9`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` }, signal: controller.signal }).catch((err: unknown) => err);
    const record = await pendingOf('alice', 'DELETE /users/9');
    controller.abort();
    await pending;
    await waitFor(async () => (await airlock.broker.get(record.id))?.status === 'withdrawn', 5000, 'the request withdrawn');
    const late = await fetch(`${airlock.url}/v1/approvals/${record.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ action_hash: record.action.hash }) });
    assert.equal(late.status, 409);
    assert.equal(upstream.count('DELETE', '/users/9'), 0);
  });

  it('Prefer: respond-async gives 202; the approved retry is forwarded once; a different body or a second retry is refused', async () => {
    const body = JSON.stringify({ force: true });
    const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json', prefer: 'respond-async' };
    const first = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers, body });
    assert.equal(first.status, 202);
    const id = first.headers.get('airlock-approval');
    assert.ok(id);
    const problem = (await first.json()) as { approval_id: string; url: string; retry_with: { header: string } };
    assert.equal(problem.approval_id, id);
    assert.equal(problem.retry_with.header, 'Airlock-Approval');
    // Still pending: the retry is answered 202 again and not forwarded.
    const early = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id }, body });
    assert.equal(early.status, 202);
    const record = (await airlock.broker.get(id))!;
    await decide(id, record.action.hash, 'approve');
    const otherBody = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id }, body: JSON.stringify({ force: false }) });
    assert.equal(otherBody.status, 409, 'an approval covers only the request it was given for');
    const retry = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id }, body });
    assert.equal(retry.status, 200, await retry.text());
    const again = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers: { ...headers, 'airlock-approval': id }, body });
    assert.equal(again.status, 403);
    assert.equal(upstream.count('DELETE', '/jobs/purge'), 1, 'forwarded exactly once');
    const mallory = await airlock.token('mallory', ['dev']);
    const stolen = await fetch(`${base}/jobs/purge`, { method: 'DELETE', headers: { ...headers, authorization: `Bearer ${mallory}`, 'airlock-approval': id }, body });
    assert.equal(stolen.status, 404, 'someone else cannot redeem it');
  });

  it('answers a medium request with an RFC 9470 challenge; a step-up token from POST /v1/stepup passes', async () => {
    const carol = await airlock.token('carol', ['dev']);
    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${airlock.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${carol}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const enrolled = await api('/v1/totp/enroll', {});
    const secret = new URL(enrolled.body['otpauth_uri'] as string).searchParams.get('secret')!;
    const code = () => generate({ secret, epoch: Math.floor(clock.now() / 1000) });
    assert.equal((await api('/v1/totp/activate', { code: await code() })).status, 200);
    const request = { method: 'POST', headers: { authorization: `Bearer ${carol}`, 'content-type': 'application/json' }, body: '{"name":"x"}' };
    const challenged = await fetch(`${base}/widgets`, request);
    assert.equal(challenged.status, 401);
    const challenge = challenged.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_user_authentication"/);
    assert.match(challenge, /acr_values="airlock:stepup:medium"/);
    assert.equal(((await challenged.json()) as { step_up_endpoint: string }).step_up_endpoint, `${airlock.url}/v1/stepup`);
    assert.equal(upstream.count('POST', '/widgets'), 0);
    const forged = await fetch(`${base}/widgets`, { ...request, headers: { ...request.headers, 'airlock-step-up': 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA' } });
    assert.equal(forged.status, 401);
    assert.equal(upstream.count('POST', '/widgets'), 0);
    clock.offset += 30_000;
    const stepUp = await api('/v1/stepup', { code: await code() });
    assert.equal(stepUp.status, 200, JSON.stringify(stepUp.body));
    const passed = await fetch(`${base}/widgets`, { ...request, headers: { ...request.headers, 'airlock-step-up': stepUp.body['step_up_token'] as string } });
    assert.equal(passed.status, 200);
    assert.equal(upstream.count('POST', '/widgets'), 1);
    // The token is bound to the person: alice cannot use carol's.
    const borrowed = await fetch(`${base}/widgets`, { ...request, headers: { ...request.headers, authorization: `Bearer ${alice}`, 'airlock-step-up': stepUp.body['step_up_token'] as string } });
    assert.equal(borrowed.status, 401);
    assert.equal(upstream.count('POST', '/widgets'), 1);
  });

  it('refuses a held request whose body exceeds the inspection cap with 413, never forwarding it', async () => {
    const response = await fetch(`${base}/bulk`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` }, body: 'x'.repeat(10_000) });
    assert.equal(response.status, 413);
    assert.equal(upstream.count('DELETE', '/bulk'), 0);
    // A request allowed at once streams its large body through (uninspected, so never below medium: a rule allows it).
    const get = await fetch(`${base}/upload`, { method: 'PUT', headers: { authorization: `Bearer ${alice}` }, body: 'y'.repeat(10_000) });
    assert.equal(get.status, 200);
    assert.equal(upstream.seen.find((r) => r.url === '/upload')?.body.length, 10_000);
  });

  it('forwards a chunked upload (inspected within the cap) and streams a chunked one beyond it', async () => {
    const small = await curl(['-X', 'PUT', `${base}/upload`, '-H', `Authorization: Bearer ${alice}`, '-H', 'Transfer-Encoding: chunked', '--data-binary', 'abc'.repeat(100)]);
    assert.equal(small.code, 0, small.stderr);
    const large = await curl(['-X', 'PUT', `${base}/upload`, '-H', `Authorization: Bearer ${alice}`, '-H', 'Transfer-Encoding: chunked', '--data-binary', 'z'.repeat(50_000)]);
    assert.equal(large.code, 0, large.stderr);
    const bodies = upstream.seen.filter((r) => r.url === '/upload' && r.method === 'PUT').map((r) => r.body.length);
    assert.ok(bodies.includes(300) && bodies.includes(50_000), `bodies seen upstream: ${bodies.join(', ')}`);
  });

  it('relays a WebSocket (sub-protocol kept), closes both sides, and closes it with 1008 on revocation', async () => {
    const socketsBefore = upstream.openSockets;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['echo.v1'], { headers: { authorization: `Bearer ${alice}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    assert.equal(ws.protocol, 'echo.v1');
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send('hello through airlock');
    assert.equal(await echoed, 'hello through airlock');
    ws.close(1000);
    await new Promise((resolve) => ws.once('close', resolve));
    await waitFor(() => upstream.openSockets <= socketsBefore, 3000, 'the upstream WebSocket socket closed');

    // The upstream closing first closes the client side with its code, and leaves no socket.
    const second = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['echo.v1'], { headers: { authorization: `Bearer ${alice}` } });
    await new Promise<void>((resolve, reject) => {
      second.once('open', () => resolve());
      second.once('error', reject);
    });
    const upstreamClosed = new Promise<number>((resolve) => second.once('close', (code) => resolve(code)));
    second.send('close-me');
    assert.equal(await upstreamClosed, 4000);
    await waitFor(() => upstream.openSockets <= socketsBefore, 3000, 'the upstream WebSocket socket closed');

    const dave = await airlock.token('dave', ['dev']);
    const revoked = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${dave}` } });
    await new Promise<void>((resolve, reject) => {
      revoked.once('open', () => resolve());
      revoked.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => revoked.once('close', (code) => resolve(code)));
    const started = Date.now();
    const admin = await airlock.token('root', ['airlock-admins']);
    const revoke = await fetch(`${airlock.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'subject', id: 'dave', reason: 'laptop stolen' }) });
    assert.ok(revoke.status === 200 || revoke.status === 201, await revoke.text());
    assert.equal(await closed, 1008);
    assert.ok(Date.now() - started < 1500, 'closed within a second of the revocation');
    const refused = await fetch(`${base}/items`, { headers: { authorization: `Bearer ${dave}` } });
    assert.equal(refused.status, 403);
    // The control API refuses the revoked subject too (the approval pages and the CLI stop working).
    const control = await fetch(`${airlock.url}/v1/approvals?status=pending`, { headers: { authorization: `Bearer ${dave}` } });
    assert.equal(control.status, 403);
    assert.equal(((await control.json()) as { code: string }).code, 'AIRLOCK_REVOKED');
  });

  it('leaves no upstream socket behind when the client aborts a forwarded request', async () => {
    const controller = new AbortController();
    const pending = fetch(`${base}/slow`, { headers: { authorization: `Bearer ${alice}` }, signal: controller.signal }).catch(() => undefined);
    await waitFor(() => upstream.seen.some((r) => r.url === '/slow'), 5000, 'the slow request upstream');
    const withSlow = upstream.openSockets;
    controller.abort();
    await pending;
    await waitFor(() => upstream.openSockets < withSlow, 3000, 'the upstream socket of the aborted request closed');
  });

  it('refuses ambiguous requests on the wire with 400 before anything reaches the upstream', async () => {
    const before = upstream.seen.length;
    const auth = `Authorization: Bearer ${alice}\r\n`;
    const cases: Array<[string, string]> = [
      ['CL and TE', `POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['two CL', `POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`],
      ['TE chunked, identity', `POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
      ['obs-fold', `GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}X-Folded: a\r\n b\r\n\r\n`],
      ['encoded slash', `GET /a%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['encoded NUL', `GET /a%00b HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['encoded dot-dot', `GET /a/%2e%2e/b HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['absolute-form to another host', `GET http://evil.test/a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['unknown Host', `GET /a HTTP/1.1\r\nHost: other.test\r\n${auth}\r\n`],
      ['two Hosts', `GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: api.test\r\n${auth}\r\n`],
      ['lower-case method', `delete /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
      ['conflicting overrides', `POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}X-HTTP-Method-Override: GET\r\nX-Method-Override: DELETE\r\nContent-Length: 0\r\n\r\n`],
      ['duplicate JSON key', `POST /a HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 29\r\n\r\n{"force":false,"force":true }`],
      ['dot segment with a parameter', `GET /x/..;/admin HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}\r\n`],
    ];
    for (const [name, bytes] of cases) {
      const answer = await rawExchange(port, bytes);
      assert.match(answer, /^HTTP\/1\.1 400 /, `${name}: ${answer.slice(0, 200)}`);
    }
    assert.equal(upstream.seen.length, before, 'nothing reached the upstream');
  });

  it('exports its counts to Prometheus', async () => {
    const metrics = await (await fetch(`${airlock.url}/metrics`)).text();
    assert.match(metrics, /airlock_http_requests_total\{outcome="forwarded"[^}]*\} [1-9]/);
    assert.match(metrics, /airlock_http_requests_total\{outcome="refused"[^}]*\} [1-9]/);
    assert.match(metrics, /airlock_verdicts_total\{protocol="http"/);
  });

  it('classifies the effective method: an override to DELETE is held, not passed as the POST it claims', async () => {
    const response = await fetch(`${base}/users/10`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'x-http-method-override': 'DELETE', prefer: 'respond-async' }, body: '' });
    assert.equal(response.status, 202);
    const id = response.headers.get('airlock-approval')!;
    const record = await airlock.broker.get(id);
    assert.ok(record?.action.facts.kinds.includes('delete'));
    assert.equal(record?.action.risk, 'high');
    assert.equal(upstream.count('POST', '/users/10'), 0);
  });

  it('reads a _method field of a form body as the method the application will run (Rails, Laravel)', async () => {
    const response = await fetch(`${base}/users/11`, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/x-www-form-urlencoded', prefer: 'respond-async' }, body: 'name=x&_method=DELETE' });
    assert.equal(response.status, 202);
    const record = await airlock.broker.get(response.headers.get('airlock-approval')!);
    assert.ok(record?.action.facts.kinds.includes('delete'));
    assert.equal(upstream.count('POST', '/users/11'), 0);
  });
});
