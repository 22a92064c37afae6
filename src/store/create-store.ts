import type { Logger } from 'pino';
import type { AirlockConfig } from '../config/schema.js';
import type { Clock } from '../time/clock.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

export interface StoreDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** This replica's name, shown in Redis CLIENT LIST. */
  readonly replica?: string;
  /** Told of every failed store operation. */
  readonly onError?: (operation: string, err: unknown) => void;
}

/**
 * The store the configuration asks for. A Redis store is returned even when
 * Redis is down at startup: it fails closed until Redis is reachable.
 */
export async function createStore(config: AirlockConfig['store'], deps: StoreDeps = {}): Promise<Store> {
  if (config.kind === 'memory') {
    return new MemoryStore({ ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.logger ? { logger: deps.logger } : {}) });
  }
  if (!config.redis) throw new TypeError('store.kind is redis but store.redis is missing');
  // Loaded only when asked for: ioredis is a fifth of the start-up of a memory-store sidecar.
  const { RedisStore } = await import('./redis-store.js');
  return RedisStore.open({
    config: config.redis,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.replica ? { replica: deps.replica } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
}
