// The one error list. Every error that may cross a protocol edge is a subclass
// of AirlockError with a stable `code` (static and on the instance). Each
// protocol translates these at its edge only: SQLSTATE for PostgreSQL, HTTP
// status + JSON problem for HTTP, a terminal line for shells. An error whose
// `clientSafe` is false is logged and replaced by a generic message.

export interface ErrorDoc {
  readonly code: string;
  readonly httpStatus: number;
  readonly sqlstate: string;
  readonly clientSafe: boolean;
  readonly description: string;
}

export abstract class AirlockError extends Error {
  static readonly code: string = 'AIRLOCK_ERROR';
  readonly code: string;
  /** HTTP status used by the control API and the HTTP proxy. */
  readonly httpStatus: number = 500;
  /** PostgreSQL SQLSTATE used by the PostgreSQL proxy. */
  readonly sqlstate: string = 'XX000';
  /** Whether `message` may be shown to the client as is. */
  readonly clientSafe: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: string }).code;
  }
}

export class ConfigInvalidError extends AirlockError {
  static override readonly code = 'AIRLOCK_CONFIG_INVALID';
  override readonly httpStatus = 500;
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export class BadRequestError extends AirlockError {
  static override readonly code = 'AIRLOCK_BAD_REQUEST';
  override readonly httpStatus = 400;
  override readonly sqlstate = '08P01';
}

export class PayloadTooLargeError extends AirlockError {
  static override readonly code = 'AIRLOCK_PAYLOAD_TOO_LARGE';
  override readonly httpStatus = 413;
  override readonly sqlstate = '54000';
}

export class NotFoundError extends AirlockError {
  static override readonly code = 'AIRLOCK_NOT_FOUND';
  override readonly httpStatus = 404;
}

export class MethodNotAllowedError extends AirlockError {
  static override readonly code = 'AIRLOCK_METHOD_NOT_ALLOWED';
  override readonly httpStatus = 405;
}

/** Missing credentials. */
export class UnauthenticatedError extends AirlockError {
  static override readonly code = 'AIRLOCK_UNAUTHENTICATED';
  override readonly httpStatus = 401;
  override readonly sqlstate = '28000';
}

export type TokenRejection =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old'
  | 'bad_signature'
  | 'unknown_key'
  | 'algorithm_not_allowed'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'keys_unavailable';

/** A presented token was rejected; `reason` is safe to show to its holder. */
export class TokenInvalidError extends AirlockError {
  static override readonly code = 'AIRLOCK_TOKEN_INVALID';
  override readonly httpStatus = 401;
  override readonly sqlstate = '28P01';
  constructor(
    readonly reason: TokenRejection,
    message: string,
  ) {
    super(message);
  }
}

export class ForbiddenError extends AirlockError {
  static override readonly code = 'AIRLOCK_FORBIDDEN';
  override readonly httpStatus = 403;
  override readonly sqlstate = '42501';
}

export class RevokedError extends AirlockError {
  static override readonly code = 'AIRLOCK_REVOKED';
  override readonly httpStatus = 403;
  override readonly sqlstate = '28000';
}

export class SourceBlockedError extends AirlockError {
  static override readonly code = 'AIRLOCK_SOURCE_BLOCKED';
  override readonly httpStatus = 403;
  override readonly sqlstate = '28000';
}

export class UnknownTargetError extends AirlockError {
  static override readonly code = 'AIRLOCK_UNKNOWN_TARGET';
  override readonly httpStatus = 404;
  override readonly sqlstate = '3D000';
}

export class ApprovalNotFoundError extends AirlockError {
  static override readonly code = 'AIRLOCK_APPROVAL_NOT_FOUND';
  override readonly httpStatus = 404;
}

/** The request is no longer pending (decided, expired, withdrawn). */
export class ApprovalClosedError extends AirlockError {
  static override readonly code = 'AIRLOCK_APPROVAL_CLOSED';
  override readonly httpStatus = 409;
}

export class SelfApprovalError extends AirlockError {
  static override readonly code = 'AIRLOCK_SELF_APPROVAL';
  override readonly httpStatus = 403;
}

export class NotAnApproverError extends AirlockError {
  static override readonly code = 'AIRLOCK_NOT_AN_APPROVER';
  override readonly httpStatus = 403;
}

export class AlreadyDecidedError extends AirlockError {
  static override readonly code = 'AIRLOCK_ALREADY_DECIDED';
  override readonly httpStatus = 409;
}

/** A decision named a different action hash than the held action's. */
export class ActionMismatchError extends AirlockError {
  static override readonly code = 'AIRLOCK_ACTION_MISMATCH';
  override readonly httpStatus = 409;
}

export class MfaRequiredError extends AirlockError {
  static override readonly code = 'AIRLOCK_MFA_REQUIRED';
  override readonly httpStatus = 401;
}

/** Policy asks for step-up and the request carries none (HTTP answers 401 with an RFC 9470 challenge). */
export class StepUpRequiredError extends AirlockError {
  static override readonly code = 'AIRLOCK_STEP_UP_REQUIRED';
  override readonly httpStatus = 401;
  override readonly sqlstate = '28000';
}

/** The action waits for a decision that the client chose not to wait for (HTTP `Prefer: respond-async`: 202). */
export class ApprovalPendingError extends AirlockError {
  static override readonly code = 'AIRLOCK_APPROVAL_PENDING';
  override readonly httpStatus = 202;
  override readonly sqlstate = '57014';
}

export class MfaInvalidError extends AirlockError {
  static override readonly code = 'AIRLOCK_MFA_INVALID';
  override readonly httpStatus = 401;
}

export class MfaReplayError extends AirlockError {
  static override readonly code = 'AIRLOCK_MFA_REPLAYED';
  override readonly httpStatus = 401;
}

export class MfaNotEnrolledError extends AirlockError {
  static override readonly code = 'AIRLOCK_MFA_NOT_ENROLLED';
  override readonly httpStatus = 409;
  override readonly sqlstate = '28000';
}

export class StepUpNotConfiguredError extends AirlockError {
  static override readonly code = 'AIRLOCK_STEP_UP_NOT_CONFIGURED';
  override readonly httpStatus = 403;
  override readonly sqlstate = '42501';
}

export class RateLimitedError extends AirlockError {
  static override readonly code = 'AIRLOCK_RATE_LIMITED';
  override readonly httpStatus = 429;
  override readonly sqlstate = '53400';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class StoreUnavailableError extends AirlockError {
  static override readonly code = 'AIRLOCK_STORE_UNAVAILABLE';
  override readonly httpStatus = 503;
  override readonly sqlstate = '57P03';
}

export class ProtocolUnsupportedError extends AirlockError {
  static override readonly code = 'AIRLOCK_PROTOCOL_UNSUPPORTED';
  override readonly httpStatus = 501;
}

/** A cancelled or timed-out action (SQLSTATE 57014 in PostgreSQL). */
export class CancelledError extends AirlockError {
  static override readonly code = 'AIRLOCK_CANCELLED';
  override readonly httpStatus = 408;
  override readonly sqlstate = '57014';
}

export class ShuttingDownError extends AirlockError {
  static override readonly code = 'AIRLOCK_SHUTTING_DOWN';
  override readonly httpStatus = 503;
  override readonly sqlstate = '57P01';
}

export class UpstreamError extends AirlockError {
  static override readonly code = 'AIRLOCK_UPSTREAM_UNAVAILABLE';
  override readonly httpStatus = 502;
  override readonly sqlstate = '08006';
}

/** A session recording file is not asciicast v2 as Airlock writes it (`airlock replay`). */
export class RecordingInvalidError extends AirlockError {
  static override readonly code = 'AIRLOCK_RECORDING_INVALID';
  override readonly httpStatus = 400;
}

export class InternalError extends AirlockError {
  static override readonly code = 'AIRLOCK_INTERNAL';
  override readonly httpStatus = 500;
  override readonly clientSafe = false;
}

/** Documentation of every code; a test checks every class is listed once. */
export const ERROR_CODES: Readonly<Record<string, string>> = {
  AIRLOCK_CONFIG_INVALID: 'The configuration failed validation; every problem names its YAML path and line.',
  AIRLOCK_BAD_REQUEST: 'The request or message is malformed.',
  AIRLOCK_PAYLOAD_TOO_LARGE: 'The request body or protocol frame exceeds the configured maximum.',
  AIRLOCK_NOT_FOUND: 'No such route or resource.',
  AIRLOCK_METHOD_NOT_ALLOWED: 'The route exists but not for this method.',
  AIRLOCK_UNAUTHENTICATED: 'No credentials were presented.',
  AIRLOCK_TOKEN_INVALID: 'The presented JWT was rejected (the reason says why: expired, wrong audience, unknown key, ...).',
  AIRLOCK_FORBIDDEN: 'Policy denied the action, or the caller lacks the role for this call.',
  AIRLOCK_REVOKED: 'The principal, device or token has been revoked.',
  AIRLOCK_SOURCE_BLOCKED: 'The source network is temporarily blocked after repeated failures.',
  AIRLOCK_UNKNOWN_TARGET: 'The requested target is not configured.',
  AIRLOCK_APPROVAL_NOT_FOUND: 'No approval request with that id (or it expired long ago).',
  AIRLOCK_APPROVAL_CLOSED: 'The approval request is no longer pending.',
  AIRLOCK_SELF_APPROVAL: 'A requester can never decide their own request.',
  AIRLOCK_NOT_AN_APPROVER: 'The caller is not in any approver group of this request.',
  AIRLOCK_ALREADY_DECIDED: 'This approver already decided this request.',
  AIRLOCK_ACTION_MISMATCH: 'The decision names a different action hash than the held action.',
  AIRLOCK_MFA_REQUIRED: 'A second factor code is required for this call.',
  AIRLOCK_STEP_UP_REQUIRED: 'Policy asks the requester for step-up: retry with a step-up token from POST /v1/stepup (HTTP: the Airlock-Step-Up header).',
  AIRLOCK_APPROVAL_PENDING: 'The request waits for approval; retry with its id (HTTP: the Airlock-Approval header) once it is approved.',
  AIRLOCK_MFA_INVALID: 'The second factor code is wrong or outside the allowed window.',
  AIRLOCK_MFA_REPLAYED: 'The second factor code was already used.',
  AIRLOCK_MFA_NOT_ENROLLED: 'The caller has no active second factor.',
  AIRLOCK_STEP_UP_NOT_CONFIGURED: 'Policy asks for step-up but no second factor method is configured.',
  AIRLOCK_RATE_LIMITED: 'Too many attempts; retry after the given number of seconds.',
  AIRLOCK_STORE_UNAVAILABLE: 'The approval store is unreachable; risky actions are denied until it returns.',
  AIRLOCK_PROTOCOL_UNSUPPORTED: 'The protocol is not available in this build or configuration.',
  AIRLOCK_CANCELLED: 'The held action was cancelled by the client or timed out waiting for a decision.',
  AIRLOCK_SHUTTING_DOWN: 'The sidecar is restarting; retry.',
  AIRLOCK_UPSTREAM_UNAVAILABLE: 'The upstream could not be reached or rejected Airlock.',
  AIRLOCK_RECORDING_INVALID: 'A session recording is not a well-formed asciicast v2 file (the message names the line).',
  AIRLOCK_INTERNAL: 'An internal error; details are in the server log only.',
};

/** Turns anything thrown into an AirlockError that is safe to show. */
export function toClientError(err: unknown): AirlockError {
  if (err instanceof AirlockError && err.clientSafe) return err;
  return new InternalError('internal error');
}
