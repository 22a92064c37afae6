import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../../src/config/duration.js';
import { ControlApiError, controlClient, withControlOptions } from '../support/control-client.js';

interface RevokeOptions {
  url: string;
  token?: string;
  sub?: string;
  device?: string;
  tokenId?: string;
  reason?: string;
  ttl?: string;
  lift?: boolean;
  list?: boolean;
  json?: boolean;
}

interface RevocationJson {
  kind: string;
  id: string;
  reason: string;
  by: string;
  created_at: string;
  expires_at: string;
}

function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

function line(r: RevocationJson): string {
  return `${r.kind} ${r.id}: ${r.reason} (by ${r.by}, until ${r.expires_at})`;
}

function target(options: RevokeOptions): { kind: 'subject' | 'device' | 'token'; id: string } {
  const chosen = [
    options.sub !== undefined ? { kind: 'subject' as const, id: options.sub } : null,
    options.device !== undefined ? { kind: 'device' as const, id: options.device } : null,
    options.tokenId !== undefined ? { kind: 'token' as const, id: options.tokenId } : null,
  ].filter((c) => c !== null);
  if (chosen.length !== 1) throw new Error('name exactly one of --sub, --device or --token-id');
  return chosen[0] as { kind: 'subject' | 'device' | 'token'; id: string };
}

// The shared control client has no DELETE yet; this one call does it the same way.
async function callDelete(options: RevokeOptions, path: string): Promise<unknown> {
  const token = options.token ?? process.env.AIRLOCK_TOKEN;
  if (!token) throw new ControlApiError(0, 'AIRLOCK_UNAUTHENTICATED', 'no token: pass --token or set AIRLOCK_TOKEN');
  const base = options.url.replace(/\/$/, '');
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new ControlApiError(0, 'AIRLOCK_UNREACHABLE', `cannot reach the control API at ${base} (${(err as Error).message})`);
  }
  const text = await response.text();
  const json = (() => {
    try {
      return text ? (JSON.parse(text) as unknown) : null;
    } catch {
      return null;
    }
  })();
  if (!response.ok) {
    const problem = (json ?? {}) as { code?: string; detail?: string };
    throw new ControlApiError(response.status, problem.code ?? 'AIRLOCK_HTTP_ERROR', problem.detail ?? `HTTP ${response.status}`);
  }
  return json;
}

async function revoke(options: RevokeOptions): Promise<void> {
  const client = controlClient(options);
  if (options.list) {
    const { revocations } = await client.get<{ revocations: RevocationJson[] }>('/v1/revocations');
    print(options.json, revocations, revocations.length === 0 ? 'no active revocations' : revocations.map(line).join('\n'));
    return;
  }
  const { kind, id } = target(options);
  if (options.lift) {
    const result = await callDelete(options, `/v1/revocations/${kind}/${encodeURIComponent(id)}`);
    print(options.json, result, `lifted: ${kind} ${id} may connect again`);
    return;
  }
  const body = { kind, id, ...(options.reason ? { reason: options.reason } : {}), ...(options.ttl ? { ttl: options.ttl } : {}) };
  const result = await client.post<RevocationJson>('/v1/revocations', body);
  print(options.json, result, `revoked: ${line(result)}\nlive sessions on every replica are being ended; pending requests were denied`);
}

function duration(value: string): string {
  if (parseDuration(value) === null) throw new InvalidArgumentError('expected a duration such as 30m, 12h or 7d');
  return value;
}

export function registerRevokeCommand(program: Command): void {
  withControlOptions(
    program
      .command('revoke')
      .description('Revoke a principal, device or token: refuse new sessions and end live ones on every replica (admins)')
      .addHelpText('after', '\nExamples:\n  airlock revoke --sub alice --reason "laptop stolen" --ttl 7d\n  airlock revoke --device D-1234 --lift\n  airlock revoke --list'),
  )
    .option('--sub <subject>', 'revoke a principal (sub claim)')
    .option('--device <id>', 'revoke a device id')
    .option('--token-id <jti>', 'revoke one token (jti claim)')
    .option('--reason <text>', 'why (shown to the user whose session ends)')
    .option('--ttl <duration>', 'how long the revocation lasts (default: risk.revocation_ttl)', duration)
    .option('--lift', 'remove the revocation instead')
    .option('--list', 'list active revocations')
    .option('--json', 'print JSON')
    .action((options: RevokeOptions) => revoke(options));
}
