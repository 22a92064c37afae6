import { serialize } from 'pg-protocol';
import { MessageWriter } from './message-writer.js';
import { StartupCode } from './message-codes.js';

// Messages Airlock sends to the upstream as a client. pg-protocol serializes
// most of them; its startup() always appends client_encoding=UTF8, which would
// override the client's own choice, so the StartupMessage is built here.

export function startupMessage(parameters: ReadonlyMap<string, string>): Buffer {
  const writer = new MessageWriter(256).addInt32(StartupCode.ProtocolV3);
  for (const [name, value] of parameters) writer.addCString(name).addCString(value);
  return writer.addCString('').flush();
}

export const sslRequest = serialize.requestSsl;
export const passwordMessage = serialize.password;
export const saslInitialResponse = serialize.sendSASLInitialResponseMessage;
export const saslResponse = serialize.sendSCRAMClientFinalMessage;
export const cancelRequest = serialize.cancel;

export function simpleQuery(text: string): Buffer {
  return serialize.query(text);
}

/**
 * An extended-protocol round (unnamed statement and portal) that fails on
 * the upstream with the given SQLSTATE, then Syncs. Used to put the upstream in the same (aborted)
 * transaction state as a client that was refused a statement; also ends the
 * upstream's "skip until Sync" mode and any implicit transaction.
 */
export function abortRound(sqlstate: string, message: string): { readonly text: string; readonly bytes: Buffer } {
  const code = /^[0-9A-Z]{5}$/.test(sqlstate) ? sqlstate : '42501';
  const text = `DO $airlock$BEGIN RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = ${quoteLiteral(message)}; END$airlock$`;
  return { text, bytes: Buffer.concat([serialize.parse({ text }), serialize.bind({}), serialize.execute({}), serialize.sync()]) };
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''").replace(/\$airlock\$/g, '')}'`;
}
