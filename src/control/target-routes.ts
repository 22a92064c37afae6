import type { TokenVerifier } from '../identity/token-verifier.js';
import type { ControlRoutes } from './control-server.js';
import { requirePrincipal } from './request-principal.js';

/** How a client reaches one target through Airlock. */
export type TargetConnectInfo =
  | { readonly name: string; readonly protocol: 'postgres'; readonly description?: string; readonly host: string; readonly port: number; readonly sslmode: 'disable' | 'require' }
  | { readonly name: string; readonly protocol: 'http'; readonly description?: string; readonly url: string }
  | {
      readonly name: string;
      readonly protocol: 'shell';
      readonly description?: string;
      /** Where `ssh -p PORT NAME@HOST` reaches it, and the host key fingerprint to expect; absent when the SSH gateway is off. */
      readonly host?: string;
      readonly port?: number;
      readonly host_key_fingerprint?: string;
      /** The WebSocket terminal (`airlock shell`, `airlock exec`): ws(s)://CONTROL/v1/shell/NAME. */
      readonly websocket_url?: string;
    };

/**
 * GET /v1/targets: the targets and how to reach each through Airlock (any
 * signed-in engineer), so `airlock psql`, `airlock env` and `airlock curl`
 * need only the control URL. Listeners bind after the control API, so the
 * list is read when asked.
 */
export function targetRoutes(deps: { readonly verifier: TokenVerifier; readonly targets: () => readonly TargetConnectInfo[] }): ControlRoutes {
  return (app) => {
    app.get('/v1/targets', async (request) => {
      await requirePrincipal(request, deps.verifier);
      return { targets: deps.targets() };
    });
  };
}
