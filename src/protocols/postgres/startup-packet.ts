import { BadRequestError } from '../../errors.js';

/** Protocol major/minor from the StartupMessage's version field. */
export function protocolVersion(code: number): { major: number; minor: number } {
  return { major: code >>> 16, minor: code & 0xffff };
}

/**
 * Reads the name/value pairs of a StartupMessage body. Untrusted input: every
 * string must be NUL-terminated inside the packet and the list must end with
 * an empty name.
 */
export function readStartupParameters(buffer: Buffer, start: number, end: number): Map<string, string> {
  const parameters = new Map<string, string>();
  let offset = start;
  for (;;) {
    const nameEnd = buffer.indexOf(0, offset);
    if (nameEnd < 0 || nameEnd >= end) throw new BadRequestError('invalid startup packet layout: expected terminator as last byte');
    if (nameEnd === offset) {
      if (nameEnd !== end - 1) throw new BadRequestError('invalid startup packet layout: expected terminator as last byte');
      return parameters;
    }
    const valueEnd = buffer.indexOf(0, nameEnd + 1);
    if (valueEnd < 0 || valueEnd >= end) throw new BadRequestError('invalid startup packet layout: expected terminator as last byte');
    parameters.set(buffer.toString('utf8', offset, nameEnd), buffer.toString('utf8', nameEnd + 1, valueEnd));
    offset = valueEnd + 1;
  }
}

/** The (pid, secret) pair of a CancelRequest body. */
export function readCancelKey(buffer: Buffer, start: number, end: number): { processId: number; secretKey: number } | null {
  if (end - start !== 8) return null;
  return { processId: buffer.readInt32BE(start), secretKey: buffer.readInt32BE(start + 4) };
}
