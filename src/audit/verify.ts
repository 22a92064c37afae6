// Verifies an audit file line by line, streaming: every line parses, matches
// its own hash, links to the line before it (prev) and continues its seq.
// Stops at the first break and says which line and why.
import { createReadStream } from 'node:fs';
import { GENESIS, parseLine, SEGMENT_TYPE, type AuditRecord } from './audit-record.js';

export type AuditBreakReason =
  /** The line is not a JSON object. */
  | 'bad_json'
  /** seq, prev, hash or type is missing or malformed. */
  | 'missing_field'
  /** The content does not match the line's own hash. */
  | 'edited'
  /** seq jumps ahead: records before this line are missing. */
  | 'deleted'
  /** Records are out of order (or duplicated). */
  | 'reordered'
  /** The hash is consistent but the line does not link to the one before it. */
  | 'forged'
  /** The last line is incomplete (no newline and not a valid record). */
  | 'truncated'
  | 'empty_line'
  /** The first record is not the start of a chain (head removed, or the file was rotated mid-chain). */
  | 'starts_mid_chain';

export type AuditVerifyResult =
  | {
      readonly ok: true;
      readonly records: number;
      /** Chains in the file: 1 plus every `audit.segment` restart. */
      readonly segments: number;
      /** Compare these with an externally kept anchor to detect a removed tail. */
      readonly lastSeq: number;
      readonly lastHash: string;
      /**
       * Lines left incomplete by a crash (1-based), each followed by the
       * segment Airlock started when it came back: not tampering, but records
       * may be missing there. Empty when the file is whole.
       */
      readonly torn: readonly number[];
    }
  | {
      readonly ok: false;
      /** Records verified before the break. */
      readonly records: number;
      /** 1-based line number of the first broken line. */
      readonly line: number;
      readonly reason: AuditBreakReason;
      readonly message: string;
    };

/** Longer lines are reported as damage instead of being buffered without bound. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

type Broken = Extract<AuditVerifyResult, { ok: false }>;

/**
 * The first record Airlock writes when it restarts on a file whose last line
 * was incomplete: a new segment saying so (audit-log.ts, chain-tail.ts).
 */
function isRestartAfterTornTail(text: string): boolean {
  const parsed = parseLine(text);
  return (
    parsed.ok &&
    parsed.record.type === SEGMENT_TYPE &&
    parsed.record.seq === 1 &&
    parsed.record.prev === GENESIS &&
    typeof parsed.record['reason'] === 'string' &&
    parsed.record['reason'].startsWith('previous chain not continued: last line truncated (no newline)')
  );
}

class ChainChecker {
  records = 0;
  segments = 0;
  private expectedSeq = 1;
  private expectedPrev = GENESIS;
  private started = false;
  lastSeq = 0;
  lastHash = GENESIS;
  /** A seq jump waits for one more line to tell a deletion from a swap. */
  pendingJump: { line: number; seq: number; expected: number } | null = null;
  /** A line that is not JSON waits for one more line: a crash-torn line is followed by a restart segment. */
  pendingTorn: { line: number; detail: string } | null = null;
  readonly torn: number[] = [];

  check(text: string, line: number, final: boolean): Broken | null {
    if (this.pendingJump) return this.resolveJump(text);
    if (this.pendingTorn) {
      const torn = this.pendingTorn;
      this.pendingTorn = null;
      if (!isRestartAfterTornTail(text)) return this.broken(torn.line, 'bad_json', `line ${torn.line} is not valid JSON: ${torn.detail}`);
      this.torn.push(torn.line);
    }
    if (text.length === 0) return this.broken(line, 'empty_line', `line ${line} is empty`);
    const parsed = parseLine(text);
    if (!parsed.ok) {
      if (final) return this.broken(line, 'truncated', `line ${line} is incomplete (no newline at end of file): ${parsed.detail}`);
      if (parsed.problem === 'hash_mismatch') return this.broken(line, 'edited', `line ${line} was edited: ${parsed.detail}`);
      if (parsed.problem === 'bad_json') {
        // The start of a record cut short by a crash, if Airlock's restart segment follows it.
        if (text.startsWith('{"')) {
          this.pendingTorn = { line, detail: parsed.detail };
          return null;
        }
        return this.broken(line, 'bad_json', `line ${line} is not valid JSON: ${parsed.detail}`);
      }
      return this.broken(line, 'missing_field', `line ${line} is not an audit record: ${parsed.detail}`);
    }
    const record = parsed.record;
    if (record.type === SEGMENT_TYPE && record.seq === 1 && record.prev === GENESIS) {
      this.segments++;
      this.accept(record);
      return null;
    }
    if (!this.started) {
      if (record.seq === 1 && record.prev === GENESIS) {
        this.segments++;
        this.accept(record);
        return null;
      }
      return this.broken(line, 'starts_mid_chain', `line ${line} has seq ${record.seq}: the file does not start a chain (lines before it were removed, or it was rotated mid-chain)`);
    }
    if (record.seq === this.expectedSeq && record.prev === this.expectedPrev) {
      this.accept(record);
      return null;
    }
    if (record.seq > this.expectedSeq) {
      this.pendingJump = { line, seq: record.seq, expected: this.expectedSeq };
      return null;
    }
    if (record.seq < this.expectedSeq) {
      return this.broken(line, 'reordered', `line ${line} has seq ${record.seq} but seq ${this.expectedSeq} was expected: records are out of order or duplicated`);
    }
    return this.broken(line, 'forged', `line ${line} does not link to the line before it (prev is not that line's hash): an inserted or re-chained record`);
  }

  /** End of input: a pending jump is a deletion; a broken line with no restart after it is damage. */
  finish(): Broken | null {
    if (this.pendingTorn) return this.broken(this.pendingTorn.line, 'bad_json', `line ${this.pendingTorn.line} is not valid JSON: ${this.pendingTorn.detail}`);
    return this.pendingJump ? this.jumpBroken('deleted') : null;
  }

  private resolveJump(nextText: string): Broken {
    const next = parseLine(nextText);
    const swapped = next.ok && next.record.seq === this.pendingJump?.expected;
    return this.jumpBroken(swapped ? 'reordered' : 'deleted');
  }

  private jumpBroken(reason: 'deleted' | 'reordered'): Broken {
    const jump = this.pendingJump as { line: number; seq: number; expected: number };
    const missing = jump.seq - jump.expected;
    const message =
      reason === 'reordered'
        ? `line ${jump.line} has seq ${jump.seq} but seq ${jump.expected} was expected: records are out of order`
        : `line ${jump.line} has seq ${jump.seq} but seq ${jump.expected} was expected: ${missing} record${missing === 1 ? '' : 's'} deleted before it`;
    return this.broken(jump.line, reason, message);
  }

  private accept(record: AuditRecord): void {
    this.started = true;
    this.records++;
    this.expectedSeq = record.seq + 1;
    this.expectedPrev = record.hash;
    this.lastSeq = record.seq;
    this.lastHash = record.hash;
  }

  private broken(line: number, reason: AuditBreakReason, message: string): Broken {
    return { ok: false, records: this.records, line, reason, message };
  }
}

/** Verifies a stream of audit lines (a file's bytes). IO errors reject. */
export async function verifyAuditStream(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): Promise<AuditVerifyResult> {
  const checker = new ChainChecker();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = buffer.indexOf(0x0a, start); nl >= 0; nl = buffer.indexOf(0x0a, start)) {
      const piece = buffer.subarray(start, nl);
      const text = pending.length === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      line++;
      const broken = checker.check(text, line, false);
      if (broken) return broken;
    }
    if (start < buffer.length) {
      pending.push(buffer.subarray(start));
      pendingBytes += buffer.length - start;
      if (pendingBytes > MAX_LINE_BYTES) {
        return { ok: false, records: checker.records, line: line + 1, reason: 'bad_json', message: `line ${line + 1} is longer than ${MAX_LINE_BYTES} bytes` };
      }
    }
  }
  if (pendingBytes > 0) {
    line++;
    const broken = checker.check(Buffer.concat(pending).toString('utf8'), line, true);
    if (broken) return broken;
  }
  const broken = checker.finish();
  if (broken) return broken;
  return { ok: true, records: checker.records, segments: checker.segments, lastSeq: checker.lastSeq, lastHash: checker.lastHash, torn: checker.torn };
}

/** Verifies an audit file; rejects with the fs error when it cannot be read. */
export async function verifyAuditFile(path: string): Promise<AuditVerifyResult> {
  return verifyAuditStream(createReadStream(path, { highWaterMark: 256 * 1024 }));
}
