import type { FastifyReply } from 'fastify';
import { AirlockError, BadRequestError, NotFoundError, PayloadTooLargeError, toClientError } from '../errors.js';

/** RFC 9457 problem details with Airlock's stable code. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly retry_after?: number;
}

export function toProblem(error: AirlockError): Problem {
  return {
    type: `urn:airlock:error:${error.code}`,
    title: error.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1 $2'),
    status: error.httpStatus,
    code: error.code,
    detail: error.message,
    ...('retryAfterSeconds' in error ? { retry_after: (error as { retryAfterSeconds: number }).retryAfterSeconds } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: AirlockError): FastifyReply {
  const problem = toProblem(error);
  if (problem.retry_after !== undefined) void reply.header('retry-after', String(problem.retry_after));
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Maps fastify's own errors (bad JSON, body too large, ...) into the one error list. */
export function fromFrameworkError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return toClientError(err);
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) return new PayloadTooLargeError('request body too large');
  if (e.code === 'FST_ERR_NOT_FOUND') return new NotFoundError('no such route');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new BadRequestError(e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported content type' : 'malformed request');
  }
  return toClientError(err);
}
