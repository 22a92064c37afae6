import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ConfigInvalidError } from '../../errors.js';

const { utils } = ssh2;

export interface HostKey {
  /** The private key as ssh2 takes it. */
  readonly privateKey: Buffer;
  /** `SHA256:...`, as `ssh` shows it when it asks to trust the host. */
  readonly fingerprint: string;
  readonly algorithm: string;
}

/** The file a generated key is kept in, under data_dir. */
export const GENERATED_HOST_KEY = 'ssh_host_ed25519_key';

/**
 * The gateway's SSH host key: the configured file, else an ed25519 key
 * generated under data_dir on first start (mode 0600) and reused afterwards,
 * so clients see the same fingerprint across restarts.
 */
export function loadOrCreateHostKey(dataDir: string, file?: string): HostKey {
  let path = file;
  if (!path) {
    path = join(dataDir, GENERATED_HOST_KEY);
    if (!existsSync(path)) {
      const pair = utils.generateKeyPairSync('ed25519', { comment: 'airlock shell gateway' });
      writeFileSync(path, pair.private, { mode: 0o600, flag: 'wx' });
    }
  }
  const privateKey = readFileSync(path);
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
    throw new ConfigInvalidError('shell host key is not a usable private key', [`shell.host_key_file: ${path}: ${parsed instanceof Error ? parsed.message : 'not a single private key'}`]);
  }
  return { privateKey, fingerprint: fingerprintOf(parsed.getPublicSSH()), algorithm: parsed.type };
}

/** OpenSSH's fingerprint form: SHA256 of the public key blob, base64 without padding. */
export function fingerprintOf(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}
