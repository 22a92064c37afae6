import { WEEKDAYS } from '../config/sections/risk.js';

export interface TimeWindowConfig {
  readonly days?: readonly (typeof WEEKDAYS)[number][] | undefined;
  readonly start?: string | undefined;
  readonly end?: string | undefined;
  readonly timezone: string;
}

/** A weekly time window in a time zone, compiled once (the formatter is the costly part). */
export interface TimeWindow {
  contains(ms: number): boolean;
}

const DAY_OF: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h as number) * 60 + (m as number);
}

/**
 * `start` inclusive, `end` exclusive, local to `timezone`. When end is not
 * after start the window runs overnight, and its early-morning part belongs
 * to the day it started on (fri 22:00-06:00 covers Saturday 03:00).
 */
export function compileTimeWindow(config: TimeWindowConfig): TimeWindow {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: config.timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const start = minutesOf(config.start ?? '00:00');
  const end = minutesOf(config.end ?? '24:00');
  const days = config.days && config.days.length > 0 ? new Set(config.days.map((d) => WEEKDAYS.indexOf(d))) : null;
  const onDay = (day: number): boolean => days === null || days.has(day);
  return {
    contains(ms: number): boolean {
      let day = -1;
      let minutes = 0;
      for (const part of format.formatToParts(new Date(ms))) {
        if (part.type === 'weekday') day = DAY_OF[part.value] ?? -1;
        else if (part.type === 'hour') minutes += Number(part.value) * 60;
        else if (part.type === 'minute') minutes += Number(part.value);
      }
      if (start < end) return onDay(day) && minutes >= start && minutes < end;
      return (minutes >= start && onDay(day)) || (minutes < end && onDay((day + 6) % 7));
    },
  };
}
