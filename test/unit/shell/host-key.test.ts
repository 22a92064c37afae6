import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AirlockError } from '../../../src/errors.js';
import ssh2 from 'ssh2';
import { GENERATED_HOST_KEY, generateEd25519Key, loadOrCreateHostKey } from '../../../src/protocols/shell/host-key.js';

describe('shell host key', () => {
  it('is generated once under data_dir (ed25519, 0600) and reused with the same fingerprint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-hostkey-'));
    const first = loadOrCreateHostKey(dir);
    const second = loadOrCreateHostKey(dir);
    assert.equal(first.algorithm, 'ssh-ed25519');
    assert.equal(first.fingerprint, second.fingerprint);
    assert.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(statSync(join(dir, GENERATED_HOST_KEY)).mode & 0o777, 0o600);
  });

  it('every generated key parses and is 32 bytes (ssh2 alone makes one in 256 that does not)', () => {
    // 1,000 keys: with ssh2's generator alone, the chance that none is broken is about 2%.
    for (let i = 0; i < 1000; i++) {
      const parsed = ssh2.utils.parseKey(generateEd25519Key(`k${i}`));
      assert.ok(!(parsed instanceof Error) && !Array.isArray(parsed) && parsed.isPrivateKey(), `key ${i}: ${String(parsed)}`);
      const blob = parsed.getPublicSSH();
      assert.equal(blob.readUInt32BE(15), 32, `key ${i}: public key length`);
    }
  });

  it('processes starting together on one data_dir all read one whole key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-hostkey-'));
    const module = fileURLToPath(new URL('../../../src/protocols/shell/host-key.ts', import.meta.url));
    const script = `const { loadOrCreateHostKey } = await import(${JSON.stringify(module)}); process.stdout.write(loadOrCreateHostKey(${JSON.stringify(dir)}).fingerprint);`;
    const runs = Array.from({ length: 6 }, () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
    const fingerprints = (await Promise.all(runs)).map((r) => r.stdout);
    assert.equal(new Set(fingerprints).size, 1, fingerprints.join(' '));
    assert.equal(fingerprints[0], loadOrCreateHostKey(dir).fingerprint);
    assert.deepEqual(readdirSync(dir), [GENERATED_HOST_KEY], 'no temporary file is left');
  });

  it('the fingerprint is the one OpenSSH shows', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-hostkey-'));
    const key = loadOrCreateHostKey(dir);
    let out: string;
    try {
      out = execFileSync('ssh-keygen', ['-l', '-f', join(dir, GENERATED_HOST_KEY)], { encoding: 'utf8' });
    } catch {
      if (process.env.CI === 'true') throw new Error('ssh-keygen is missing (openssh-client; required in CI)');
      return t.skip('ssh-keygen is missing');
    }
    assert.ok(out.includes(key.fingerprint), `${out} vs ${key.fingerprint}`);
  });

  it('a configured file that is not a private key is a config error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-hostkey-'));
    const file = join(dir, 'bad');
    writeFileSync(file, 'not a key');
    assert.throws(() => loadOrCreateHostKey(dir, file), (err: unknown) => err instanceof AirlockError && err.code === 'AIRLOCK_CONFIG_INVALID');
  });
});
