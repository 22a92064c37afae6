import type { PolicyDecision } from '../model/requirement.js';

/**
 * Findings that mean the upstream would not execute what the classifier
 * read. No rule can allow them: a verdict on text the server reads otherwise
 * would be a verdict on nothing. Each maps to the reason the requester sees.
 */
const PINNED_SETTING = 'pinned_setting:';

export function unmodelledDecision(flags: readonly string[]): PolicyDecision | undefined {
  if (!flags.includes('pinned_setting')) return undefined;
  const names = flags.filter((f) => f.startsWith(PINNED_SETTING)).map((f) => f.slice(PINNED_SETTING.length));
  const what = names.length > 0 ? names.join(', ') : 'a setting that changes how statements are read';
  return {
    risk: 'critical',
    requirement: {
      kind: 'deny',
      reason: `changing ${what} is refused: Airlock reads every statement with standard_conforming_strings on and a UTF-8 client encoding, and the server would read later statements differently`,
    },
    rules: ['airlock:pinned-setting'],
    reasons: [],
  };
}
