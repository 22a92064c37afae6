import type { SessionEffect } from '../../classifiers/sql/session-effects.js';
import type { Classification } from '../../model/action.js';

/**
 * What the SQL classifier reports in `facts.details` that the proxy acts on:
 * settings (for `airlock.reason`), SQL-level PREPARE / EXECUTE / DEALLOCATE.
 * Details are `unknown` by contract, so each list is checked here once.
 */
export interface StatementDetails {
  readonly settings: readonly { readonly name: string; readonly value: string | null }[];
  readonly prepare: readonly { readonly name: string; readonly text: string }[];
  readonly execute: readonly string[];
  /** Names, or 'ALL'. */
  readonly deallocate: readonly string[];
}

const NONE: StatementDetails = Object.freeze({ settings: [], prepare: [], execute: [], deallocate: [] });

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0);
}

export function readStatementDetails(classification: Classification): StatementDetails {
  const details = classification.facts.details;
  if (!details) return NONE;
  const { settings, prepare, execute, deallocate } = details;
  // The common case (no such statements) costs four checks and no allocation.
  if (isEmpty(settings) && isEmpty(prepare) && isEmpty(execute) && isEmpty(deallocate)) return NONE;
  return {
    settings: list(settings).flatMap((item) => {
      const entry = record(item);
      if (!entry || typeof entry.name !== 'string') return [];
      const value = entry.value === undefined || entry.value === null ? null : String(entry.value);
      return [{ name: entry.name.toLowerCase(), value }];
    }),
    prepare: list(prepare).flatMap((item) => {
      const entry = record(item);
      return entry && typeof entry.name === 'string' && typeof entry.text === 'string' ? [{ name: entry.name, text: entry.text }] : [];
    }),
    execute: list(execute).filter((name): name is string => typeof name === 'string'),
    deallocate: list(deallocate).filter((name): name is string => typeof name === 'string'),
  };
}

export function hasFlag(classification: Classification, flag: string): boolean {
  return classification.facts.flags.includes(flag);
}

/** The reason a statement sets with `SET airlock.reason = '...'` (or set_config); null when it clears it; undefined when untouched. */
export function reasonSetting(details: StatementDetails): string | null | undefined {
  let reason: string | null | undefined;
  for (const setting of details.settings) if (setting.name === 'airlock.reason') reason = setting.value;
  return reason;
}

/** Per top-level statement: its effect on named statements and cursors, the names it executes, unseen code. */
export interface StatementEffects {
  readonly kind?: string;
  readonly effect?: SessionEffect;
  readonly executes?: readonly string[];
  readonly unseenCode?: true;
}

const NO_STATEMENTS: readonly StatementEffects[] = Object.freeze([]);

/**
 * The SQL classifier's per-statement details, in statement order (the k-th
 * CommandComplete of a query answers the k-th). Read as they are, without a
 * copy: this runs for every confirmed Execute.
 */
export function readStatementEffects(classification: Classification): readonly StatementEffects[] {
  const statements = classification.facts.details?.['statements'];
  return Array.isArray(statements) ? (statements as readonly StatementEffects[]) : NO_STATEMENTS;
}
