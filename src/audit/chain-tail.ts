// Reads the last record of an existing audit file so a restarted process
// continues its chain. Synchronous: it runs once at boot, before any listener.
import { fstatSync, readSync } from 'node:fs';
import { parseLine } from './audit-record.js';

const FIRST_WINDOW = 64 * 1024;
/** A record is at most a few tens of KB; a longer last line is damage. */
const MAX_WINDOW = 4 * 1024 * 1024;

export type ChainTail =
  | { readonly kind: 'empty' }
  | { readonly kind: 'intact'; readonly seq: number; readonly hash: string; readonly needsNewline: boolean }
  | { readonly kind: 'damaged'; readonly reason: string; readonly needsNewline: boolean };

/** Looks at the last line of the file open on `fd`. */
export function readChainTail(fd: number): ChainTail {
  const size = fstatSync(fd).size;
  if (size === 0) return { kind: 'empty' };
  let window = Math.min(size, FIRST_WINDOW);
  for (;;) {
    const buffer = Buffer.alloc(window);
    readSync(fd, buffer, 0, window, size - window);
    const endsWithNewline = buffer[window - 1] === 0x0a;
    const end = endsWithNewline ? window - 1 : window;
    const start = buffer.lastIndexOf(0x0a, end - 1) + 1;
    if (start === 0 && window < size) {
      if (window >= MAX_WINDOW) return { kind: 'damaged', reason: `last line is longer than ${MAX_WINDOW} bytes`, needsNewline: !endsWithNewline };
      window = Math.min(size, window * 4, MAX_WINDOW);
      continue;
    }
    const line = buffer.subarray(start, end).toString('utf8');
    if (line.length === 0) return { kind: 'damaged', reason: 'last line is empty', needsNewline: false };
    const parsed = parseLine(line);
    if (parsed.ok) return { kind: 'intact', seq: parsed.record.seq, hash: parsed.record.hash, needsNewline: !endsWithNewline };
    const truncated = !endsWithNewline ? 'truncated (no newline), ' : '';
    return { kind: 'damaged', reason: `last line ${truncated}${parsed.problem}: ${parsed.detail}`, needsNewline: !endsWithNewline };
  }
}
