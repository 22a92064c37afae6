import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigInvalidError } from '../../errors.js';
import { readOrCreateSecretFile } from '../key-file.js';
import { ENCRYPTION_KEY_BYTES } from './secret-cipher.js';

export const TOTP_KEY_FILE = 'totp-key';

function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length !== ENCRYPTION_KEY_BYTES) {
    throw new ConfigInvalidError('invalid TOTP encryption key', [`${where}: expected ${ENCRYPTION_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`]);
  }
  return key;
}

/**
 * The key that encrypts TOTP secrets at rest: `step_up.totp.encryption_key`
 * (base64, 32 bytes) when configured, else `<dataDir>/totp-key`, generated
 * (0600) on first start. Call once at boot. Several replicas must share the
 * configured key: a generated one only suits a single replica.
 */
export function loadTotpEncryptionKey(options: { readonly encryptionKey?: string | undefined; readonly dataDir: string }): Buffer {
  if (options.encryptionKey !== undefined) return decodeKey(options.encryptionKey, 'step_up.totp.encryption_key');
  const path = join(options.dataDir, TOTP_KEY_FILE);
  const text = readOrCreateSecretFile(path, () => `${randomBytes(ENCRYPTION_KEY_BYTES).toString('base64')}\n`);
  return decodeKey(text, path);
}
