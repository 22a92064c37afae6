import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { AirlockConfig } from '../config/schema.js';

export type RedisConfig = NonNullable<AirlockConfig['store']['redis']>;
export type RedisClient = Redis | Cluster;
export type RespVersion = 2 | 3;

/** Reconnect quickly and forever: the store must come back without a restart. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 5), 1000) + Math.floor(Math.random() * 50);
}

function parseHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}

function tlsOptions(config: RedisConfig): ConnectionOptions | undefined {
  const wantsTls = config.tls || config.url?.startsWith('rediss://') === true;
  if (!wantsTls) return undefined;
  return config.ca_file ? { ca: readFileSync(config.ca_file) } : {};
}

/**
 * Options shared by every connection. Fail fast is the point: no offline
 * queue (a call while disconnected rejects at once), no retry or resend of a
 * command after a reconnect (an INCR or a vote must never run twice behind
 * the caller's back), and every command bounded by command_timeout.
 */
function commonOptions(config: RedisConfig, protocol: RespVersion, name: string): RedisOptions {
  const tls = tlsOptions(config);
  return {
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(tls ? { tls } : {}),
    protocol,
    connectionName: name,
    commandTimeout: config.command_timeout,
    connectTimeout: Math.max(config.command_timeout * 4, 1000),
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    autoResubscribe: true,
  };
}

/** Builds one ioredis client (standalone, Sentinel or Cluster) from the store config. */
export function createRedisClient(config: RedisConfig, options: { protocol: RespVersion; name: string }): RedisClient {
  const common = commonOptions(config, options.protocol, options.name);
  switch (config.mode) {
    case 'cluster': {
      const nodes: ClusterNode[] = config.nodes.map(parseHostPort);
      const { tls, ...redisOptions } = common;
      return new Cluster(nodes, {
        redisOptions: { ...redisOptions, ...(tls ? { tls } : {}) },
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: Math.max(config.command_timeout, 1000),
        maxRedirections: 4,
      });
    }
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: config.nodes.map(parseHostPort),
        name: config.sentinel_name,
        // Sentinels are reached without credentials: the config's ACL user is the data nodes'.
        ...(common.tls ? { enableTLSForSentinelMode: true } : {}),
        sentinelRetryStrategy: reconnectDelay,
        retryStrategy: reconnectDelay,
      });
    case 'standalone':
      return config.url
        ? new Redis(config.url, { ...common, retryStrategy: reconnectDelay })
        : new Redis({ ...common, retryStrategy: reconnectDelay });
  }
}

/** True when the client can take commands now. */
export function isReady(client: RedisClient): boolean {
  return client.status === 'ready';
}
