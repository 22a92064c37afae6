import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HttpClassifier } from '../../../src/classifiers/http/index.js';
import { riskRank, type RiskLevel } from '../../../src/model/risk-level.js';

/** One request as `airlock explain` takes it, and what the rule must see (or that it is refused). */
interface Case {
  readonly input: string | Record<string, unknown>;
  /** Refused with 400 and never forwarded. */
  readonly refused?: true;
  readonly kind?: string;
  readonly object?: string;
  readonly flag?: string;
  /** The risk is at least this. */
  readonly atLeast?: RiskLevel;
  /** The risk is exactly this (benign look-alikes). */
  readonly risk?: RiskLevel;
}

const generic = new HttpClassifier();

function run(classifier: HttpClassifier, c: Case): void {
  const text = typeof c.input === 'string' ? c.input : JSON.stringify(c.input);
  const result = classifier.classify(text);
  const flags = result.facts.flags;
  if (c.refused) {
    assert.ok(flags.includes('refused'), `${text}: expected refused, got ${JSON.stringify(result.facts)}`);
    assert.equal(result.risk, 'critical');
    return;
  }
  assert.ok(!flags.includes('refused'), `${text}: refused: ${JSON.stringify(result.facts.details)}`);
  if (c.kind) assert.ok(result.facts.kinds.includes(c.kind), `${text}: kinds ${result.facts.kinds.join(',')} lack ${c.kind}`);
  if (c.object) assert.ok(result.facts.objects.includes(c.object), `${text}: objects ${result.facts.objects.join(',')} lack ${c.object}`);
  if (c.flag) assert.ok(flags.includes(c.flag), `${text}: flags ${flags.join(',')} lack ${c.flag}`);
  if (c.atLeast) assert.ok(riskRank(result.risk) >= riskRank(c.atLeast), `${text}: risk ${result.risk} < ${c.atLeast}`);
  if (c.risk) assert.equal(result.risk, c.risk, `${text}: risk`);
}

/** Evasion attempts: each is classified on the effective request, or refused. */
const EVASIONS: Case[] = [
  { input: 'DELETE /admin/../admin/delete', kind: 'delete', object: '/admin/delete', atLeast: 'high' },
  { input: 'DELETE /x/../../admin/users/1', object: '/admin/users/1', atLeast: 'high' },
  { input: 'DELETE /admin/./users/1', object: '/admin/users/1' },
  { input: 'DELETE //admin//users//1', object: '/admin/users/1' },
  { input: 'DELETE /admin;jsessionid=abc/users/1', object: '/admin/users/1', atLeast: 'high' },
  { input: 'DELETE /admin/users;v=1/1', object: '/admin/users/1' },
  { input: 'DELETE /%61dmin/users/1', object: '/admin/users/1' },
  { input: 'DELETE /ADMIN%2dX/users', object: '/ADMIN-X/users' },
  { input: 'DELETE /%7euser/x', object: '/~user/x' },
  { input: 'DELETE /admin%2fusers', refused: true },
  { input: 'DELETE /admin%2Fusers', refused: true },
  { input: 'DELETE /admin%5cusers', refused: true },
  { input: 'DELETE /admin%00/users', refused: true },
  { input: 'DELETE /%2e%2e/admin', refused: true },
  { input: 'DELETE /%2E%2E/admin', refused: true },
  { input: 'DELETE /.%2e/admin', refused: true },
  { input: 'DELETE /admin/%2e/x', refused: true },
  { input: 'DELETE /admin/..;/x', refused: true },
  { input: 'DELETE /admin/.;x/y', refused: true },
  { input: 'DELETE /admin/%zz', refused: true },
  { input: 'DELETE /admin/%', refused: true },
  { input: 'DELETE /admin\\users', refused: true },
  { input: 'DELETE /admin#frag', refused: true },
  { input: 'DELETE /caf\u00e9', refused: true },
  { input: 'DELETE /admin/\u202eusers', refused: true },
  { input: 'DELETE /admin/%E2%80%AEusers', object: '/admin/%E2%80%AEusers', atLeast: 'high' },
  { input: 'DELETE /admin?x=%zz', refused: true },
  { input: 'delete /admin/users/1', refused: true },
  { input: 'Delete /admin/users/1', refused: true },
  { input: 'DEL\u0000ETE /admin', refused: true },
  { input: 'POST /admin/users/1?_method=DELETE', kind: 'delete', flag: 'method_override', atLeast: 'high' },
  { input: 'POST /admin/users/1?%5Fmethod=DELETE', kind: 'delete', atLeast: 'high' },
  { input: 'POST /admin/users/1?_method=delete', refused: true },
  { input: 'POST /admin/users/1?_method=DELETE&_method=GET', refused: true },
  { input: { method: 'POST', url: '/admin/users/1', headers: { 'X-HTTP-Method-Override': 'DELETE' } }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/admin/users/1', headers: { 'X-Method-Override': 'DELETE' } }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/admin/users/1', headers: { 'X-HTTP-Method': 'DELETE' } }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/a', headers: { 'X-HTTP-Method-Override': 'GET' } }, kind: 'get', atLeast: 'medium' },
  { input: { method: 'GET', url: '/a', headers: { 'X-HTTP-Method-Override': 'DELETE' } }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/a', headers: { 'X-HTTP-Method-Override': 'delete' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'X-HTTP-Method-Override': 'GET', 'X-Method-Override': 'DELETE' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Content-Length': '4', 'Transfer-Encoding': 'chunked' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Transfer-Encoding': 'chunked, identity' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Transfer-Encoding': 'identity' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Transfer-Encoding': 'gzip, chunked' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Content-Length': '+4' } }, refused: true },
  { input: { method: 'POST', url: '/a', headers: { 'Content-Length': '4, 4' } }, refused: true },
  { input: { method: 'GET', url: '/a', headers: { 'X-A': 'b\r\nX-Smuggled: 1' } }, refused: true },
  { input: { method: 'GET', url: '/a', headers: { 'X-A': 'b\nDELETE /admin HTTP/1.1' } }, refused: true },
  { input: { method: 'GET', url: '/a', headers: { 'X A': 'b' } }, refused: true },
  { input: { method: 'GET', url: '/a', headers: { 'X-A': 'b\u0000' } }, refused: true },
  { input: { method: 'POST', url: '/a', body: '{"force":false,"force":true}' }, refused: true },
  { input: { method: 'POST', url: '/a', body: '{"force":false,"\\u0066orce":true}' }, refused: true },
  { input: { method: 'POST', url: '/a', body: '{"a":{"x":1},"a":2}' }, refused: true },
  { input: { method: 'POST', url: '/a', body: { force: true } }, flag: 'body:/force=true' },
  { input: { method: 'POST', url: '/a', body: { spec: { 'a/b': 1, 'c~d': 2 } } }, flag: 'body:/spec/a~1b=1' },
  { input: { method: 'POST', url: '/a', body: [{ op: 'remove', path: '/x' }] }, flag: 'body:/0/op=remove' },
  { input: 'GET http://api.internal/admin/users', kind: 'get', object: '/admin/users', risk: 'low' },
  { input: 'GET /admin/users?force&x=1', flag: 'query:force' },
  { input: 'GET /admin/users?f%6Frce=1', flag: 'query:force' },
  { input: 'GET /admin/users?a+b=1', flag: 'query:a b' },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=x&_method=DELETE' }, kind: 'delete', flag: 'method_override', atLeast: 'high' },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: '%5Fmethod=DELETE' }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '_method=delete' }, refused: true },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '_method=PUT&_method=DELETE' }, refused: true },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-HTTP-Method-Override': 'GET' }, body: '_method=DELETE' }, refused: true },
  { input: { method: 'POST', url: '/users/1', body: { _method: 'DELETE', id: 1 } }, kind: 'delete', atLeast: 'high' },
  { input: { method: 'POST', url: '/users/1', body: { _method: ['DELETE'] } }, refused: true },
  { input: { method: 'POST', url: '/users/1', headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--x--\r\n' }, refused: true },
  { input: 'DELETE /admin/%C0%AE%C0%AE/x', refused: true },
  { input: 'DELETE /admin/%EF%BC%8Fx', refused: true },
  { input: 'DELETE /%EF%BD%81dmin', refused: true },
  { input: 'DELETE /admin/%FF', refused: true },
  { input: 'DELETE /ADMIN/Users/1', object: '/admin/users/1', atLeast: 'high' },
  { input: 'DELETE /admin/users/', object: '/admin/users', atLeast: 'high' },
  { input: 'PROPFIND /admin', kind: 'propfind', atLeast: 'high' },
  { input: 'PURGE /cache', kind: 'purge', atLeast: 'high' },
];

/** Benign look-alikes: classified as what they are, not raised. */
const BENIGN: Case[] = [
  { input: 'GET /admin/users', kind: 'get', object: '/admin/users', risk: 'low' },
  { input: 'GET /users/delete-requests', risk: 'low' },
  { input: 'GET /search?q=DELETE%20FROM%20users', risk: 'low' },
  { input: 'GET /docs/../index.html', object: '/index.html', risk: 'low' },
  { input: 'HEAD /admin/users', risk: 'low' },
  { input: 'OPTIONS /admin/users', risk: 'low' },
  { input: 'GET /users/', object: '/users/', risk: 'low' },
  { input: 'GET /a%20b', object: '/a%20b', risk: 'low' },
  { input: 'POST /users', kind: 'post', risk: 'medium' },
  { input: { method: 'POST', url: '/notes', body: { text: 'DELETE /admin/users' } }, risk: 'medium' },
  { input: { method: 'GET', url: '/a', headers: { 'X-Tenant': 'rm -rf /' } }, risk: 'low', flag: 'header:x-tenant=rm -rf /' },
];

describe('HTTP classifier: evasion attempts are classified on the effective request or refused', () => {
  it(`has at least 60 evasion cases (${EVASIONS.length})`, () => assert.ok(EVASIONS.length >= 60));
  for (const c of EVASIONS) it(typeof c.input === 'string' ? c.input : JSON.stringify(c.input), () => run(generic, c));
});

describe('HTTP classifier: benign look-alikes', () => {
  for (const c of BENIGN) it(typeof c.input === 'string' ? c.input : JSON.stringify(c.input), () => run(generic, c));
});

describe('HTTP classifier: credentials never become facts', () => {
  it('drops Authorization, cookies, API keys and Airlock headers from flags and command text', () => {
    const result = generic.classify(JSON.stringify({ method: 'GET', url: '/a', headers: { Authorization: 'Bearer s3cret', Cookie: 'sid=s3cret', 'X-Api-Key': 's3cret', 'X-Auth-Token': 's3cret', 'Airlock-Approval': 's3cret' } }));
    assert.ok(!JSON.stringify(result).includes('s3cret'), JSON.stringify(result));
  });
});

describe('HTTP classifier: per-target method risks', () => {
  it('raises or lowers a method for a target', () => {
    const strict = new HttpClassifier({ methods: { POST: 'high', GET: 'medium' } });
    assert.equal(strict.classify('POST /x').risk, 'high');
    assert.equal(strict.classify('GET /x').risk, 'medium');
  });
});

/** Request shapes as kubectl and client-go send them. */
const KUBERNETES: Case[] = [
  { input: 'GET /api/v1/namespaces/default/pods', kind: 'list', object: 'default/pods', risk: 'low' },
  { input: 'GET /api/v1/namespaces/default/pods/web-1', kind: 'get', object: 'default/pods/web-1', risk: 'low' },
  { input: 'GET /api/v1/namespaces/default/pods?watch=true&resourceVersion=10', kind: 'watch', risk: 'low' },
  { input: 'GET /api/v1/watch/namespaces/default/pods', kind: 'watch', risk: 'low' },
  { input: 'GET /api/v1/namespaces/default/secrets/db', kind: 'get', object: 'default/secrets/db', risk: 'medium' },
  { input: 'GET /apis/apps/v1/namespaces/prod/deployments', kind: 'list', object: 'prod/deployments.apps', risk: 'low' },
  { input: { method: 'POST', url: '/apis/apps/v1/namespaces/prod/deployments', body: { kind: 'Deployment', metadata: { name: 'web' } } }, kind: 'create', risk: 'medium' },
  { input: { method: 'PUT', url: '/apis/apps/v1/namespaces/prod/deployments/web', body: { kind: 'Deployment' } }, kind: 'update', object: 'prod/deployments.apps/web', risk: 'medium' },
  { input: { method: 'PATCH', url: '/apis/apps/v1/namespaces/prod/deployments/web', headers: { 'Content-Type': 'application/strategic-merge-patch+json' }, body: { spec: { replicas: 3 } } }, kind: 'patch', risk: 'medium' },
  { input: { method: 'PATCH', url: '/apis/apps/v1/namespaces/prod/deployments/web/scale', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { spec: { replicas: 0 } } }, kind: 'patch', object: 'prod/deployments.apps/web/scale', risk: 'high' },
  { input: 'DELETE /api/v1/namespaces/prod/pods/web-1', kind: 'delete', object: 'prod/pods/web-1', risk: 'high' },
  { input: 'DELETE /api/v1/namespaces/prod', kind: 'delete', object: 'namespaces/prod', risk: 'critical' },
  { input: 'DELETE /api/v1/nodes/node-1', kind: 'delete', object: 'nodes/node-1', risk: 'critical' },
  { input: 'DELETE /api/v1/persistentvolumes/pv-1', kind: 'delete', risk: 'critical' },
  { input: 'DELETE /api/v1/namespaces/prod/pods?labelSelector=app%3Dweb', kind: 'deletecollection', risk: 'critical' },
  { input: 'POST /api/v1/namespaces/prod/pods/web-1/exec?command=sh&stdin=true&tty=true', kind: 'exec', object: 'prod/pods/web-1/exec', risk: 'high' },
  { input: 'GET /api/v1/namespaces/prod/pods/web-1/exec?command=sh', kind: 'exec', risk: 'high' },
  { input: 'POST /api/v1/namespaces/prod/pods/web-1/attach?stdin=true', kind: 'attach', risk: 'high' },
  { input: 'POST /api/v1/namespaces/prod/pods/web-1/portforward', kind: 'portforward', risk: 'high' },
  { input: 'GET /api/v1/namespaces/prod/pods/web-1/log?follow=true', kind: 'get', object: 'prod/pods/web-1/log', risk: 'low' },
  { input: { method: 'PATCH', url: '/api/v1/nodes/node-1', body: { spec: { unschedulable: true } } }, kind: 'patch', risk: 'high' },
  { input: { method: 'POST', url: '/api/v1/namespaces/prod/pods/web-1/eviction', body: { kind: 'Eviction' } }, kind: 'create', risk: 'high' },
  { input: { method: 'POST', url: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', body: { kind: 'ClusterRoleBinding' } }, kind: 'create', risk: 'high' },
  { input: { method: 'DELETE', url: '/api/v1/namespaces/prod/pods/web-1?dryRun=All' }, kind: 'delete', flag: 'k8s_dry_run', risk: 'low' },
  { input: 'DELETE /api/v1/namespaces/prod/pods/web-1?dryRun=All&dryRun=', kind: 'delete', risk: 'high' },
  { input: 'DELETE /api/v1/namespaces/prod/../kube-system/pods/x', object: 'kube-system/pods/x', risk: 'high' },
  { input: 'GET /version', kind: 'get', risk: 'low' },
  { input: 'GET /apis', kind: 'get', risk: 'low' },
];

describe('HTTP classifier: kubernetes profile (kubectl request shapes)', () => {
  const k8s = new HttpClassifier({ profile: 'kubernetes' });
  for (const c of KUBERNETES) it(typeof c.input === 'string' ? c.input : JSON.stringify(c.input), () => run(k8s, c));
});

const ELASTICSEARCH: Case[] = [
  { input: 'DELETE /logs-2024.01', kind: 'delete_index', object: 'logs-2024.01', risk: 'critical' },
  { input: 'DELETE /logs-*', kind: 'delete_index', risk: 'critical' },
  { input: 'DELETE /_all', kind: 'delete_index', risk: 'critical' },
  { input: { method: 'POST', url: '/logs/_delete_by_query', body: { query: { match_all: {} } } }, kind: 'delete_by_query', risk: 'critical' },
  { input: { method: 'POST', url: '/logs/_update_by_query', body: { script: 'ctx._source.x=1' } }, risk: 'high' },
  { input: { method: 'POST', url: '/logs-*/_update_by_query' }, risk: 'critical' },
  { input: { method: 'POST', url: '/logs/_search', body: { query: { match_all: {} } } }, kind: 'search', risk: 'low' },
  { input: 'GET /logs/_search?q=delete', risk: 'low' },
  { input: { method: 'POST', url: '/_msearch', body: '{}\n{"query":{}}\n' }, risk: 'low' },
  { input: 'GET /_cat/indices', risk: 'low' },
  { input: { method: 'POST', url: '/_bulk', body: '{"index":{"_index":"a"}}\n{"x":1}\n' }, kind: 'bulk', risk: 'medium' },
  { input: { method: 'POST', url: '/_bulk', body: '{"index":{"_index":"a"}}\n{"x":1}\n{"delete":{"_index":"a","_id":"1"}}\n' }, kind: 'bulk', risk: 'high' },
  { input: 'DELETE /logs/_doc/1', kind: 'delete_document', risk: 'high' },
  { input: { method: 'PUT', url: '/_cluster/settings', body: { persistent: { 'cluster.routing.allocation.enable': 'none' } } }, risk: 'high' },
  { input: 'PUT /logs-new', kind: 'create_index', risk: 'medium' },
  { input: { method: 'PUT', url: '/logs/_settings', body: { index: { number_of_replicas: 0 } } }, risk: 'high' },
  { input: 'POST /logs/_close', risk: 'high' },
  { input: 'DELETE /_snapshot/repo/snap-1', risk: 'high' },
];

describe('HTTP classifier: elasticsearch profile', () => {
  const es = new HttpClassifier({ profile: 'elasticsearch' });
  for (const c of ELASTICSEARCH) it(typeof c.input === 'string' ? c.input : JSON.stringify(c.input), () => run(es, c));
});

const GRAPHQL: Case[] = [
  { input: { method: 'POST', url: '/graphql', body: { query: '{ users { id } }' } }, kind: 'query', object: 'query:users', risk: 'low' },
  { input: { method: 'POST', url: '/graphql', body: { query: 'mutation Del { deleteUser(id: 1) { id } }', operationName: 'Del' } }, kind: 'mutation', object: 'mutation:deleteUser', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', body: { query: 'query A { me { id } } mutation B { dropAll }', operationName: 'A' } }, kind: 'mutation', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', body: [{ query: '{ a }' }, { query: 'mutation { b }' }] }, kind: 'mutation', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', body: { query: 'mutation { ...F } fragment F on Mutation { resetAll }' } }, object: 'mutation:resetAll', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', body: { query: 'mutation { ... on Mutation { wipe } }' } }, object: 'mutation:wipe' },
  { input: 'GET /graphql?query=%7Bme%7Bid%7D%7D', kind: 'query', risk: 'low' },
  { input: 'GET /graphql?query=mutation%7Bwipe%7D', kind: 'mutation', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', headers: { 'Content-Type': 'application/graphql' }, body: 'mutation { wipe }' }, kind: 'mutation', risk: 'medium' },
  { input: { method: 'POST', url: '/graphql', body: { query: 'mutation { wipe ' } }, flag: 'unparseable', atLeast: 'high' },
  { input: { method: 'POST', url: '/graphql', body: { extensions: { persistedQuery: { sha256Hash: 'abc' } } } }, flag: 'graphql_unreadable', atLeast: 'high' },
  { input: { method: 'POST', url: '/graphql', body: { query: '# mutation { wipe }\n{ me { id } }' } }, kind: 'query', risk: 'low' },
  { input: { method: 'POST', url: '/graphql', body: { query: '{ me { name(format: "mutation { wipe }") } }' } }, kind: 'query', risk: 'low' },
];

describe('HTTP classifier: graphql profile', () => {
  const gql = new HttpClassifier({ profile: 'graphql' });
  for (const c of GRAPHQL) it(typeof c.input === 'string' ? c.input : JSON.stringify(c.input), () => run(gql, c));
});

describe('HTTP classifier: secret fields of a JSON body', () => {
  it('are redacted in the command text and flags, and the body hash still tells two bodies apart', () => {
    const a = generic.classifyRequest({ method: 'POST', path: '/users/1/password', query: '', headers: new Map(), body: Buffer.from('{"user":"ada","password":"hunter2","api_key":"k-123"}'), bodyState: 'inspected' });
    const b = generic.classifyRequest({ method: 'POST', path: '/users/1/password', query: '', headers: new Map(), body: Buffer.from('{"user":"ada","password":"other","api_key":"k-123"}'), bodyState: 'inspected' });
    assert.ok(a.ok && b.ok);
    for (const text of [a.command, JSON.stringify(a.classification)]) {
      assert.ok(!text.includes('hunter2') && !text.includes('k-123'), text);
    }
    assert.ok(a.classification.facts.flags.includes('body:/user=ada'));
    assert.notEqual(a.command, b.command, 'an approval of one body never covers another');
  });
});

describe('HTTP classifier: bodies it could not inspect', () => {
  it('count a form or JSON POST as high (it could carry a _method override), other uploads as medium', () => {
    const over = (type: string) => generic.classifyRequest({ method: 'POST', path: '/upload', query: '', headers: new Map([['content-type', type]]), bodyState: 'over_cap' });
    const form = over('application/x-www-form-urlencoded');
    const json = over('application/json');
    const binary = over('application/octet-stream');
    assert.ok(form.ok && json.ok && binary.ok);
    assert.equal(form.classification.risk, 'high');
    assert.equal(json.classification.risk, 'high');
    assert.equal(binary.classification.risk, 'medium');
  });
});

describe('HTTP classifier: compressed bodies', () => {
  it('are read decompressed, so a rule on a body field cannot be dodged by gzip, deflate or br', async () => {
    const { deflateSync, brotliCompressSync } = await import('node:zlib');
    const raw = Buffer.from('{"role":"admin"}');
    for (const [coding, body] of [['gzip', gzipSync(raw)], ['deflate', deflateSync(raw)], ['br', brotliCompressSync(raw)], ['gzip, br', brotliCompressSync(gzipSync(raw))]] as const) {
      const result = generic.classifyRequest({ method: 'PATCH', path: '/users/2', query: '', headers: new Map([['content-encoding', coding], ['content-type', 'application/json']]), body, bodyState: 'inspected' });
      assert.ok(result.ok, coding);
      assert.ok(result.classification.facts.flags.includes('body:/role=admin'), `${coding}: ${result.classification.facts.flags.join(',')}`);
      assert.match(result.command, /\{"role":"admin"\}/);
    }
  });

  it('refuse an unknown coding, a corrupt stream and a bomb', () => {
    const view = (coding: string, body: Buffer) => generic.classifyRequest({ method: 'POST', path: '/a', query: '', headers: new Map([['content-encoding', coding]]), body, bodyState: 'inspected' });
    assert.equal(view('compress', Buffer.from('x')).ok, false);
    assert.equal(view('gzip', Buffer.from('not gzip at all')).ok, false);
    const bomb = gzipBomb();
    const result = view('gzip', bomb);
    assert.ok(!result.ok && /expands beyond/.test(result.reason), JSON.stringify(result));
  });
});

function gzipBomb(): Buffer {
  // 64 MiB of zeros compresses to about 64 KiB.
  return gzipSync(Buffer.alloc(64 * 1024 * 1024));
}
