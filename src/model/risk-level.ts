export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return riskRank(a) >= riskRank(b) ? a : b;
}

export function raiseRisk(level: RiskLevel, steps = 1): RiskLevel {
  const i = Math.min(RISK_LEVELS.length - 1, riskRank(level) + steps);
  return RISK_LEVELS[i] as RiskLevel;
}
