import { ApprovalBroker } from '../../../src/approvals/broker.js';
import { EventBus, type AirlockEvent, type EventType } from '../../../src/audit/events.js';
import type { AirlockConfig } from '../../../src/config/schema.js';
import { createAction, type Action } from '../../../src/model/action.js';
import { AirlockGate } from '../../../src/gate/airlock-gate.js';
import { SessionRegistry, type LiveSession } from '../../../src/gate/session-registry.js';
import type { StepUpGrants } from '../../../src/gate/step-up-grants.js';
import type { Principal } from '../../../src/model/principal.js';
import { PolicyEngine } from '../../../src/policy/policy-engine.js';
import type { RiskLevel } from '../../../src/model/risk-level.js';
import { BypassRules } from '../../../src/risk/bypass-rules.js';
import { Revocations } from '../../../src/risk/revocations.js';
import { RiskAdmission } from '../../../src/risk/risk-admission.js';
import { RiskSignals } from '../../../src/risk/risk-signals.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Store } from '../../../src/store/store.js';
import { ManualClock } from '../../../src/time/clock.js';
import { classification, silentLogger, testConfig } from '../../support/core-fixtures.js';

/** Monday 5 January 2026, 09:00 UTC (10:00 in Berlin). */
export const MONDAY_9_UTC = Date.UTC(2026, 0, 5, 9, 0);

export function person(subject: string, groups: string[] = [], extra: Partial<Principal> = {}): Principal {
  return { subject, groups, authMethods: ['pwd'], issuer: 'test', expiresAt: Number.MAX_SAFE_INTEGER, ...extra };
}

export function act(who: Principal, risk: RiskLevel, extra: { sessionId?: string; source?: string; command?: string } = {}): Action {
  return createAction({
    principal: who,
    protocol: 'postgres',
    target: 'db',
    sessionId: extra.sessionId ?? 's1',
    source: extra.source ?? '10.1.2.3',
    command: extra.command ?? `-- a ${risk} statement`,
    classification: classification(risk, ['update']),
  });
}

/** A live session that records what it was told. */
export class FakeSession implements LiveSession {
  readonly terminated: string[] = [];
  readonly protocol = 'postgres' as const;
  readonly target = 'db';
  readonly startedAt = 0;
  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly source = '10.1.2.3',
  ) {}
  terminate(reason: string): void {
    this.terminated.push(reason);
  }
}

/** One replica: its own bus, sessions and risk parts, over a (possibly shared) store. */
export interface Replica {
  readonly config: AirlockConfig;
  readonly store: Store;
  readonly bus: EventBus;
  readonly events: AirlockEvent[];
  readonly broker: ApprovalBroker;
  readonly sessions: SessionRegistry;
  readonly signals: RiskSignals;
  readonly revocations: Revocations;
  readonly admission: RiskAdmission;
  readonly bypass: BypassRules;
  readonly gate: AirlockGate;
  /** Lets the gate's verifier hand out a chosen principal (or reject). */
  verify: (token: string) => Promise<Principal>;
  eventsOf(type: EventType): AirlockEvent[];
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** A step-up second factor that never covers anything, so the gate reaches bypass rules and holds. */
const noGrants: StepUpGrants = { issue: async () => undefined, covers: async () => false };

export async function startReplica(options: { clock: ManualClock; store: MemoryStore; yaml?: string; name?: string; withGrants?: boolean }): Promise<Replica> {
  const { clock, store } = options;
  const config = testConfig(options.yaml ?? 'approvals: { timeout: 5s }');
  const bus = new EventBus();
  const events: AirlockEvent[] = [];
  bus.on((e) => events.push(e));
  const broker = new ApprovalBroker({ store, channels: [], bus, clock, logger: silentLogger, replicaId: options.name ?? 'a', retentionMs: 60_000, pollIntervalMs: 20 });
  const sessions = new SessionRegistry();
  const signals = new RiskSignals({ store, bus, clock, logger: silentLogger, config: config.risk });
  const revocations = new Revocations({ store, bus, sessions, broker, clock, logger: silentLogger, defaultTtlMs: config.risk.revocation_ttl, reconcileIntervalMs: 0 });
  const admission = new RiskAdmission({ store, revocations, config: () => signals.currentConfig });
  const bypass = new BypassRules({ store, bus, clock, logger: silentLogger, config: config.risk });
  await signals.start();
  await revocations.start();
  bypass.start();
  const replica: Replica = {
    config,
    store,
    bus,
    events,
    broker,
    sessions,
    signals,
    revocations,
    admission,
    bypass,
    verify: async () => person('alice'),
    gate: undefined as unknown as AirlockGate,
    eventsOf: (type) => events.filter((e) => e.type === type),
    async settled() {
      await signals.settled();
      await bypass.settled();
    },
    async stop() {
      await signals.stop();
      await revocations.stop();
      await bypass.stop();
      broker.close();
    },
  };
  const gate = new AirlockGate({
    verifier: { verify: (token) => replica.verify(token) },
    policy: new PolicyEngine(config),
    broker,
    bus,
    clock,
    logger: silentLogger,
    risk: signals,
    admission,
    bypass,
    ...(options.withGrants ? { grants: noGrants } : {}),
    grantTtlMs: 60_000,
    grantMaxRisk: 'medium',
    auditAllowedLowRisk: true,
  });
  (replica as { gate: AirlockGate }).gate = gate;
  return replica;
}

export function authRequest(source: string, sessionId = 's1') {
  return { token: 'jwt', protocol: 'postgres' as const, target: 'db', source, sessionId };
}
