import type { Logger } from 'pino';
import type { HttpClassifier } from '../../classifiers/http/index.js';
import type { HttpListenerConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import type { TargetRouter } from './target-router.js';
import type { UpstreamClient } from './upstream-client.js';

/** What every request of the HTTP proxy shares. */
export interface HttpProxyContext {
  readonly config: HttpListenerConfig;
  readonly gate: Gate;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  readonly router: TargetRouter;
  readonly upstreams: ReadonlyMap<string, UpstreamClient>;
  readonly classifiers: ReadonlyMap<string, HttpClassifier>;
  /** Base URL of the control API: approval pages and the step-up endpoint. */
  readonly publicUrl: string;
  readonly counters: HttpProxyCounters;
}

export interface HttpProxyCounters {
  requests: number;
  refused: number;
  held: number;
  forwarded: number;
  upstreamErrors: number;
}

