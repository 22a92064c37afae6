import { MessageWriter } from './message-writer.js';
import { AuthCode, ServerCode, TxStatus } from './message-codes.js';

// Builds the few server messages Airlock speaks itself (pg-protocol only
// serializes client messages).

export type Severity = 'FATAL' | 'ERROR' | 'NOTICE' | 'WARNING' | 'INFO';

export interface ErrorFields {
  readonly severity: Severity;
  /** SQLSTATE, five characters. */
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

function fieldsMessage(kind: ServerCode.ErrorResponse | ServerCode.NoticeResponse, fields: ErrorFields): Buffer {
  const writer = new MessageWriter(128 + fields.message.length);
  writer.addString('S').addCString(fields.severity);
  writer.addString('V').addCString(fields.severity);
  writer.addString('C').addCString(fields.code);
  writer.addString('M').addCString(fields.message);
  if (fields.detail) writer.addString('D').addCString(fields.detail);
  if (fields.hint) writer.addString('H').addCString(fields.hint);
  writer.addCString('');
  return writer.flush(kind);
}

export function errorResponse(fields: ErrorFields): Buffer {
  return fieldsMessage(ServerCode.ErrorResponse, fields);
}

export function noticeResponse(fields: ErrorFields): Buffer {
  return fieldsMessage(ServerCode.NoticeResponse, fields);
}

function fixed(code: number, body: readonly number[]): Buffer {
  const buffer = Buffer.alloc(5 + body.length);
  buffer[0] = code;
  buffer.writeInt32BE(4 + body.length, 1);
  buffer.set(body, 5);
  return buffer;
}

const READY_IDLE = fixed(ServerCode.ReadyForQuery, [TxStatus.Idle]);
const READY_IN_BLOCK = fixed(ServerCode.ReadyForQuery, [TxStatus.InBlock]);
const READY_FAILED = fixed(ServerCode.ReadyForQuery, [TxStatus.Failed]);

/** Prebuilt ReadyForQuery for a transaction status byte ('I', 'T' or 'E'). */
export function readyForQuery(status: number): Buffer {
  if (status === TxStatus.InBlock) return READY_IN_BLOCK;
  if (status === TxStatus.Failed) return READY_FAILED;
  return READY_IDLE;
}

export const AUTHENTICATION_OK = fixed(ServerCode.Authentication, [0, 0, 0, AuthCode.Ok]);
export const AUTHENTICATION_CLEARTEXT = fixed(ServerCode.Authentication, [0, 0, 0, AuthCode.CleartextPassword]);
/** Single-byte answers to SSLRequest / GSSENCRequest. */
export const SSL_ACCEPTED = Buffer.from('S');
export const SSL_REFUSED = Buffer.from('N');

export function backendKeyData(processId: number, secretKey: number): Buffer {
  const buffer = Buffer.allocUnsafe(13);
  buffer[0] = ServerCode.BackendKeyData;
  buffer.writeInt32BE(12, 1);
  buffer.writeInt32BE(processId, 5);
  buffer.writeInt32BE(secretKey, 9);
  return buffer;
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter(64).addCString(name).addCString(value).flush(ServerCode.ParameterStatus);
}

/** Tells a client asking for protocol 3.x (x > 0) or `_pq_.` options what this server speaks. */
export function negotiateProtocolVersion(minor: number, unrecognized: readonly string[]): Buffer {
  const writer = new MessageWriter(64).addInt32(minor).addInt32(unrecognized.length);
  for (const name of unrecognized) writer.addCString(name);
  return writer.flush(ServerCode.NegotiateProtocolVersion);
}

/** Name and value of a ParameterStatus body (two NUL-terminated strings); empty strings when malformed. */
export function readParameterStatus(buffer: Buffer, body: number, end: number): { name: string; value: string } {
  const nameEnd = buffer.indexOf(0, body);
  if (nameEnd < 0 || nameEnd >= end) return { name: '', value: '' };
  const valueEnd = buffer.indexOf(0, nameEnd + 1);
  return { name: buffer.toString('utf8', body, nameEnd), value: buffer.toString('utf8', nameEnd + 1, valueEnd < 0 || valueEnd >= end ? end : valueEnd) };
}

/** The columns of a DataRow in text format (null for SQL NULL). */
export function readDataRowText(buffer: Buffer, body: number, end: number): (string | null)[] {
  const values: (string | null)[] = [];
  const count = end - body >= 2 ? buffer.readInt16BE(body) : 0;
  let offset = body + 2;
  for (let i = 0; i < count && offset + 4 <= end; i++) {
    const length = buffer.readInt32BE(offset);
    offset += 4;
    if (length < 0) values.push(null);
    else {
      values.push(buffer.toString('utf8', offset, Math.min(end, offset + length)));
      offset += length;
    }
  }
  return values;
}
