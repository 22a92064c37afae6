import type { JWTPayload } from 'jose';
import type { Principal } from '../model/principal.js';
import { tokenRejected } from './token-rejection.js';

export interface ClaimNames {
  readonly groups: string;
  readonly email: string;
  readonly device: string;
}

/** Reads a claim by name; a dotted name ("realm_access.roles") walks nested objects when no top-level claim has that exact name. */
export function readClaim(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  if (!name.includes('.')) return undefined;
  let node: unknown = payload;
  for (const part of name.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function optionalString(payload: JWTPayload, name: string): string | undefined {
  const value = readClaim(payload, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw tokenRejected('malformed', `"${name}" must be a string`);
  return value === '' ? undefined : value;
}

/** A list claim may be one string or a list of strings; anything else is refused rather than guessed. */
function stringList(payload: JWTPayload, name: string): string[] {
  const value = readClaim(payload, name);
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return [...new Set(value)];
  throw tokenRejected('malformed', `"${name}" must be a string or a list of strings`);
}

/** Maps verified claims to a Principal. Throws TokenInvalidError when a claim has the wrong type. */
export function claimsToPrincipal(payload: JWTPayload, names: ClaimNames): Principal {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '') throw tokenRejected('missing_claim', '"sub"');
  if (typeof payload.exp !== 'number') throw tokenRejected('missing_claim', '"exp"');
  const email = optionalString(payload, names.email);
  const name = optionalString(payload, 'name');
  const deviceId = optionalString(payload, names.device);
  const tokenId = optionalString(payload, 'jti');
  return Object.freeze({
    subject,
    ...(email === undefined ? {} : { email }),
    ...(name === undefined ? {} : { name }),
    groups: Object.freeze(stringList(payload, names.groups)),
    authMethods: Object.freeze(stringList(payload, 'amr')),
    ...(deviceId === undefined ? {} : { deviceId }),
    ...(tokenId === undefined ? {} : { tokenId }),
    issuer: typeof payload.iss === 'string' ? payload.iss : '',
    expiresAt: payload.exp * 1000,
  });
}
