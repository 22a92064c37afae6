import { BadRequestError } from '../errors.js';
import type { Principal } from '../model/principal.js';

/** Caller facts a control route may need beyond the principal. */
export interface RouteContext {
  /** Source address of the caller, for per-source rate limits. */
  readonly source?: string;
}

/** A control API handler: verified principal + parsed JSON body in, JSON-able result out; throws AirlockError. */
export type IdentityRouteHandler = (principal: Principal, body: unknown, context?: RouteContext) => Promise<Record<string, unknown>>;

/** Reads a required string field of a JSON body; a clear 400 otherwise. */
export function requireStringField(body: unknown, field: string, maxLength = 256): string {
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '' || value.length > maxLength) {
    throw new BadRequestError(`body must be a JSON object with a non-empty string "${field}"`);
  }
  return value;
}

/** Reads an optional string field; absent is fine, a wrong type is a 400. */
export function optionalStringField(body: unknown, field: string, maxLength = 256): string | undefined {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = (body as Record<string, unknown>)[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > maxLength) throw new BadRequestError(`"${field}" must be a non-empty string`);
  return value;
}
