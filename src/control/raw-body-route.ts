import type { ControlRoutes } from './control-server.js';
import type { RawBodyHandler } from './slack-interactivity.js';

/**
 * Mounts a handler that needs the exact bytes it was sent (HMAC signatures
 * over the body): inside its own scope every body is kept as a Buffer.
 */
export function rawBodyRoute(path: string, handler: RawBodyHandler): ControlRoutes {
  return (app) => {
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      scope.post(path, async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await handler(body, request.headers, { source: request.ip });
        void reply.code(result.status);
        for (const [name, value] of Object.entries(result.headers ?? {})) void reply.header(name, value);
        return reply.send(result.body);
      });
    });
  };
}
