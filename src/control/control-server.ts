import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AirlockConfig } from '../config/schema.js';
import { NotFoundError } from '../errors.js';
import { fromFrameworkError, sendProblem } from './problem.js';

/** A group of routes registered by one part (approvals, health, TOTP, Slack, ...). */
export type ControlRoutes = (app: FastifyInstance) => void;

export interface ControlServerOptions {
  readonly config: AirlockConfig['control'];
  readonly logger: Logger;
  readonly routes: readonly ControlRoutes[];
}

/**
 * Routes here validate their input in the handler (zod, problem errors), never
 * with JSON schemas, so Fastify's schema compilers (ajv and
 * fast-json-stringify, a sixth of start-up) are never loaded: a route that
 * declares a schema is a programming error, refused at registration.
 */
const NO_SCHEMA_COMPILERS = {
  buildValidator: () => () => {
    throw new TypeError('control routes validate in their handlers; JSON schemas are not compiled');
  },
  buildSerializer: () => () => {
    throw new TypeError('control routes serialise their own answers; response schemas are not compiled');
  },
};

/** The control HTTP API: every error is a JSON problem with a stable code. */
export function createControlServer(options: ControlServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'control' }) as FastifyBaseLogger,
    // Request lines are not logged: approvals and decisions are audited instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.config.max_body_bytes,
    // Engineers' tools send JSON; Slack sends forms. Anything else is refused.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: true,
    schemaController: { compilersFactory: NO_SCHEMA_COMPILERS },
  });
  // Slack and webhook signatures are over the raw body: keep it as a Buffer.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    const error = fromFrameworkError(err);
    if (error.httpStatus >= 500) request.log.error({ err }, 'control API error');
    return sendProblem(reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`)));
  const instance = app as unknown as FastifyInstance;
  for (const register of options.routes) register(instance);
  return instance;
}
