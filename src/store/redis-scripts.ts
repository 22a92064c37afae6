import type { RedisClient } from './redis-connection.js';

// Every read-modify-write runs as one Lua script so it is atomic on the
// server, whichever replica sends it. Each script touches keys of one hash
// slot only (cluster-safe). Scripts return RESP2-shaped values (integers and
// flat arrays), which ioredis delivers identically under RESP2 and RESP3.

/** One approval = one hash: record, status, resolution, nvotes, a:<approver> -> n, v:<n> -> vote. */
const ADD_VOTE = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0} end
if status ~= 'pending' then return {1, redis.call('HGETALL', KEYS[1])} end
if redis.call('HEXISTS', KEYS[1], 'a:' .. ARGV[1]) == 1 then return {1, redis.call('HGETALL', KEYS[1])} end
local n = redis.call('HINCRBY', KEYS[1], 'nvotes', 1)
redis.call('HSET', KEYS[1], 'a:' .. ARGV[1], n, 'v:' .. n, ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {2, redis.call('HGETALL', KEYS[1])}
`;

const TRANSITION = `
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return {0} end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'resolution', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, redis.call('HGETALL', KEYS[1])}
`;

// ARGV: record, ttl, channel, id, status, resolution ('' = none), then approver/vote pairs.
const CREATE_APPROVAL = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'status', ARGV[5], 'nvotes', 0)
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'resolution', ARGV[6]) end
local n = 0
for i = 7, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], 'a:' .. ARGV[i], n + 1) == 1 then
    n = n + 1
    redis.call('HSET', KEYS[1], 'v:' .. n, ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], 'nvotes', n)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

const RAISE_HIGH_WATER = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(ARGV[1]) <= tonumber(current) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

// The PTTL check repairs a counter left without expiry (it would never reset).
const HIT_COUNTER = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

const RECORD_EVENT = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const SCRIPTS = {
  airlockAddVote: ADD_VOTE,
  airlockTransition: TRANSITION,
  airlockCreateApproval: CREATE_APPROVAL,
  airlockRaiseHighWater: RAISE_HIGH_WATER,
  airlockHitCounter: HIT_COUNTER,
  airlockRecordEvent: RECORD_EVENT,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (key: string, ...args: (string | number)[]) => Promise<unknown>;

/** Registers the scripts (ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT). */
export function defineScripts(client: RedisClient): void {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 1, lua });
}

/** The one place where the dynamically defined commands are typed. */
export function runScript(client: RedisClient, name: ScriptName, key: string, ...args: (string | number)[]): Promise<unknown> {
  const call = (client as unknown as Record<ScriptName, ScriptCall>)[name];
  return call.call(client, key, ...args);
}
