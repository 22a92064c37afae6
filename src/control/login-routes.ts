import { NotFoundError } from '../errors.js';
import type { ControlRoutes } from './control-server.js';

export interface LoginInfo {
  readonly issuer: string;
  readonly client_id: string;
  readonly scopes: string;
  readonly resource?: string;
}

/**
 * GET /v1/login (public): which identity provider and client `airlock login`
 * uses, so that engineers need only Airlock's URL. Nothing secret: a native
 * client has no secret, and PKCE protects its codes.
 */
export function loginRoutes(info: LoginInfo | null): ControlRoutes {
  return (app) => {
    app.get('/v1/login', async () => {
      if (!info) throw new NotFoundError('this Airlock has no sign-in configured (identity.login); ask for a token from your identity provider');
      return info;
    });
  };
}
