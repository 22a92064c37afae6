// The audit record format shared by the writer and the verifier.
//
// One JSON line per record: the canonical JSON (see canonical-json.ts) of the
// record without `hash`, with `"hash":"<hex>"` appended as its last member.
// hash = sha256(canonical JSON of the record without `hash`), hex.
// prev = the previous record's hash; the first record of a chain has GENESIS.
// seq  = 1 for the first record of a chain, then +1 per record.
import { hash as oneShotHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { EventType } from './events.js';

export const GENESIS = '0'.repeat(64);

/** Written by the audit log itself when it cannot continue the previous chain. */
export const SEGMENT_TYPE = 'audit.segment';

export type AuditRecordType = EventType | typeof SEGMENT_TYPE;

export interface AuditRecord {
  readonly seq: number;
  readonly prev: string;
  /** ISO 8601 time of the event. */
  readonly time: string;
  readonly type: AuditRecordType;
  readonly hash: string;
  readonly [field: string]: unknown;
}

/** One-shot crypto.hash (Node >= 20.12) is half the cost of createHash().update().digest(). */
export function sha256Hex(text: string): string {
  return oneShotHash('sha256', text, 'hex');
}

/** Appends the hash member to a canonical record text (which always ends in `}`). */
export function sealLine(canonical: string, hash: string): string {
  return `${canonical.slice(0, -1)},"hash":"${hash}"}\n`;
}

export type LineProblem = 'bad_json' | 'missing_field' | 'hash_mismatch';

export type ParsedLine = { readonly ok: true; readonly record: AuditRecord } | { readonly ok: false; readonly problem: LineProblem; readonly detail: string };

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one line and checks it against its own hash (not its place in the chain). */
export function parseLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, problem: 'bad_json', detail: err instanceof Error ? err.message : 'not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'bad_json', detail: 'not a JSON object' };
  const { hash, ...rest } = value as Record<string, unknown>;
  if (typeof hash !== 'string' || !HEX64.test(hash)) return { ok: false, problem: 'missing_field', detail: 'no valid "hash"' };
  if (!Number.isSafeInteger(rest.seq) || (rest.seq as number) < 1) return { ok: false, problem: 'missing_field', detail: 'no valid "seq"' };
  if (typeof rest.prev !== 'string' || !HEX64.test(rest.prev)) return { ok: false, problem: 'missing_field', detail: 'no valid "prev"' };
  if (typeof rest.type !== 'string') return { ok: false, problem: 'missing_field', detail: 'no "type"' };
  const actual = sha256Hex(canonicalJson(rest));
  if (actual !== hash) return { ok: false, problem: 'hash_mismatch', detail: `content does not match its hash (seq ${String(rest.seq)})` };
  return { ok: true, record: value as AuditRecord };
}
