import type { RiskLevel } from '../../../model/risk-level.js';
import type { HttpRequestView } from '../http-request.js';

/** What a profile adds to the generic facts of a request to a well-known kind of upstream. */
export interface ProfileFacts {
  readonly kinds: readonly string[];
  readonly objects: readonly string[];
  readonly flags: readonly string[];
  /** The profile's risk for the request; the generic method risk when absent. */
  readonly risk?: RiskLevel;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ProfileInput {
  readonly view: HttpRequestView;
  /** Query values by decoded key. */
  readonly query: ReadonlyMap<string, readonly string[]>;
  /** The parsed JSON body, when the body is JSON. */
  readonly json?: unknown;
  /** The body as text, when inspected. */
  readonly bodyText?: string;
}

export type RequestProfile = (input: ProfileInput) => ProfileFacts;

export const PROFILE_NAMES = ['generic', 'kubernetes', 'elasticsearch', 'graphql'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
