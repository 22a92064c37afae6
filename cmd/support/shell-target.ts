import { ControlApiError, controlClient, resolveToken } from './control-client.js';

export interface ShellTargetInfo {
  readonly name: string;
  readonly protocol: 'shell';
  readonly websocket_url?: string;
}

/** The WebSocket terminal URL of a shell target (GET /v1/targets) and the token that opens it. */
export async function resolveShellTarget(name: string, options: { url: string; token?: string }): Promise<{ url: string; token: string }> {
  const token = resolveToken(options);
  const client = controlClient({ url: options.url, ...(token ? { token } : {}) });
  const { targets } = await client.get<{ targets: Array<{ name: string; protocol: string; websocket_url?: string }> }>('/v1/targets');
  const target = targets.find((t) => t.name === name);
  if (!target) throw new ControlApiError(404, 'AIRLOCK_UNKNOWN_TARGET', `no target ${name}; targets: ${targets.map((t) => `${t.name} (${t.protocol})`).join(', ') || 'none'}`);
  if (target.protocol !== 'shell') throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `${name} is a ${target.protocol} target, not shell`);
  if (!target.websocket_url) throw new ControlApiError(400, 'AIRLOCK_BAD_REQUEST', `the shell gateway is not enabled on this Airlock (shell.enabled)`);
  return { url: target.websocket_url, token: token as string };
}
