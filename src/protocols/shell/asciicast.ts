import { RecordingInvalidError } from '../../errors.js';

/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): one JSON
 * header line, then one JSON array per event, `[seconds, code, data]`.
 * Hand-written: the format is three lines of JSON, and the replay side must
 * refuse what a general player would tolerate.
 */
export interface AsciicastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  /** Unix seconds of the session's start. */
  readonly timestamp: number;
  readonly title?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Event codes: `o` output, `i` input, `m` marker, `r` resize (`COLSxROWS`). */
export const EVENT_CODES = ['o', 'i', 'm', 'r'] as const;
export type EventCode = (typeof EVENT_CODES)[number];

export interface AsciicastEvent {
  readonly time: number;
  readonly code: EventCode;
  readonly data: string;
}

/** A header or event line longer than this is refused when replayed (writers cap one event's data well below). */
export const MAX_LINE_CHARS = 4 * 1024 * 1024;
const MAX_DIMENSION = 10_000;

export function headerLine(header: AsciicastHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** Seconds with microsecond precision; JSON.stringify escapes control characters, quotes and lone surrogates. */
export function eventLine(time: number, code: EventCode, data: string): string {
  return `${JSON.stringify([Math.round(time * 1e6) / 1e6, code, data])}\n`;
}

export function resizeData(cols: number, rows: number): string {
  return `${cols}x${rows}`;
}

export function parseHeader(line: string): AsciicastHeader {
  const value = parseJson(line, 1);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(1, 'the header is not a JSON object');
  const header = value as Record<string, unknown>;
  if (header['version'] !== 2) throw invalid(1, `version ${JSON.stringify(header['version'])} is not 2`);
  for (const key of ['width', 'height'] as const) {
    const n = header[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_DIMENSION) throw invalid(1, `${key} must be an integer from 1 to ${MAX_DIMENSION}`);
  }
  const timestamp = header['timestamp'];
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) throw invalid(1, 'timestamp must be unix seconds');
  if (header['title'] !== undefined && typeof header['title'] !== 'string') throw invalid(1, 'title must be a string');
  const env = header['env'];
  if (env !== undefined && (typeof env !== 'object' || env === null || Array.isArray(env) || Object.values(env).some((v) => typeof v !== 'string'))) {
    throw invalid(1, 'env must be an object of strings');
  }
  return header as unknown as AsciicastHeader;
}

/** One event line (1-based `lineNumber` for the message); `previous` is the last event's time, which it may not precede. */
export function parseEvent(line: string, lineNumber: number, previous: number): AsciicastEvent {
  const value = parseJson(line, lineNumber);
  if (!Array.isArray(value) || value.length !== 3) throw invalid(lineNumber, 'an event must be [seconds, code, data]');
  const [time, code, data] = value as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) throw invalid(lineNumber, 'the time must be a non-negative number of seconds');
  if (time < previous) throw invalid(lineNumber, `the time ${time} goes back before ${previous}`);
  if (typeof code !== 'string' || !(EVENT_CODES as readonly string[]).includes(code)) throw invalid(lineNumber, `unknown event code ${JSON.stringify(code)}`);
  if (typeof data !== 'string') throw invalid(lineNumber, 'the data must be a string');
  if (code === 'r' && !/^[1-9]\d{0,4}x[1-9]\d{0,4}$/.test(data)) throw invalid(lineNumber, `a resize must be COLSxROWS, not ${JSON.stringify(data)}`);
  return { time, code: code as EventCode, data };
}

/** A whole file's text: the header and every event, or RecordingInvalidError naming the first bad line. */
export function parseAsciicast(text: string): { header: AsciicastHeader; events: AsciicastEvent[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw invalid(1, 'the file is empty');
  const header = parseHeader(lines[0] as string);
  const events: AsciicastEvent[] = [];
  let previous = 0;
  for (let i = 1; i < lines.length; i++) {
    const event = parseEvent(lines[i] as string, i + 1, previous);
    previous = event.time;
    events.push(event);
  }
  return { header, events };
}

function parseJson(line: string, lineNumber: number): unknown {
  if (line.length > MAX_LINE_CHARS) throw invalid(lineNumber, `longer than ${MAX_LINE_CHARS} characters`);
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw invalid(lineNumber, 'not JSON');
  }
}

function invalid(lineNumber: number, message: string): RecordingInvalidError {
  return new RecordingInvalidError(`line ${lineNumber}: ${message}`);
}
