import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads a secret file, or creates it with `create()` (mode 0600, exclusive
 * create so two processes starting together end up with the same content).
 * A file found readable by group or others is tightened to 0600.
 */
export function readOrCreateSecretFile(path: string, create: () => string): string {
  try {
    return readSecretFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecretFile(path);
}

function readSecretFile(path: string): string {
  const content = readFileSync(path, 'utf8');
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return content;
}
