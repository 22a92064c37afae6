import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "500ms", "30s", "5m", "12h", "7d" (or a number of milliseconds). */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}

function durationSchema() {
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 5m, 12h or 7d' });
        return z.NEVER;
      }
      return ms;
    });
}

/** A duration field: accepts "30s"-style strings or milliseconds, yields milliseconds. */
export function duration(): ReturnType<typeof durationSchema>;
export function duration(defaultValue: string): ReturnType<ReturnType<typeof durationSchema>['prefault']>;
export function duration(defaultValue?: string) {
  // prefault: the default goes through the transform like a configured value.
  return defaultValue === undefined ? durationSchema() : durationSchema().prefault(defaultValue);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
