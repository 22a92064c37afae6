import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isOpenStatus, type ApprovalRecord, type ApprovalStatus, type Resolution, type Vote } from '../model/approval-record.js';
import { StoreUnavailableError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { baseRecordJson, decodeApprovalFields, fieldsFromPairs, initialFieldArgs } from './redis-approval.js';
import { createRedisClient, isReady, type RedisClient, type RedisConfig, type RespVersion } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { defineScripts, runScript } from './redis-scripts.js';
import { RedisSubscriber } from './redis-subscriber.js';
import type { Store, Unsubscribe } from './store.js';

export interface RedisStoreOptions {
  readonly config: RedisConfig;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** RESP version; 2 by default (both are supported and tested). */
  readonly protocol?: RespVersion;
  /** Shown in CLIENT LIST, for diagnostics. */
  readonly replica?: string;
  /** How long `open` waits for the first connection before returning a store that fails closed. */
  readonly startupWaitMs?: number;
  /** Told of every failed operation (for the store.error event and metric). */
  readonly onError?: (operation: string, err: unknown) => void;
}

const UNAVAILABLE = 'approval store unavailable';
/** Grace on top of command_timeout so ioredis' own, more precise error usually wins. */
const DEADLINE_GRACE_MS = 50;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly client: RedisClient;
  private readonly subClient: RedisClient;
  private readonly subscriber: RedisSubscriber;
  private readonly keys: RedisKeys;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly onError: ((operation: string, err: unknown) => void) | undefined;
  private readonly deadlineMs: number;
  private healthy = true;
  private closed = false;

  /** Connects and waits (bounded) for Redis; never rejects for an outage, the store then fails closed. */
  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    await store.waitUntilReady(options.startupWaitMs ?? Math.max(options.config.command_timeout * 4, 2000));
    return store;
  }

  constructor(options: RedisStoreOptions) {
    const protocol = options.protocol ?? 2;
    const name = `airlock-${options.replica ?? 'replica'}`;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.onError = options.onError;
    this.keys = new RedisKeys(options.config.key_prefix);
    this.deadlineMs = options.config.command_timeout + DEADLINE_GRACE_MS;
    this.client = createRedisClient(options.config, { protocol, name });
    this.subClient = createRedisClient(options.config, { protocol, name: `${name}-sub` });
    defineScripts(this.client);
    for (const [role, client] of [['command', this.client], ['subscriber', this.subClient]] as const) {
      // Without a listener ioredis prints every connection error to the console.
      client.on('error', (err: Error) => {
        // Credentials and permissions never fix themselves: say so loudly.
        if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(err.message)) this.logger?.error({ err, role }, 'redis rejected the store credentials');
        else this.logger?.debug({ err, role }, 'redis connection error');
      });
    }
    this.subscriber = new RedisSubscriber(
      this.subClient,
      () => this.subscriber.wake((channel) => this.keys.isApprovalChannel(channel), 'resubscribed'),
      this.logger,
    );
  }

  // --- approvals -------------------------------------------------------------

  async createApproval(record: ApprovalRecord, ttlMs: number): Promise<void> {
    const key = this.keys.approval(record.id);
    await this.run('createApproval', async () => {
      await runScript(this.client, 'airlockCreateApproval', key, baseRecordJson(record), ttlMs,
        this.keys.approvalChannel(record.id), record.id, ...initialFieldArgs(record));
      // The index lives in another slot, so it is written second: a listed id
      // always has its record, unless that record has expired since.
      const now = this.clock.now();
      await this.client.zadd(this.keys.index(), String(now + ttlMs), record.id);
      await this.client.zremrangebyscore(this.keys.index(), '-inf', now);
      if (isOpenStatus(record.status)) await this.client.zadd(this.keys.openIndex(), String(now + ttlMs), record.id);
    });
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    return this.run('getApproval', async () => decodeApprovalFields(await this.client.hgetall(this.keys.approval(id))));
  }

  async listApprovals(): Promise<ApprovalRecord[]> {
    return this.run('listApprovals', () => this.readIndexed(this.keys.index(), () => true));
  }

  async listOpenApprovals(): Promise<ApprovalRecord[]> {
    // A transition closes the record first and drops the id second; a replica that died in
    // between leaves the id behind, so closed records are dropped here too.
    return this.run('listOpenApprovals', () => this.readIndexed(this.keys.openIndex(), (r) => isOpenStatus(r.status)));
  }

  /** The records an index lists that `keep` accepts, newest first; expired, vanished and rejected ids leave the index. */
  private async readIndexed(index: string, keep: (record: ApprovalRecord) => boolean): Promise<ApprovalRecord[]> {
    await this.client.zremrangebyscore(index, '-inf', this.clock.now());
    const ids = await this.client.zrange(index, '0', '-1');
    // One command per id (not a pipeline): in a cluster the ids live in different slots.
    const records = await Promise.all(ids.map(async (id) => decodeApprovalFields(await this.client.hgetall(this.keys.approval(id)))));
    const dropped = ids.filter((_, i) => records[i] === null || !keep(records[i]!));
    if (dropped.length > 0) await this.client.zrem(index, ...dropped);
    return records.filter((r): r is ApprovalRecord => r !== null && keep(r)).sort(newestFirst);
  }

  async addVote(id: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord | null }> {
    return this.run('addVote', async () => {
      const reply = await runScript(this.client, 'airlockAddVote', this.keys.approval(id), vote.approver,
        JSON.stringify(vote), this.keys.approvalChannel(id), id);
      const [code, pairs] = reply as [number, unknown?];
      return { added: code === 2, record: code === 0 ? null : decodeApprovalFields(fieldsFromPairs(pairs)) };
    });
  }

  async transitionApproval(id: string, from: ApprovalStatus, to: ApprovalStatus, resolution: Resolution): Promise<ApprovalRecord | null> {
    return this.run('transitionApproval', async () => {
      const reply = await runScript(this.client, 'airlockTransition', this.keys.approval(id), from, to,
        JSON.stringify(resolution), this.keys.approvalChannel(id), id);
      const [code, pairs] = reply as [number, unknown?];
      if (code !== 1) return null;
      // The open index lives in another slot, so it is updated after the record, and only as a
      // hint: the transition has happened whatever this does, and listOpenApprovals drops closed ids.
      if (!isOpenStatus(to)) void this.client.zrem(this.keys.openIndex(), id).catch(() => undefined);
      return decodeApprovalFields(fieldsFromPairs(pairs));
    });
  }

  async watchApproval(id: string, onChange: () => void): Promise<Unsubscribe> {
    return this.listen('watchApproval', this.keys.approvalChannel(id), () => onChange());
  }

  // --- small primitives ------------------------------------------------------

  async getValue(key: string): Promise<string | null> {
    return this.run('getValue', () => this.client.get(this.keys.value(key)));
  }

  async setValue(key: string, value: string, options: { ttlMs?: number; ifAbsent?: boolean } = {}): Promise<boolean> {
    return this.run('setValue', async () => {
      const k = this.keys.value(key);
      const { ttlMs, ifAbsent } = options;
      let reply: string | null;
      if (ttlMs !== undefined && ifAbsent) reply = await this.client.set(k, value, 'PX', ttlMs, 'NX');
      else if (ttlMs !== undefined) reply = await this.client.set(k, value, 'PX', ttlMs);
      else if (ifAbsent) reply = await this.client.set(k, value, 'NX');
      else reply = await this.client.set(k, value);
      return reply === 'OK';
    });
  }

  async deleteValue(key: string): Promise<void> {
    await this.run('deleteValue', () => this.client.del(this.keys.value(key)));
  }

  async raiseHighWater(key: string, value: number, ttlMs: number): Promise<boolean> {
    return this.run('raiseHighWater', async () => (await runScript(this.client, 'airlockRaiseHighWater', this.keys.value(key), value, ttlMs)) === 1);
  }

  async hitCounter(key: string, windowMs: number): Promise<number> {
    return this.run('hitCounter', async () => Number(await runScript(this.client, 'airlockHitCounter', this.keys.value(key), windowMs)));
  }

  async recordEvent(key: string, at: number, ttlMs: number): Promise<void> {
    // A unique member per event: two events at the same millisecond both count.
    await this.run('recordEvent', () => runScript(this.client, 'airlockRecordEvent', this.keys.events(key), at, `${at}:${randomUUID()}`, ttlMs));
  }

  async countEvents(key: string, since: number): Promise<number> {
    return this.run('countEvents', () => this.client.zcount(this.keys.events(key), since, '+inf'));
  }

  async addToSet(key: string, member: string): Promise<void> {
    await this.run('addToSet', () => this.client.sadd(this.keys.set(key), member));
  }

  async removeFromSet(key: string, member: string): Promise<void> {
    await this.run('removeFromSet', () => this.client.srem(this.keys.set(key), member));
  }

  async setMembers(key: string): Promise<string[]> {
    return this.run('setMembers', () => this.client.smembers(this.keys.set(key)));
  }

  // --- replicas --------------------------------------------------------------

  async publish(topic: string, message: string): Promise<void> {
    await this.run('publish', () => this.client.publish(this.keys.topic(topic), message));
  }

  async subscribe(topic: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    return this.listen('subscribe', this.keys.topic(topic), onMessage);
  }

  async ping(): Promise<void> {
    await this.run('ping', async () => {
      // Without the subscriber connection no replica could wake our watchers.
      if (!isReady(this.subClient)) throw new Error('subscriber connection not ready');
      await this.client.ping();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.disconnect();
    this.subClient.disconnect();
  }

  // --- internals -------------------------------------------------------------

  private async listen(what: string, channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    const adding = this.subscriber.add(channel, handler);
    try {
      return await this.run(what, () => adding);
    } catch (err) {
      // Past the deadline the caller got an error; a late confirmation must not leave the handler behind.
      adding.then((off) => off(), () => undefined);
      throw err;
    }
  }

  /**
   * Every call goes through here: bounded by command_timeout even if ioredis
   * would wait (cluster slot refresh, a hung server), and any failure becomes
   * StoreUnavailableError so callers fail closed.
   */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('approval store closed');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${this.deadlineMs} ms`)), this.deadlineMs);
    });
    const attempt = op();
    attempt.catch(() => undefined); // may settle after the deadline; nobody waits then
    try {
      const result = await Promise.race([attempt, deadline]);
      if (!this.healthy) {
        this.healthy = true;
        this.logger?.info('approval store reachable again');
      }
      return result;
    } catch (err) {
      if (err instanceof TypeError) throw err; // our bug or caller misuse, not an outage
      this.onError?.(what, err);
      if (this.healthy) {
        this.healthy = false;
        this.logger?.warn({ err, op: what }, 'approval store unavailable; risky actions are denied until it returns');
      }
      throw new StoreUnavailableError(UNAVAILABLE, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const ready = (client: RedisClient) =>
      isReady(client) ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all([ready(this.client), ready(this.subClient)]), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.healthy = false;
      this.logger?.warn({ timeoutMs }, 'approval store not reachable at startup; risky actions are denied until it is');
    }
  }
}

function newestFirst(a: ApprovalRecord, b: ApprovalRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
