import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ConfigInvalidError } from '../../errors.js';
import type { AirlockConfig } from '../../config/schema.js';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

const SELF_SIGNED_DIR = 'postgres-tls';

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The listener's certificate: the configured files, or a self-signed one
 * generated once under `<dataDir>/postgres-tls/` and reused afterwards (so
 * clients that pinned it keep working). Returns null when TLS is off.
 */
export async function loadOrCreateTlsMaterial(config: AirlockConfig['postgres'], dataDir: string): Promise<TlsMaterial | null> {
  const { cert_file: certFile, key_file: keyFile, self_signed: selfSigned } = config.tls;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) {
      throw new ConfigInvalidError('postgres.tls needs both cert_file and key_file', ['postgres.tls: set both cert_file and key_file, or neither']);
    }
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key };
  }
  if (!selfSigned) return null;
  const dir = join(dataDir, SELF_SIGNED_DIR);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const [cert, key] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (cert && key) return { cert, key };
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 2);
  const pems = await generate([{ name: 'commonName', value: 'airlock' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private };
}
