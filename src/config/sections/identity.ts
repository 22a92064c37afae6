import { z } from 'zod';
import { duration } from '../duration.js';
import { listenAddress } from '../listen-address.js';

const publicKeySchema = z.strictObject({
  kid: z.string().optional().describe('Key id the token header names.'),
  pem: z.string().optional().describe('SPKI PEM public key.'),
  pem_file: z.string().optional().describe('File holding the SPKI PEM public key.'),
  jwk: z.record(z.string(), z.unknown()).optional().describe('Public key as a JWK object.'),
});

export const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

export const identitySchema = z
  .strictObject({
    issuer: z.string().default('airlock-dev').describe('Expected `iss` of engineer tokens.'),
    audience: z.union([z.string(), z.array(z.string()).min(1)]).default('airlock').describe('Expected `aud` (one or several).'),
    jwks_url: z.url().optional().describe('JWKS endpoint of the OIDC issuer.'),
    public_keys: z.array(publicKeySchema).default([]).describe('Static public keys (instead of, or beside, a JWKS URL).'),
    algorithms: z.array(z.enum(ALLOWED_ALGORITHMS)).min(1).default(['ES256', 'RS256', 'EdDSA']).describe('Accepted signing algorithms; nothing else is tried.'),
    clock_tolerance: duration('30s').describe('Allowed clock skew for exp/nbf/iat.'),
    max_token_age: duration('12h').describe('Tokens issued longer ago than this are refused, whatever their exp.'),
    required_claims: z.array(z.string()).default(['sub', 'exp', 'iat']).describe('Claims every token must carry.'),
    claims: z
      .strictObject({
        groups: z.string().default('groups').describe('Claim holding the group list.'),
        email: z.string().default('email'),
        device: z.string().default('device_id').describe('Claim holding a device id, if the issuer sets one.'),
      })
      .prefault({}),
    dev_issuer: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Trust the local dev signing key and allow `airlock token --dev`. Demo only.'),
        token_ttl: duration('1h'),
      })
      .prefault({}),
    login: z
      .strictObject({
        issuer_url: z.url().describe('OpenID Connect issuer engineers sign in with (`airlock login`: authorization code + PKCE, loopback redirect).'),
        client_id: z.string().min(1).describe('The public (native) client registered for the Airlock CLI.'),
        web_client_id: z
          .string()
          .min(1)
          .optional()
          .describe('A public client for the approval pages (redirect URI <public_url>/auth/callback): people sign in with the IdP instead of pasting a token.'),
        scopes: z.string().default('openid email groups'),
        resource: z.string().optional().describe('Resource indicator (RFC 8707) that makes the IdP issue a JWT for Airlock\'s audience, when it needs one.'),
      })
      .optional()
      .describe('Published at GET /v1/login so that `airlock login` needs only the control URL.'),
    demo_idp: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Run a local OpenID Connect provider (users alice, bob, carol; any password). Demo only; needs the optional dependency oidc-provider.'),
        listen: listenAddress('127.0.0.1:8082'),
        token_ttl: duration('1h'),
      })
      .prefault({}),
  })
  .superRefine((identity, ctx) => {
    if (!identity.demo_idp.enabled) return;
    const issuer = `http://${identity.demo_idp.listen.host}:${identity.demo_idp.listen.port}`;
    if (identity.issuer !== issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: `with demo_idp enabled the issuer is the demo IdP: ${issuer}` });
  })
  .prefault({});
