// Stands in for the mounted airlock-secrets Secret: every path under
// /var/run/secrets/airlock/ in a config is pointed at a temp file holding a
// dummy value, so parseConfig can read the `*_file` keys as it would in a pod.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_DIR } from './manifests.js';

/** Dummy value per Secret key; the TOTP key is a well-formed 32-byte base64 value. */
export function dummySecret(key: string): string {
  if (key === 'totp-encryption-key') return `${Buffer.alloc(32, 7).toString('base64')}\n`;
  return `dummy-${key}\n`;
}

export function withDummySecrets<T>(source: string, run: (rewritten: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-deploy-secrets-'));
  try {
    const rewritten = source.replace(new RegExp(`${SECRET_DIR}([\\w.-]+)`, 'g'), (_match, key: string) => {
      const path = join(dir, key);
      writeFileSync(path, dummySecret(key));
      return path;
    });
    return run(rewritten, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
