import type { Logger } from 'pino';
import { type AirlockEvent, type EventBus, SOURCE_REFUSED } from '../audit/events.js';
import { formatDuration } from '../config/duration.js';
import type { RiskConfig } from '../config/sections/risk.js';
import type { Action } from '../model/action.js';
import type { RiskAssessment, RiskAssessor } from '../policy/risk-assessor.js';
import type { Store, Unsubscribe } from '../store/store.js';
import { systemClock, type Clock } from '../time/clock.js';
import {
  APPROVAL_DENIALS_RULE,
  AUTH_FAILURES_RULE,
  MFA_FAILURES_RULE,
  NEW_DEVICE_RULE,
  SignalSnapshot,
  type ActiveBlock,
  type ActiveRaise,
} from './signal-snapshot.js';
import { parseSourceAddress, sourceNetwork } from './source-network.js';
import { RISK_TOPIC, riskKeys } from './store-keys.js';

export interface RiskSignalsOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly config: RiskConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often expired snapshot entries are dropped and active raises re-read from the store. */
  readonly sweepIntervalMs?: number;
}

/** What replicas tell each other on the `risk` topic. */
type RiskMessage = { readonly kind: 'raise'; readonly raise: ActiveRaise } | { readonly kind: 'block'; readonly block: ActiveBlock };

// A new-device session ends with its token; a day bounds the memory it holds even if no one says so.
const NEW_DEVICE_SESSION_MAX_MS = 86_400_000;

/**
 * The feedback loop's signals: events in, decaying counters in the store,
 * an in-memory snapshot out. assess() answers from the snapshot only, so the
 * per-statement path never waits for the store.
 */
export class RiskSignals implements RiskAssessor {
  readonly snapshot = new SignalSnapshot();
  private config: RiskConfig;
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  /** Device look-ups still running, by session: a statement that races its own login waits for the answer. */
  private readonly deviceChecks = new Map<string, Promise<void>>();
  private offBus: (() => void) | null = null;
  private offTopic: Unsubscribe | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly options: RiskSignalsOptions) {
    this.config = options.config;
    this.store = options.store;
    this.bus = options.bus;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
  }

  /** Subscribes to other replicas, loads active raises and blocks, then listens to local events. */
  async start(): Promise<void> {
    if (this.offBus) return;
    this.offTopic = await this.store.subscribe(RISK_TOPIC, (message) => this.onMessage(message));
    await this.loadActive();
    this.offBus = this.bus.on((event) => this.onEvent(event));
    // Also re-reads active raises and blocks: a pub/sub message lost while reconnecting is caught up here.
    this.sweeper = setInterval(() => {
      this.snapshot.sweep(this.clock.now());
      this.track(this.loadActive());
    }, this.options.sweepIntervalMs ?? 60_000);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    this.offBus?.();
    this.offBus = null;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    const off = this.offTopic;
    this.offTopic = null;
    await off?.();
    await this.settled();
  }

  /** Config reload: new thresholds apply to the next event; active raises keep their end. */
  setConfig(config: RiskConfig): void {
    this.config = config;
  }

  get currentConfig(): RiskConfig {
    return this.config;
  }

  /** Resolves once every event received so far has been recorded (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  assessNow(action: Action): RiskAssessment | undefined {
    const now = this.clock.now();
    const subject = action.principal.subject;
    if (action.classification.risk === 'medium' && action.principal.deviceId !== undefined && (this.snapshot.hasNewDevices || this.deviceChecks.size > 0)) {
      // Whether this session's device is new is still being looked up: only assess() can wait for it.
      if (this.deviceChecks.has(action.sessionId)) return undefined;
      const session = this.snapshot.newDevice(action.sessionId, now);
      if (session && this.config.new_device.raise_medium_to_step_up) return this.snapshot.newDeviceAssessment(session, subject, now);
    }
    return this.snapshot.subjectAssessment(subject, now);
  }

  async assess(action: Action): Promise<RiskAssessment> {
    for (;;) {
      const assessment = this.assessNow(action);
      if (assessment !== undefined) return assessment;
      await this.deviceChecks.get(action.sessionId);
    }
  }

  private onEvent(event: AirlockEvent): void {
    switch (event.type) {
      case 'mfa.failure':
      case 'mfa.replay':
        if (event.subject !== undefined) this.track(this.mfaFailure(event.subject, event.at));
        return;
      case 'approval.resolved':
        if (event.subject !== undefined && isHumanDenial(event)) this.track(this.approvalDenial(event.subject, event.at));
        return;
      case 'auth.failure':
        // Only a token that failed verification is a failed login; admission refusals (revoked,
        // blocked) carry a subject and must not keep a network blocked by themselves.
        // Attempts refused by an active block are not counted either: the block would return at once.
        if (event.subject === undefined && event.source !== undefined && event.reason !== SOURCE_REFUSED) this.track(this.authFailure(event.source, event.at));
        return;
      case 'auth.success':
        if (event.subject !== undefined && event.deviceId !== undefined && event.sessionId !== undefined && this.config.new_device.raise_medium_to_step_up) {
          this.checkDevice(event.subject, event.deviceId, event.sessionId);
        }
        return;
      case 'stepup.granted':
        // A verified second factor in the session vouches for its device.
        if (event.sessionId !== undefined) this.snapshot.clearNewDevice(event.sessionId);
        return;
      default:
        return;
    }
  }

  private async mfaFailure(subject: string, at: number): Promise<void> {
    const rule = this.config.mfa_failures;
    await this.countAndRaise(MFA_FAILURES_RULE, riskKeys.mfaFailures(subject), subject, at, rule, (n) => `${n} MFA failures in ${formatDuration(rule.window)} for ${subject}`);
  }

  private async approvalDenial(subject: string, at: number): Promise<void> {
    const rule = this.config.approval_denials;
    await this.countAndRaise(APPROVAL_DENIALS_RULE, riskKeys.approvalDenials(subject), subject, at, rule, (n) => `${n} approval denials in ${formatDuration(rule.window)} for ${subject}`);
  }

  private async countAndRaise(
    ruleId: string,
    key: string,
    subject: string,
    at: number,
    rule: { threshold: number; window: number; raise_for: number },
    describe: (count: number) => string,
  ): Promise<void> {
    const { store } = this;
    await store.recordEvent(key, at, rule.window);
    const now = this.clock.now();
    const count = await store.countEvents(key, now - rule.window);
    if (count < rule.threshold) return;
    const raise: ActiveRaise = { subject, rule: ruleId, reason: describe(count), until: now + rule.raise_for };
    const raiseKey = riskKeys.raise(ruleId, subject);
    const text = JSON.stringify(raise);
    // ifAbsent makes "a new episode" one decision across replicas; later failures only extend it.
    const fresh = await store.setValue(raiseKey, text, { ttlMs: rule.raise_for, ifAbsent: true });
    if (fresh) await store.addToSet(riskKeys.active, raiseKey);
    else await store.setValue(raiseKey, text, { ttlMs: rule.raise_for });
    this.snapshot.applyRaise(raise, now);
    if (fresh) {
      this.bus.emit({ type: 'risk.raised', at: now, subject, rules: [ruleId], reason: raise.reason, data: { raise: 1, count, until: raise.until } });
    }
    await this.publish({ kind: 'raise', raise });
  }

  private async authFailure(source: string, at: number): Promise<void> {
    const { store } = this;
    const rule = this.config.auth_failures;
    const address = parseSourceAddress(source);
    const network = sourceNetwork(source, this.config.network_prefix_v4, this.config.network_prefix_v6);
    if (address === null || network === null) return;
    const netKey = riskKeys.authFailuresOfNetwork(network);
    await Promise.all([store.recordEvent(riskKeys.authFailuresOfAddress(address.address), at, rule.window), store.recordEvent(netKey, at, rule.window)]);
    const now = this.clock.now();
    // The failures that caused an earlier block were paid for by it: a network starts afresh when its block
    // ends, so one more bad token after a short block does not block it again at once.
    const previousBlockEnds = Number((await store.getValue(riskKeys.blockEnds(network))) ?? 0);
    const count = await store.countEvents(netKey, Math.max(now - rule.window, previousBlockEnds));
    if (count < rule.threshold) return;
    const block: ActiveBlock = { network, reason: `too many failed logins from ${network}; blocked for ${formatDuration(rule.block_for)}`, until: now + rule.block_for };
    const blockKey = riskKeys.block(network);
    // A block is not extended by failures during it: it ends block_for after it began.
    if (!(await store.setValue(blockKey, JSON.stringify(block), { ttlMs: rule.block_for, ifAbsent: true }))) return;
    await store.setValue(riskKeys.blockEnds(network), String(block.until), { ttlMs: rule.block_for + rule.window });
    await store.addToSet(riskKeys.active, blockKey);
    this.snapshot.applyBlock(block, now);
    this.bus.emit({ type: 'source.blocked', at: now, source: network, rules: [AUTH_FAILURES_RULE], reason: block.reason, data: { network, failures: count, until: block.until, lastAddress: address.address } });
    await this.publish({ kind: 'block', block });
  }

  private checkDevice(subject: string, deviceId: string, sessionId: string): void {
    const check = this.deviceCheck(subject, deviceId, sessionId).finally(() => this.deviceChecks.delete(sessionId));
    this.deviceChecks.set(sessionId, check);
    this.track(check);
  }

  private async deviceCheck(subject: string, deviceId: string, sessionId: string): Promise<void> {
    const rememberFor = this.config.new_device.remember_for;
    const key = riskKeys.knownDevice(subject, deviceId);
    let first: boolean;
    try {
      const now = this.clock.now();
      first = await this.store.setValue(key, String(now), { ttlMs: rememberFor, ifAbsent: true });
      // Remembered for remember_for since it was last seen.
      if (!first) await this.store.setValue(key, String(now), { ttlMs: rememberFor });
    } catch (err) {
      // Cannot tell: treat the device as new (one more level, never less).
      this.logger.warn({ err, subject }, 'risk: device look-up failed; treating the device as new');
      first = true;
    }
    if (!first) return;
    const now = this.clock.now();
    const reason = `new device ${deviceId} for ${subject}`;
    this.snapshot.markNewDevice(sessionId, { subject, deviceId, reason, until: now + Math.min(rememberFor, NEW_DEVICE_SESSION_MAX_MS) });
    this.bus.emit({ type: 'risk.raised', at: now, subject, deviceId, sessionId, rules: [NEW_DEVICE_RULE], reason: `${reason}: medium-risk actions in this session need one level more`, data: { raise: 1 } });
  }

  private async publish(message: RiskMessage): Promise<void> {
    await this.store.publish(RISK_TOPIC, JSON.stringify(message));
  }

  private onMessage(text: string): void {
    let message: RiskMessage;
    try {
      message = JSON.parse(text) as RiskMessage;
    } catch {
      this.logger.warn('risk: ignoring a malformed replica message');
      return;
    }
    const now = this.clock.now();
    if (message.kind === 'raise' && isRaise(message.raise)) this.snapshot.applyRaise(message.raise, now);
    else if (message.kind === 'block' && isBlock(message.block)) this.snapshot.applyBlock(message.block, now);
  }

  private async loadActive(): Promise<void> {
    const { store } = this;
    const now = this.clock.now();
    for (const key of await store.setMembers(riskKeys.active)) {
      const text = await store.getValue(key);
      if (text === null) {
        await store.removeFromSet(riskKeys.active, key);
        continue;
      }
      const value = safeParse(text);
      if (isRaise(value)) this.snapshot.applyRaise(value, now);
      else if (isBlock(value)) this.snapshot.applyBlock(value, now);
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.logger.warn({ err }, 'risk: could not record a signal'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}

/** A denial decided by a person (not the system denying on revocation or shutdown). */
function isHumanDenial(event: AirlockEvent): boolean {
  if (event.data?.['status'] !== 'denied') return false;
  const by = event.data['by'];
  return !(Array.isArray(by) && by.includes('airlock'));
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isRaise(value: unknown): value is ActiveRaise {
  const v = value as Partial<ActiveRaise> | null;
  return typeof v === 'object' && v !== null && typeof v.subject === 'string' && typeof v.rule === 'string' && typeof v.reason === 'string' && typeof v.until === 'number';
}

function isBlock(value: unknown): value is ActiveBlock {
  const v = value as Partial<ActiveBlock> | null;
  return typeof v === 'object' && v !== null && typeof v.network === 'string' && typeof v.reason === 'string' && typeof v.until === 'number';
}
