import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigInvalidError } from '../errors.js';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/** A listener's TLS settings (the postgres and http listeners share them). */
export interface ListenerTlsConfig {
  readonly tls: { readonly cert_file?: string | undefined; readonly key_file?: string | undefined; readonly self_signed: boolean };
}

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
 * generated once under `<dataDir>/<selfSignedDir>/` (`postgres-tls`, `http-tls`) and reused afterwards (so
 * clients that pinned it keep working). Returns null when TLS is off.
 */
export async function loadOrCreateTlsMaterial(config: ListenerTlsConfig, dataDir: string, selfSignedDir = 'postgres-tls'): Promise<TlsMaterial | null> {
  const { cert_file: certFile, key_file: keyFile, self_signed: selfSigned } = config.tls;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) {
      throw new ConfigInvalidError('a listener\'s tls needs both cert_file and key_file', [`${selfSignedDir.replace('-tls', '')}.tls: set both cert_file and key_file, or neither`]);
    }
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key };
  }
  if (!selfSigned) return null;
  const dir = join(dataDir, selfSignedDir);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const [cert, key] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (cert && key) return { cert, key };
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 2);
  // Loaded only to generate one (once per data dir): the rest of the time it is start-up cost for nothing.
  const { generate } = await import('selfsigned');
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
  // Replicas sharing a data dir may generate at once: each writes a private
  // directory and renames it into place. Renaming onto an existing non-empty
  // directory fails, so exactly one pair wins and everyone serves that one.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dataDir, `${selfSignedDir}.tmp-`));
  try {
    await writeFile(join(staging, 'key.pem'), pems.private, { mode: 0o600 });
    await writeFile(join(staging, 'cert.pem'), pems.cert, { mode: 0o644 });
    await rename(staging, dir);
    return { cert: pems.cert, key: pems.private };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    const [winnerCert, winnerKey] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
    if (winnerCert && winnerKey) return { cert: winnerCert, key: winnerKey };
    throw new ConfigInvalidError(`incomplete TLS material in ${dir}`, [`${selfSignedDir.replace("-tls", "")}.tls: ${dir} holds only part of a certificate pair; delete it to generate a new one`]);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
