import { z } from 'zod';
import { duration } from '../duration.js';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

export const redisSchema = z.strictObject({
  mode: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone'),
  url: z.string().optional().describe('redis:// or rediss:// URL (standalone).'),
  nodes: z.array(hostPort).default([]).describe('Cluster seed nodes, or Sentinel addresses in sentinel mode.'),
  sentinel_name: z.string().default('mymaster').describe('Master group name in sentinel mode.'),
  username: z.string().optional().describe('ACL user.'),
  password: z.string().optional().describe('ACL password (or password_file, or AIRLOCK_REDIS_PASSWORD).'),
  tls: z.boolean().default(false),
  ca_file: z.string().optional(),
  key_prefix: z.string().default('airlock:').describe('Prefix of every key, one per deployment.'),
  command_timeout: duration('500ms').describe('A command slower than this counts as an outage: risky actions are denied.'),
});

export const storeSchema = z
  .strictObject({
    kind: z.enum(['memory', 'redis']).default('memory').describe('memory for one replica; redis for several.'),
    redis: redisSchema.optional(),
  })
  .prefault({});
