import { BadRequestError } from '../errors.js';
import type { TokenVerifier } from '../identity/token-verifier.js';
import { sourceReport, subjectReport, type RiskReportDeps } from '../risk/risk-report.js';
import type { ControlRoutes } from './control-server.js';
import { requireAdmin, requirePrincipal } from './request-principal.js';

export interface RiskRoutesDeps extends RiskReportDeps {
  readonly verifier: TokenVerifier;
  /** control.admin_groups */
  readonly adminGroups: readonly string[];
}

/** GET /v1/risk?sub=alice | ?source=10.0.0.7: current signals and what they do to the next action (admins only). */
export function riskRoutes(deps: RiskRoutesDeps): ControlRoutes {
  const { verifier, adminGroups } = deps;
  return (app) => {
    app.get('/v1/risk', async (request) => {
      requireAdmin(await requirePrincipal(request, verifier), adminGroups);
      const query = request.query as Record<string, unknown>;
      const sub = typeof query['sub'] === 'string' && query['sub'] !== '' ? query['sub'] : undefined;
      const source = typeof query['source'] === 'string' && query['source'] !== '' ? query['source'] : undefined;
      if ((sub === undefined) === (source === undefined)) throw new BadRequestError('pass exactly one of sub or source');
      if (sub !== undefined) {
        if (sub.length > 512) throw new BadRequestError('sub is too long');
        return await subjectReport(deps, sub);
      }
      const report = await sourceReport(deps, source as string);
      if (!report) throw new BadRequestError('source must be an IPv4 or IPv6 address');
      return report;
    });
  };
}
