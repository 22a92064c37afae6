import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateTlsMaterial } from '../../../src/tls/listener-certificate.js';
import { testConfig } from '../../support/core-fixtures.js';

describe('self-signed TLS material', () => {
  it('gives replicas starting together on one data dir the same certificate, and reuses it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
    const config = testConfig('').postgres;
    const results = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateTlsMaterial(config, dataDir)));
    const certs = new Set(results.map((r) => r?.cert));
    assert.equal(certs.size, 1, 'every replica serves the one pair that won');
    const onDisk = readFileSync(join(dataDir, 'postgres-tls', 'cert.pem'), 'utf8');
    assert.equal(results[0]?.cert, onDisk);
    assert.equal(results[0]?.key, readFileSync(join(dataDir, 'postgres-tls', 'key.pem'), 'utf8'));
    assert.deepEqual(readdirSync(dataDir), ['postgres-tls'], 'no staging directories left behind');
    assert.equal((await loadOrCreateTlsMaterial(config, dataDir))?.cert, onDisk, 'reused on the next start');
  });
});
