import { decodeJwt } from 'jose';
import type { RiskLevel } from '../model/risk-level.js';
import { systemClock, type Clock } from '../time/clock.js';
import { optionalStringField, requireStringField, type IdentityRouteHandler } from './route-body.js';
import type { StepUpGrants } from './step-up-grants.js';
import { signStepUpToken, type StepUpKey } from './step-up-token.js';
import type { TotpService } from './totp/totp-service.js';

export interface StepUpRouteOptions {
  readonly totp: TotpService;
  readonly grants: StepUpGrants;
  readonly key: StepUpKey;
  /** step_up.grant_ttl and step_up.grant_max_risk. */
  readonly grantTtlMs: number;
  readonly grantMaxRisk: RiskLevel;
  readonly clock?: Clock;
}

/**
 * POST /v1/stepup { code, session_id? } → { step_up_token, expires_at, max_risk }.
 * The caller proves their own code; with a session id the running session
 * (PostgreSQL, shell) gets a grant too, and HTTP clients use the token.
 */
export function createStepUpRoute(options: StepUpRouteOptions): IdentityRouteHandler {
  const clock = options.clock ?? systemClock;
  return async (principal, body, context) => {
    const code = requireStringField(body, 'code', 16);
    const sessionId = optionalStringField(body, 'session_id');
    await options.totp.verify({ subject: principal.subject, code, source: context?.source ?? '' });
    // Without a session (HTTP programs) the token alone carries the step-up; it names the JWT it rode on.
    const sid = sessionId ?? `jwt:${principal.tokenId ?? principal.subject}`;
    const expiresAt = sessionId === undefined ? null : (await options.grants.issue({ principal, sessionId, maxRisk: options.grantMaxRisk, ttlMs: options.grantTtlMs })).expiresAt;
    const token = await signStepUpToken(options.key, { principal, sessionId: sid, maxRisk: options.grantMaxRisk, ttlMs: options.grantTtlMs, clock });
    const tokenExpiresAt = (decodeJwt(token).exp as number) * 1000;
    return { step_up_token: token, session_id: sid, max_risk: options.grantMaxRisk, expires_at: new Date(expiresAt ?? tokenExpiresAt).toISOString() };
  };
}
