import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresListenerSchema } from '../../../src/config/sections/protocols.js';
import { loadOrCreateTlsMaterial } from '../../../src/tls/listener-certificate.js';
import { type ScratchCluster, scratchClusterUnavailable, startScratchCluster } from '../../support/pg-cluster.js';
import { type ProxyHarness, startProxy } from '../../support/pg-proxy.js';

const PASSWORD = 'scram-secret-Ü1';
const MD5_PASSWORD = 'md5-secret';

describe('upstream authentication against a scratch PostgreSQL cluster', () => {
  const unavailable = scratchClusterUnavailable();
  let cluster: ScratchCluster | null = null;
  let harness: ProxyHarness;
  let certDir: string;

  before(async () => {
    if (unavailable) return;
    certDir = mkdtempSync(join(tmpdir(), 'airlock-upstream-cert-'));
    await loadOrCreateTlsMaterial(postgresListenerSchema.parse({}), certDir);
    const certFile = join(certDir, 'postgres-tls', 'cert.pem');
    const keyFile = join(certDir, 'postgres-tls', 'key.pem');
    cluster = await startScratchCluster({ password: PASSWORD, md5Password: MD5_PASSWORD, cert: { certFile, keyFile } });
    const upstream = { host: '127.0.0.1', port: cluster.port, database: 'postgres' };
    harness = await startProxy({
      targets: [
        { name: 'scram', protocol: 'postgres', upstream: { ...upstream, user: 'postgres', password: PASSWORD } },
        { name: 'scram_tls', protocol: 'postgres', upstream: { ...upstream, user: 'postgres', password: PASSWORD, tls: 'verify-full', ca_file: certFile } },
        { name: 'scram_tls_wrong_host', protocol: 'postgres', upstream: { ...upstream, host: '127.0.0.1', user: 'postgres', password: PASSWORD, tls: 'require' } },
        { name: 'md5', protocol: 'postgres', upstream: { ...upstream, user: 'md5user', password: MD5_PASSWORD } },
        { name: 'wrong', protocol: 'postgres', upstream: { ...upstream, user: 'postgres', password: 'not-the-password' } },
        { name: 'nopassword', protocol: 'postgres', upstream: { ...upstream, user: 'postgres' } },
      ],
    });
  });

  after(async () => {
    await harness?.close();
    cluster?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  async function query(database: string, sql: string): Promise<pg.QueryResult> {
    const client = new pg.Client(harness.client({ database }));
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  it('logs in with SCRAM-SHA-256 (non-ASCII password)', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const row = (await query('scram', 'SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
    assert.deepEqual(row, { u: 'postgres', ssl: false });
  });

  it('logs in with SCRAM over verified TLS (verify-full with ca_file)', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const row = (await query('scram_tls', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
    assert.equal(row.ssl, true);
    const unverified = (await query('scram_tls_wrong_host', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0];
    assert.equal(unverified.ssl, true);
  });

  it('logs in with MD5', async (t) => {
    if (unavailable) return t.skip(unavailable);
    assert.equal((await query('md5', 'SELECT current_user AS u')).rows[0].u, 'md5user');
  });

  it('reports a failed upstream login as 08006 without the password or host', async (t) => {
    if (unavailable) return t.skip(unavailable);
    for (const target of ['wrong', 'nopassword']) {
      await assert.rejects(query(target, 'SELECT 1'), (err: pg.DatabaseError) => {
        assert.equal(err.code, '08006');
        assert.equal(err.severity, 'FATAL');
        assert.match(err.message, new RegExp(`could not connect to target "${target}"`));
        assert.doesNotMatch(err.message, /not-the-password|127\.0\.0\.1|\d{4,5}/);
        return true;
      });
    }
  });
});
