import type { ApprovalRecord } from '../model/approval-record.js';

// Both stores keep a record as its JSON text, so callers of either one get the
// same thing back (undefined fields dropped, fresh objects every read) and can
// never mutate what is stored.

export function encodeApproval(record: ApprovalRecord): string {
  return JSON.stringify(record);
}

export function decodeApproval(text: string): ApprovalRecord {
  return JSON.parse(text) as ApprovalRecord;
}
