// Canonical JSON, the form every audit hash is computed over: object keys
// sorted by UTF-16 code units at every depth, no whitespace, strings and
// numbers exactly as JSON.stringify writes them (the RFC 8785 key order with
// ECMAScript number formatting). Parsing a canonical text and serializing it
// again gives the same text, so a verifier needs nothing but JSON.parse.
//
// The writer redacts in the same pass, so a record is walked once and the hash
// covers exactly what reaches the file. Hand-written because JSON.stringify
// cannot sort keys without building a sorted copy of every object first.
import { CENSOR } from '../logging/secret-paths.js';
import type { Redactor } from '../logging/redactor.js';
import { NO_STATES, stepPaths, type PathNode } from '../logging/redaction-paths.js';

/** Deeper values are written as this marker. */
const MAX_DEPTH = 32;
const TOO_DEEP = '"[Truncated]"';
const CIRCULAR = '"[Circular]"';
const CENSORED = JSON.stringify(CENSOR);
/** Characters JSON.stringify escapes; strings without them are quoted as they are. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Keys repeat from record to record, so their quoted form is cached (bounded). */
const quotedKeys = new Map<string, string>();
const QUOTED_KEY_LIMIT = 10_000;

/** A string as canonical JSON writes it (and as JSON.stringify does). */
export function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEY_LIMIT) quotedKeys.set(key, quoted);
  }
  return quoted;
}

export function canonicalJson(value: unknown, redactor?: Redactor): string {
  const out = write(value, redactor ?? null, undefined, redactor?.paths ? [redactor.paths] : NO_STATES, []);
  return out ?? 'null';
}

/**
 * The canonical text of `value` written as the member `parentKey` of a record
 * (redaction decisions depend on the parent's key), exactly as canonicalJson
 * writes it there: what record-writer.ts uses for fields it has no shape for.
 * Only for a redactor without configured paths.
 */
export function canonicalMember(value: unknown, redactor: Redactor, parentKey: string): string | undefined {
  return write(value, redactor, parentKey, NO_STATES, [MEMBER_PARENT]);
}
/** Stands in for the record a member belongs to: one level of depth, never reachable from the member. */
const MEMBER_PARENT: object = Object.freeze({});

/** `ancestors` holds the objects being written above this one, to cut reference cycles. */
function write(value: unknown, redactor: Redactor | null, parentKey: string | undefined, states: readonly PathNode[], ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(redactor ? redactor.scrubText(value) : value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value.toString()}"`;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.length >= MAX_DEPTH) return TOO_DEEP;
  if (ancestors.includes(object)) return CIRCULAR;
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(object), redactor, parentKey, states, ancestors);
  ancestors.push(object);
  const text = Array.isArray(object) ? writeArray(object, redactor, parentKey, states, ancestors) : writeObject(object as Record<string, unknown>, redactor, parentKey, states, ancestors);
  ancestors.pop();
  return text;
}

function writeArray(value: readonly unknown[], redactor: Redactor | null, parentKey: string | undefined, states: readonly PathNode[], ancestors: object[]): string {
  let s = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) s += ',';
    const step = states.length === 0 ? null : stepPaths(states, String(i));
    s += step?.hit ? CENSORED : (write(value[i], redactor, parentKey, step?.next ?? NO_STATES, ancestors) ?? 'null');
  }
  return `${s}]`;
}

function writeObject(record: Record<string, unknown>, redactor: Redactor | null, parentKey: string | undefined, states: readonly PathNode[], ancestors: object[]): string {
  const keys = sortKeys(Object.keys(record));
  let s = '{';
  let first = true;
  for (const key of keys) {
    const child = record[key];
    let text: string | undefined;
    if (redactor) {
      const step = states.length === 0 ? null : stepPaths(states, key);
      if (child !== undefined && (step?.hit === true || redactor.isSecretKey(key, parentKey))) text = CENSORED;
      else text = write(child, redactor, key, step?.next ?? NO_STATES, ancestors);
    } else {
      text = write(child, null, key, NO_STATES, ancestors);
    }
    if (text === undefined) continue;
    s += `${first ? '' : ','}${quoteKey(key)}:${text}`;
    first = false;
  }
  return `${s}}`;
}

/** Same order as Array.prototype.sort (UTF-16 code units); insertion sort is faster for the small objects records hold. */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}
