import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    if (!existsSync(path)) createHostKey(path);
  }
  const privateKey = readFileSync(path);
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
    throw new ConfigInvalidError('shell host key is not a usable private key', [`shell.host_key_file: ${path}: ${parsed instanceof Error ? parsed.message : 'not a single private key'}`]);
  }
  return { privateKey, fingerprint: fingerprintOf(parsed.getPublicSSH()), algorithm: parsed.type };
}

/**
 * Writes a new key whole under a temporary name, then links it to its name,
 * which fails if the name exists: processes starting together on one data_dir
 * (replicas on a shared volume) never read a half-written key, and the first
 * one's key is everyone's.
 */
function createHostKey(path: string): void {
  const privateKey = generateEd25519Key('airlock shell gateway');
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, privateKey, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Attempts before giving up; each fails with probability 1/256 (below). */
const KEY_ATTEMPTS = 16;

/**
 * A new ed25519 private key in OpenSSH's format. ssh2 1.17's generator drops
 * the public key's leading zero bytes along with the DER bit string's pad
 * byte (mscdex/ssh2#1390), so one key in 256 comes out 31 bytes long and its
 * own parser rejects it ("Malformed OpenSSH private key"): the first start
 * on such a data_dir failed. A key is kept only once it parses, is 32 bytes,
 * and signs what it verifies.
 */
export function generateEd25519Key(comment: string): string {
  for (let attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    const parsed = utils.parseKey(pair.private);
    if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) continue;
    const blob = parsed.getPublicSSH();
    // string "ssh-ed25519" (4 + 11 bytes), then string key (4 + 32 bytes).
    if (blob.length !== 51 || blob.readUInt32BE(15) !== 32) continue;
    const probe = randomBytes(32);
    const signature = parsed.sign(probe);
    if (signature instanceof Error || parsed.verify(probe, signature) !== true) continue;
    return pair.private;
  }
  throw new Error(`could not generate a usable ed25519 key in ${KEY_ATTEMPTS} attempts`);
}

/** OpenSSH's fingerprint form: SHA256 of the public key blob, base64 without padding. */
export function fingerprintOf(publicBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
}
