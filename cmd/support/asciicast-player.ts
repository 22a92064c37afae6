import type { AsciicastEvent } from '../../src/protocols/shell/asciicast.js';

export interface PlayOptions {
  /** 2 plays twice as fast. */
  readonly speed: number;
  /** Pauses longer than this many seconds (at recorded speed) are cut to it; Infinity keeps them. */
  readonly maxIdle: number;
  readonly write: (data: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Writes the output events with the recorded pauses between them (scaled and capped). */
export async function playEvents(events: readonly AsciicastEvent[], options: PlayOptions): Promise<void> {
  let previous = 0;
  for (const event of events) {
    if (event.code !== 'o') continue;
    const pause = Math.min(event.time - previous, options.maxIdle) / options.speed;
    previous = event.time;
    if (pause > 0) await options.sleep(pause * 1000);
    options.write(event.data);
  }
}

/** `[   12.345s] label`: one marker a line, its control characters made visible. */
export function markerLine(event: AsciicastEvent): string {
  const label = event.data.replace(/[\x00-\x1f\x7f]/g, (c) => `^${String.fromCharCode(c.charCodeAt(0) ^ 0x40)}`);
  return `[${event.time.toFixed(3).padStart(10)}s] ${label}`;
}
