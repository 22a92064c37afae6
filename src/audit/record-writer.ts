// The canonical text of an audit record, written straight from its event.
//
// canonicalJson() walks any value: it sorts every object's keys, asks the
// redactor about every key, and tests every string. A record's top level and
// a verdict's `data` always have the same few fields, so their order and their
// redaction decisions are settled once, here, when the writer is compiled; per
// record only the string values are scrubbed and quoted. The output is
// byte-for-byte what canonicalJson() writes for the same record (a unit test
// compares the two over adversarial events), so the verifier is unchanged.
// Anything that does not fit the known shape is written by canonicalJson().
import type { Redactor } from '../logging/redactor.js';
import { canonicalJson, canonicalMember, quote } from './canonical-json.js';
import type { AirlockEvent } from './events.js';

/** Writes the canonical text of the record for `event` (without its hash). */
export type RecordWriter = (event: AirlockEvent, seq: number, prev: string, time: string) => string;

/** The members of a verdict event's `data` (airlock-gate.ts), in canonical order (UTF-16 code units): the order verdictData() writes them in. */
const VERDICT_DATA_ORDER = ['allowed', 'command', 'decidedBy', 'flags', 'hash', 'impact', 'kinds', 'path', 'requesterReason', 'requirement', 'risk'] as const;
if ([...VERDICT_DATA_ORDER].sort().join() !== VERDICT_DATA_ORDER.join()) throw new Error('record-writer: verdict data members out of canonical order');

/** Bounds of the repeated-value cache: entries, and the longest value kept. */
const MAX_KNOWN = 4096;
const MAX_KNOWN_LENGTH = 128;
/** What the chain's `prev` always is; anything else goes to the generic writer. */
const HEX64 = /^[0-9a-f]{64}$/;

/** Every top-level key a record may have. */
const TOP_KEYS = ['approvalId', 'data', 'deviceId', 'prev', 'protocol', 'reason', 'replica', 'rules', 'seq', 'sessionId', 'source', 'subject', 'target', 'time', 'type'];

/**
 * The fast writer for this redactor, or one that always uses canonicalJson()
 * when the fast one could differ from it: configured redaction paths, or a
 * record key the redactor counts as secret.
 */
export function compileRecordWriter(redactor: Redactor, replica: string | undefined): RecordWriter {
  const generic: RecordWriter = (event, seq, prev, time) => canonicalJson(recordOf(event, seq, prev, time, replica), redactor);
  if (redactor.paths !== null) return generic;
  if (TOP_KEYS.some((key) => redactor.isSecretKey(key, undefined))) return generic;
  if (VERDICT_DATA_ORDER.some((key) => redactor.isSecretKey(key, 'data'))) return generic;
  const scrub = (text: string): string => quote(redactor.scrubText(text));
  // Most values repeat from record to record (subject, target, rule ids, risk,
  // path...); their scrubbed and quoted text is kept, bounded. Commands and
  // hashes rarely repeat and are written afresh.
  const known = new Map<string, string>();
  const scrubRepeated = (text: string): string => {
    let quoted = known.get(text);
    if (quoted === undefined) {
      quoted = scrub(text);
      if (text.length <= MAX_KNOWN_LENGTH) {
        if (known.size >= MAX_KNOWN) known.clear();
        known.set(text, quoted);
      }
    }
    return quoted;
  };
  const replicaText = replica === undefined ? undefined : scrub(replica);

  function strings(value: unknown): string | undefined {
    // An array with its own toJSON is written through it by canonicalJson: leave it to that.
    if (!Array.isArray(value) || (value as { toJSON?: unknown }).toJSON !== undefined) return undefined;
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'string') return undefined;
      out += i === 0 ? scrubRepeated(item) : `,${scrubRepeated(item)}`;
    }
    return `${out}]`;
  }

  /** `,"key":text` for a string member, '' when absent, undefined when not a string. */
  function stringMember(key: string, value: unknown, repeated: boolean): string | undefined {
    if (value === undefined) return '';
    if (typeof value !== 'string') return undefined;
    return `,"${key}":${repeated ? scrubRepeated(value) : scrub(value)}`;
  }
  function listMember(key: string, value: unknown): string | undefined {
    if (value === undefined) return '';
    const text = strings(value);
    return text === undefined ? undefined : `,"${key}":${text}`;
  }

  /**
   * A verdict's data, or undefined when it has anything the shape does not
   * know. Written out member by member in canonical order (VERDICT_DATA_ORDER):
   * named property reads stay monomorphic, where a loop over the keys did not.
   */
  function verdictData(data: Readonly<Record<string, unknown>>): string | undefined {
    if (Object.getPrototypeOf(data) !== Object.prototype) return undefined;
    const allowed = data.allowed;
    if (allowed !== undefined && typeof allowed !== 'boolean') return undefined;
    const joined = joinMembers([
      allowed === undefined ? '' : `,"allowed":${allowed}`,
      stringMember('command', data.command, false),
      listMember('decidedBy', data.decidedBy),
      listMember('flags', data.flags),
      stringMember('hash', data.hash, false),
      stringMember('impact', data.impact, false),
      listMember('kinds', data.kinds),
      stringMember('path', data.path, true),
      stringMember('requesterReason', data.requesterReason, false),
      stringMember('requirement', data.requirement, true),
      stringMember('risk', data.risk, true),
    ]);
    // Every member counted: a key the shape does not know (or one present but undefined) goes to the generic writer.
    if (joined === undefined || joined.count !== Object.keys(data).length) return undefined;
    return joined.text;
  }

  /** `,"key":"value"` for an optional string field; '' when absent; undefined when not a string. */
  function optional(key: string, value: unknown): string | undefined {
    if (value === undefined) return '';
    return typeof value === 'string' ? `,"${key}":${scrubRepeated(value)}` : undefined;
  }

  return (event, seq, prev, time) => {
    let data: string | undefined = '';
    if (event.data !== undefined) {
      const text = event.type === 'verdict' && event.data !== null && typeof event.data === 'object' ? verdictData(event.data) : undefined;
      data = text ?? canonicalMember(event.data, redactor, 'data');
      data = data === undefined ? '' : `,"data":${data}`;
    }
    let rules = '';
    if (event.rules !== undefined) {
      const text = strings(event.rules);
      if (text === undefined) return generic(event, seq, prev, time);
      rules = `,"rules":${text}`;
    }
    if (!Number.isSafeInteger(seq) || !HEX64.test(prev) || typeof event.type !== 'string') return generic(event, seq, prev, time);
    const joined = joinMembers([
      optional('approvalId', event.approvalId),
      data,
      optional('deviceId', event.deviceId),
      `,"prev":"${prev}"`,
      optional('protocol', event.protocol),
      optional('reason', event.reason),
      replicaText === undefined ? '' : `,"replica":${replicaText}`,
      rules,
      `,"seq":${seq}`,
      optional('sessionId', event.sessionId),
      optional('source', event.source),
      optional('subject', event.subject),
      optional('target', event.target),
      `,"time":${scrub(time)}`,
      `,"type":${scrubRepeated(event.type)}`,
    ]);
    return joined === undefined ? generic(event, seq, prev, time) : joined.text;
  };
}

/**
 * The object text of members given in canonical order, each `,"key":value`
 * or '' when absent; undefined when one could not be written (the generic
 * writer takes over). `count` is how many were present.
 */
function joinMembers(members: ReadonlyArray<string | undefined>): { text: string; count: number } | undefined {
  let text = '';
  let count = 0;
  for (const member of members) {
    if (member === undefined) return undefined;
    if (member === '') continue;
    text += member;
    count++;
  }
  // Every member starts with a comma; an object's first one must not.
  return { text: count === 0 ? '{}' : `{${text.slice(1)}}`, count };
}

/** The record object for `event`, as the generic path serializes it. */
export function recordOf(event: AirlockEvent, seq: number, prev: string, time: string, replica: string | undefined): Record<string, unknown> {
  // Copied field by field: object rest/spread is several times slower on this path.
  const record: Record<string, unknown> = { seq, prev, time, type: event.type };
  if (replica !== undefined) record.replica = replica;
  if (event.subject !== undefined) record.subject = event.subject;
  if (event.deviceId !== undefined) record.deviceId = event.deviceId;
  if (event.source !== undefined) record.source = event.source;
  if (event.protocol !== undefined) record.protocol = event.protocol;
  if (event.target !== undefined) record.target = event.target;
  if (event.sessionId !== undefined) record.sessionId = event.sessionId;
  if (event.approvalId !== undefined) record.approvalId = event.approvalId;
  if (event.rules !== undefined) record.rules = event.rules;
  if (event.reason !== undefined) record.reason = event.reason;
  if (event.data !== undefined) record.data = event.data;
  return record;
}
