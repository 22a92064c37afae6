import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';

/**
 * The demo's identity provider: a real OpenID Connect provider
 * (`oidc-provider`, an optional dependency, in process) so that `airlock
 * login` runs the same authorization-code + PKCE flow as against an
 * organisation's IdP. Its users are the walkthrough's: alice (dev), bob and
 * carol (approvers). Access tokens are JWTs for the audience Airlock
 * expects, carrying `groups` and `email`. Demo only: any password is
 * accepted (the login form is oidc-provider's development one).
 */
export interface DemoIdp {
  readonly issuer: string;
  close(): Promise<void>;
}

export const DEMO_IDP_CLIENT_ID = 'airlock-cli';
/** The resource indicator (RFC 8707, an absolute URI) whose access tokens are JWTs for Airlock's audience. */
export const DEMO_IDP_RESOURCE = 'urn:airlock';
export const DEMO_USERS: Readonly<Record<string, { readonly email: string; readonly groups: readonly string[] }>> = {
  alice: { email: 'alice@example.com', groups: ['dev'] },
  bob: { email: 'bob@example.com', groups: ['approvers'] },
  carol: { email: 'carol@example.com', groups: ['approvers'] },
};

export const DEMO_IDP_WEB_CLIENT_ID = 'airlock-web';

export async function startDemoIdp(options: {
  readonly host: string;
  readonly port: number;
  readonly audience: string;
  readonly tokenTtlSeconds: number;
  /** Where the approval pages receive sign-ins (`<public_url>/auth/callback`). */
  readonly webRedirectUri: string;
}): Promise<DemoIdp> {
  let Provider: typeof import('oidc-provider').default;
  try {
    ({ default: Provider } = await import('oidc-provider'));
  } catch {
    throw new Error('the demo identity provider needs the optional dependency oidc-provider (npm install --include=optional); production images leave it out');
  }
  const issuer = `http://${options.host}:${options.port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'demo-idp', alg: 'ES256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEMO_IDP_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'ES256',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        // Native loopback redirect: any port (RFC 8252 7.3).
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        client_id: DEMO_IDP_WEB_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: 'ES256',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [options.webRedirectUri],
      },
    ],
    jwks: { keys: [signingKey] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    ttl: { AccessToken: options.tokenTtlSeconds, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, IdToken: 3600 },
    findAccount: async (_ctx, id) => {
      const user = DEMO_USERS[id];
      if (!user) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: user.email, groups: [...user.groups] }) };
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DEMO_IDP_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'openid email groups', audience: options.audience, accessTokenFormat: 'jwt', accessTokenTTL: options.tokenTtlSeconds, jwt: { sign: { alg: 'ES256' } } }),
      },
    },
    extraTokenClaims: async (_ctx, token) => {
      const user = DEMO_USERS[(token as { accountId?: string }).accountId ?? ''];
      return user ? { email: user.email, groups: [...user.groups] } : undefined;
    },
    // The demo's only client is Airlock's own CLI: consent is implied.
    loadExistingGrant: async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid email groups');
      grant.addOIDCClaims(['email', 'groups']);
      grant.addResourceScope(DEMO_IDP_RESOURCE, 'openid email groups');
      await grant.save();
      return grant;
    },
  });
  // An http issuer on loopback: the demo only.
  provider.proxy = false;
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    issuer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
