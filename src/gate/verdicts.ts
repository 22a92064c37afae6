import type { AirlockError } from '../errors.js';
import type { RiskLevel } from '../policy/risk-level.js';
import type { RequirementKind } from '../policy/requirement.js';
import type { Verdict, VerdictPath } from './verdict.js';

interface VerdictParts {
  readonly risk: RiskLevel;
  readonly requirement: RequirementKind;
  readonly path: VerdictPath;
  readonly rules: readonly string[];
  readonly reason: string;
  readonly decidedBy?: readonly string[];
  readonly approvalId?: string;
}

export function allowVerdict(parts: VerdictParts): Verdict {
  return { allowed: true, decidedBy: [], ...parts };
}

export function denyVerdict(parts: VerdictParts & { readonly error: AirlockError }): Verdict {
  return { allowed: false, decidedBy: [], ...parts };
}
