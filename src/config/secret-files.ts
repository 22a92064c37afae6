import { readFileSync } from 'node:fs';
import type { ConfigPath } from './config-path.js';

/** Keys that hold secrets; each may instead be given as `<key>_file` (Kubernetes Secret mounts). */
export const SECRET_KEYS = ['password', 'secret', 'bot_token', 'signing_secret', 'app_token', 'encryption_key', 'bearer_token', 'vapid_private_key'] as const;

export interface SecretFileProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

/** Replaces every `<secret>_file: PATH` by `<secret>: contents` (trailing newline trimmed), in place. */
export function resolveSecretFiles(node: unknown, path: ConfigPath = []): SecretFileProblem[] {
  const problems: SecretFileProblem[] = [];
  if (Array.isArray(node)) {
    node.forEach((item, index) => problems.push(...resolveSecretFiles(item, [...path, index])));
    return problems;
  }
  if (node === null || typeof node !== 'object') return problems;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const base = key.endsWith('_file') ? key.slice(0, -'_file'.length) : null;
    if (base !== null && (SECRET_KEYS as readonly string[]).includes(base)) {
      const file = record[key];
      if (typeof file !== 'string') {
        problems.push({ path: [...path, key], message: 'expected a file path' });
        continue;
      }
      if (record[base] !== undefined) {
        problems.push({ path: [...path, key], message: `give ${base} or ${key}, not both` });
        continue;
      }
      try {
        record[base] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        delete record[key];
      } catch (err) {
        delete record[key];
        problems.push({ path: [...path, key], message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      }
      continue;
    }
    problems.push(...resolveSecretFiles(record[key], [...path, key]));
  }
  return problems;
}
