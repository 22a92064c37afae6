import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { startTestAirlock } from '../support/airlock-instance.js';
import { curl } from '../support/curl.js';

type Instance = Awaited<ReturnType<typeof startTestAirlock>>;


/**
 * TLS on both sides of the HTTP proxy: the listener serves HTTPS (a
 * self-signed certificate under data_dir), and an https upstream is verified
 * by default: refused (502) with an unknown CA, forwarded with `ca_file`.
 */
describe('HTTP proxy over TLS (listener and upstream)', () => {
  let airlock: Instance;
  let upstream: Server;
  let token: string;
  let hits = 0;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-http-tls-'));
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    writeFileSync(join(dir, 'upstream-ca.pem'), pems.cert);
    upstream = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ secure: true, url: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    airlock = await startTestAirlock(`
http: { enabled: true, listen: "127.0.0.1:0", tls: { enabled: true } }
targets:
  - name: verified
    protocol: http
    upstream: { url: "https://127.0.0.1:${port}", ca_file: ${JSON.stringify(join(dir, 'upstream-ca.pem'))} }
    path_prefix: /verified
  - name: unknown-ca
    protocol: http
    upstream: { url: "https://127.0.0.1:${port}" }
    path_prefix: /unknown
`);
    token = await airlock.token('alice', ['dev']);
  });
  after(async () => {
    await airlock?.shutdown('test done');
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  it('serves HTTPS on the listener and forwards to a verified https upstream', async () => {
    const result = await curl(['-k', `https://127.0.0.1:${airlock.http!.port}/verified/things`, '-H', `Authorization: Bearer ${token}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { secure: true, url: '/things' });
    const plain = await curl([`http://127.0.0.1:${airlock.http!.port}/verified/things`, '-H', `Authorization: Bearer ${token}`]);
    assert.notEqual(plain.stdout.includes('"secure":true'), true, 'no plaintext HTTP on a TLS listener');
  });

  it('refuses an https upstream whose certificate it cannot verify (502), forwarding nothing', async () => {
    const before = hits;
    const result = await curl(['-k', `https://127.0.0.1:${airlock.http!.port}/unknown/things`, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}']);
    assert.match(result.stdout, /\n502$/);
    assert.match(result.stdout, /upstream_unavailable/);
    assert.equal(hits, before);
  });
});
