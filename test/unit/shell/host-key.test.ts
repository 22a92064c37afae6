import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AirlockError } from '../../../src/errors.js';
import { GENERATED_HOST_KEY, loadOrCreateHostKey } from '../../../src/protocols/shell/host-key.js';

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
