import type { AirlockError } from '../errors.js';
import type { RiskLevel } from '../model/risk-level.js';
import type { RequirementKind } from '../model/requirement.js';
import type { AllowVerdict, DenyVerdict, VerdictPath } from './verdict.js';

interface VerdictParts {
  readonly risk: RiskLevel;
  readonly requirement: RequirementKind;
  readonly path: VerdictPath;
  readonly rules: readonly string[];
  readonly reason: string;
  readonly decidedBy?: readonly string[];
  readonly approvalId?: string;
}

// The only places a verdict is made (its type carries a mark no other module can produce).
export function allowVerdict(parts: VerdictParts): AllowVerdict {
  return { allowed: true, decidedBy: [], ...parts } as unknown as AllowVerdict;
}

export function denyVerdict(parts: VerdictParts & { readonly error: AirlockError }): DenyVerdict {
  return { allowed: false, decidedBy: [], ...parts } as unknown as DenyVerdict;
}
