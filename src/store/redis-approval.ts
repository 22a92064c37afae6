import type { ApprovalRecord, ApprovalStatus, Resolution, Vote } from '../model/approval-record.js';

// How one approval lives in its Redis hash. The creation-time record is kept
// as JSON and never rewritten (Lua's cjson would turn [] into {}); the parts
// that change (status, resolution, votes) are separate fields the scripts set.

export type ApprovalFields = Readonly<Record<string, string>>;

/** The record without its mutable parts, as stored in field `record`. */
export function baseRecordJson(record: ApprovalRecord): string {
  const { status: _status, votes: _votes, resolution: _resolution, ...base } = record;
  return JSON.stringify(base);
}

/** Script arguments that seed the mutable fields at creation. */
export function initialFieldArgs(record: ApprovalRecord): string[] {
  const args = [record.status, record.resolution ? JSON.stringify(record.resolution) : ''];
  record.votes.forEach((v) => args.push(v.approver, JSON.stringify(v)));
  return args;
}

/** HGETALL as a flat [field, value, ...] array (what a Lua script returns) into an object. */
export function fieldsFromPairs(pairs: unknown): ApprovalFields {
  const fields: Record<string, string> = {};
  if (!Array.isArray(pairs)) return fields;
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[String(pairs[i])] = String(pairs[i + 1]);
  return fields;
}

/** Rebuilds the record; null when the hash is gone (expired or never created). */
export function decodeApprovalFields(fields: ApprovalFields): ApprovalRecord | null {
  const base = fields.record;
  const status = fields.status;
  if (base === undefined || status === undefined) return null;
  const votes: Vote[] = [];
  const count = Number(fields.nvotes ?? 0);
  for (let n = 1; n <= count; n++) {
    const text = fields[`v:${n}`];
    if (text !== undefined) votes.push(JSON.parse(text) as Vote);
  }
  const fixed = JSON.parse(base) as Omit<ApprovalRecord, 'status' | 'votes' | 'resolution'>;
  const record: ApprovalRecord = { ...fixed, status: status as ApprovalStatus, votes };
  return fields.resolution ? { ...record, resolution: JSON.parse(fields.resolution) as Resolution } : record;
}
