import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A token `airlock login` got, per control URL. */
export interface CachedToken {
  readonly token: string;
  readonly subject: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly issuer: string;
}

function cacheFile(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'airlock', 'tokens.json');
}

function readAll(): Record<string, CachedToken> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, CachedToken>) : {};
  } catch {
    return {};
  }
}

function key(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The cached token for this control URL; `expired` when it is no longer usable (a minute of margin). */
export function cachedToken(url: string, now = Date.now()): { token: CachedToken; expired: boolean } | undefined {
  const token = readAll()[key(url)];
  if (!token || typeof token.token !== 'string') return undefined;
  return { token, expired: token.expiresAt - 60_000 <= now };
}

/** Saves a token for this control URL, readable by the user only (0600 in a 0700 directory). */
export function saveToken(url: string, token: CachedToken): string {
  const file = cacheFile();
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const all = { ...readAll(), [key(url)]: token };
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
  return file;
}
