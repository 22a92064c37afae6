import { BadRequestError } from '../../errors.js';

// Field readers for the extended-protocol messages the proxy must understand
// (Parse, Bind, Execute, Close). Names are short; most are empty, which costs
// no string at all.

/** Offset just past the NUL that ends the string starting at `offset`. */
export function cstringEnd(buffer: Buffer, offset: number, end: number): number {
  const nul = buffer.indexOf(0, offset);
  if (nul < 0 || nul >= end) throw new BadRequestError('invalid message format: unterminated string');
  return nul + 1;
}

export function readCString(buffer: Buffer, offset: number, end: number): string {
  if (offset < end && buffer[offset] === 0) return '';
  return buffer.toString('utf8', offset, cstringEnd(buffer, offset, end) - 1);
}

/** Parse: statement name and query text. */
export function readParse(buffer: Buffer, body: number, end: number): { name: string; text: string } {
  const nameEnd = cstringEnd(buffer, body, end);
  const name = nameEnd === body + 1 ? '' : buffer.toString('utf8', body, nameEnd - 1);
  const textEnd = cstringEnd(buffer, nameEnd, end);
  return { name, text: buffer.toString('utf8', nameEnd, textEnd - 1) };
}

/** Bind: portal name, then statement name. */
export function readBindNames(buffer: Buffer, body: number, end: number): { portal: string; statement: string } {
  const portalEnd = cstringEnd(buffer, body, end);
  const portal = portalEnd === body + 1 ? '' : buffer.toString('utf8', body, portalEnd - 1);
  return { portal, statement: readCString(buffer, portalEnd, end) };
}

/** Close / Describe: 'S' or 'P', then a name. */
export function readTargetKind(buffer: Buffer, body: number, end: number): number {
  if (body >= end) throw new BadRequestError('invalid message format: missing S/P byte');
  const kind = buffer[body] as number;
  if (kind !== 0x53 && kind !== 0x50) throw new BadRequestError('invalid message format: expected S or P');
  return kind;
}

/** The query text of a simple Query message (NUL-terminated). */
export function readQueryText(buffer: Buffer, body: number, end: number): string {
  // The upstream reads up to the first NUL and rejects trailing bytes; the
  // classifier must see exactly the same text, so an embedded NUL is refused.
  if (end <= body || buffer.indexOf(0, body) !== end - 1) throw new BadRequestError('invalid message format: query string must end with its only NUL');
  return buffer.toString('utf8', body, end - 1);
}
