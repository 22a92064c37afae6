import type { ControlRoutes } from './control-server.js';

export interface HealthSources {
  /** Resolves true when every dependency needed for decisions is reachable. */
  readonly ready: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
}

export function healthRoutes(sources: HealthSources): ControlRoutes {
  return (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const { ready, checks } = await sources.ready();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'degraded', checks });
    });
    if (sources.metrics) {
      const render = sources.metrics;
      app.get('/metrics', async (_request, reply) => {
        const { contentType, body } = await render();
        return reply.type(contentType).send(body);
      });
    }
  };
}
