import { pino } from 'pino';
import { ApprovalBroker } from '../../src/approvals/broker.js';
import { EventBus, type AirlockEvent } from '../../src/audit/events.js';
import { parseConfig } from '../../src/config/load.js';
import { createAction, type Action, type Classification } from '../../src/model/action.js';
import type { Principal } from '../../src/model/principal.js';
import type { RiskLevel } from '../../src/model/risk-level.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { systemClock, type Clock } from '../../src/time/clock.js';

export const silentLogger = pino({ level: 'silent' });

export function principal(subject: string, groups: string[] = [], extra: Partial<Principal> = {}): Principal {
  return { subject, groups, authMethods: ['pwd'], issuer: 'test', expiresAt: Date.now() + 3_600_000, ...extra };
}

export function classification(risk: RiskLevel, kinds: string[] = ['select'], flags: string[] = [], objects: string[] = []): Classification {
  return { risk, facts: { kinds, objects, flags } };
}

export function action(who: Principal, command: string, risk: RiskLevel, extra: { kinds?: string[]; sessionId?: string; reason?: string } = {}): Action {
  return createAction({
    principal: who,
    protocol: 'postgres',
    target: 'db',
    sessionId: extra.sessionId ?? 's1',
    source: '127.0.0.1',
    command,
    classification: classification(risk, extra.kinds ?? ['drop']),
    ...(extra.reason ? { reason: extra.reason } : {}),
  });
}

export function testConfig(yaml = '') {
  return parseConfig(yaml, 'test', {});
}

export interface CoreHarness {
  store: MemoryStore;
  bus: EventBus;
  events: AirlockEvent[];
  broker: ApprovalBroker;
  close(): Promise<void>;
}

export function coreHarness(options: { clock?: Clock; secondFactor?: ApprovalBroker extends never ? never : ConstructorParameters<typeof ApprovalBroker>[0]['secondFactor'] } = {}): CoreHarness {
  const clock = options.clock ?? systemClock;
  const store = new MemoryStore({ clock });
  const bus = new EventBus();
  const events: AirlockEvent[] = [];
  bus.on((e) => events.push(e));
  const broker = new ApprovalBroker({
    store,
    channels: [],
    bus,
    clock,
    logger: silentLogger,
    replicaId: 'test',
    retentionMs: 60_000,
    pollIntervalMs: 50,
    ...(options.secondFactor ? { secondFactor: options.secondFactor } : {}),
  });
  return {
    store,
    bus,
    events,
    broker,
    async close() {
      broker.close();
      await store.close();
    },
  };
}
