import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A VAPID key pair (RFC 8292) as browsers and web-push take it: base64url, the public key an uncompressed P-256 point. */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

const FILE = 'push-vapid.json';

/** A fresh P-256 key pair (node:crypto: loading web-push just for this would cost every start). */
export function generateVapidKeys(): VapidKeys {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d! };
}

/**
 * The configured keys, or the pair kept in `<dataDir>/push-vapid.json`,
 * created (mode 0600) on first start so the demo needs no setup. Replicas
 * must share one pair (a subscription is bound to the public key), so
 * several replicas configure theirs.
 */
export function loadOrCreateVapidKeys(configured: { vapid_public_key?: string | undefined; vapid_private_key?: string | undefined }, dataDir: string): { keys: VapidKeys; generated: boolean } {
  if (configured.vapid_public_key && configured.vapid_private_key) {
    return { keys: { publicKey: configured.vapid_public_key, privateKey: configured.vapid_private_key }, generated: false };
  }
  const path = join(dataDir, FILE);
  try {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<VapidKeys>;
    if (typeof stored.publicKey === 'string' && typeof stored.privateKey === 'string') return { keys: { publicKey: stored.publicKey, privateKey: stored.privateKey }, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the VAPID keys in ${path} (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
  }
  const keys = generateVapidKeys();
  writeFileSync(path, `${JSON.stringify(keys)}\n`, { mode: 0o600, flag: 'wx' });
  return { keys, generated: true };
}
