import type { Command } from 'commander';
import { cachedToken } from './token-cache.js';

/** Options every command that talks to the control API accepts. */
export function withControlOptions(command: Command): Command {
  return command
    .option('--url <url>', 'control API base URL (env AIRLOCK_URL)', process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080')
    .option('--token <jwt>', 'your JWT (env AIRLOCK_TOKEN)');
}

/** What the control API (or the way to it) answered instead of a result; `code` is the server's stable error code. */
export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The command line lacked what it needs (a token): a usage error, not a refusal. */
  get usage(): boolean {
    return this.status === 0 && this.code === 'AIRLOCK_UNAUTHENTICATED';
  }
}

export interface ControlClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

/**
 * The token a command uses: --token, else AIRLOCK_TOKEN, else the one
 * `airlock login` cached for this control URL. An expired cached token is a
 * usage error that says to sign in again.
 */
export function resolveToken(options: { url: string; token?: string }): string | undefined {
  const given = options.token ?? process.env.AIRLOCK_TOKEN;
  if (given !== undefined && given !== '') return given;
  const cached = cachedToken(options.url);
  if (!cached) return undefined;
  if (cached.expired) throw new ControlApiError(0, 'AIRLOCK_UNAUTHENTICATED', `your sign-in as ${cached.token.subject} expired at ${new Date(cached.token.expiresAt).toISOString()}: run \`airlock login\` again`);
  return cached.token.token;
}

export function controlClient(options: { url: string; token?: string }): ControlClient {
  const token = resolveToken(options);
  const base = options.url.replace(/\/$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!token) throw new ControlApiError(0, 'AIRLOCK_UNAUTHENTICATED', 'no token: run `airlock login`, pass --token or set AIRLOCK_TOKEN (demo: airlock token --dev --sub you --groups approvers)');
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new ControlApiError(0, 'AIRLOCK_UNREACHABLE', `cannot reach the control API at ${base} (${(err as Error).message})`);
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // fall through: reported below
    }
    if (!response.ok) {
      const problem = (json ?? {}) as { code?: string; detail?: string };
      throw new ControlApiError(response.status, problem.code ?? 'AIRLOCK_HTTP_ERROR', problem.detail ?? `HTTP ${response.status}`);
    }
    return json as T;
  }
  return { get: (path) => call('GET', path), post: (path, body) => call('POST', path, body), delete: (path) => call('DELETE', path) };
}
