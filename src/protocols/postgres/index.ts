export { createPostgresProxy, type PostgresProxy, type PostgresProxyDeps } from './postgres-proxy.js';
export type { PostgresProxyStats } from './proxy-stats.js';

