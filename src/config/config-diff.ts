import { isDeepStrictEqual } from 'node:util';
import type { AirlockConfig } from './schema.js';

export interface ConfigDiff {
  readonly targets: Changes;
  readonly rules: Changes;
  /** postgres, http, shell, control: enabled or not, and where they listen. */
  readonly listeners: Changes;
  /** Top-level sections other than the above whose values differ. */
  readonly sections: readonly string[];
}

export interface Changes {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

function byName<T>(items: readonly T[], name: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [name(item), item]));
}

function compare<T>(before: Map<string, T>, after: Map<string, T>): Changes {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && !isDeepStrictEqual(before.get(k), after.get(k)));
  return { added, removed, changed };
}

function listeners(config: AirlockConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (config.postgres.enabled) out.set('postgres', config.postgres.listen);
  if (config.http.enabled) out.set('http', config.http.listen);
  if (config.shell.enabled) out.set('shell', config.shell.listen);
  out.set('control', config.control.listen);
  return out;
}

const COMPARED_ELSEWHERE = new Set(['targets', 'policy', 'postgres', 'http', 'shell', 'control', 'reload']);

/** What a reload from `before` to `after` would change. */
export function diffConfigs(before: AirlockConfig, after: AirlockConfig): ConfigDiff {
  const sections = Object.keys(after).filter((key) => !COMPARED_ELSEWHERE.has(key) && !isDeepStrictEqual((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key]));
  if (!isDeepStrictEqual(before.policy.defaults, after.policy.defaults)) sections.push('policy.defaults');
  for (const listener of ['postgres', 'http', 'shell', 'control'] as const) {
    const { listen: _a, enabled: _b, ...restBefore } = before[listener] as Record<string, unknown>;
    const { listen: _c, enabled: _d, ...restAfter } = after[listener] as Record<string, unknown>;
    if (!isDeepStrictEqual(restBefore, restAfter)) sections.push(listener);
  }
  return {
    targets: compare(byName(before.targets, (t) => t.name), byName(after.targets, (t) => t.name)),
    rules: compare(byName(before.policy.rules, (r) => r.id), byName(after.policy.rules, (r) => r.id)),
    listeners: compare(listeners(before), listeners(after)),
    sections,
  };
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  const none = (c: Changes) => c.added.length + c.removed.length + c.changed.length === 0;
  return none(diff.targets) && none(diff.rules) && none(diff.listeners) && diff.sections.length === 0;
}

/**
 * Why a reload must be refused: it drops targets, listeners or rules that
 * the running configuration has, and the new file does not say it may
 * (`reload.allow_removals: true`). A truncated or half-written file is the
 * usual cause; a deliberate removal says so in the file.
 */
export function reloadRefusals(before: AirlockConfig, after: AirlockConfig, diff = diffConfigs(before, after)): string[] {
  if (after.reload.allow_removals) return [];
  const problems: string[] = [];
  if (diff.targets.removed.length > 0) problems.push(`it would remove target(s) ${diff.targets.removed.join(', ')}`);
  if (diff.listeners.removed.length > 0) problems.push(`it would stop listener(s) ${diff.listeners.removed.join(', ')}`);
  if (diff.rules.removed.length > 0) problems.push(`it would remove policy rule(s) ${diff.rules.removed.join(', ')}`);
  if (problems.length === 0) return [];
  return [...problems, 'set reload.allow_removals: true in the new file if that is intended'];
}

/** Human-readable lines for `check-config --diff`. */
export function describeDiff(diff: ConfigDiff): string[] {
  const lines: string[] = [];
  const add = (what: string, changes: Changes) => {
    for (const name of changes.added) lines.push(`+ ${what} ${name}`);
    for (const name of changes.removed) lines.push(`- ${what} ${name}`);
    for (const name of changes.changed) lines.push(`~ ${what} ${name}`);
  };
  add('target', diff.targets);
  add('rule', diff.rules);
  add('listener', diff.listeners);
  for (const section of diff.sections) lines.push(`~ ${section}`);
  return lines;
}
