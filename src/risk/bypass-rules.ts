import { BlockList } from 'node:net';
import type { Logger } from 'pino';
import type { AirlockEvent, EventBus } from '../audit/events.js';
import { parseCidr, type BypassRuleConfig, type RiskConfig } from '../config/sections/risk.js';
import { AirlockError, StoreUnavailableError } from '../errors.js';
import type { Action } from '../model/action.js';
import type { BypassCheck } from '../gate/bypass-check.js';
import type { PolicyDecision } from '../model/requirement.js';
import { riskRank } from '../model/risk-level.js';
import type { Store } from '../store/store.js';
import { systemClock, type Clock } from '../time/clock.js';
import { parseSourceAddress } from './source-network.js';
import { riskKeys } from './store-keys.js';
import { compileTimeWindow, type TimeWindow } from './time-window.js';

export interface BypassRulesOptions {
  readonly store: Store;
  readonly bus: EventBus;
  readonly config: RiskConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
}

interface CompiledRule {
  readonly id: string;
  readonly groups: ReadonlySet<string> | null;
  readonly devices: ReadonlySet<string> | null;
  readonly networks: BlockList | null;
  readonly time: TimeWindow | null;
  readonly maxRisk: number;
  readonly skipApproval: boolean;
  readonly acknowledgeCritical: boolean;
  readonly revalidateAfterMs: number;
  readonly ratePerHour: number;
}

const HOUR_MS = 3_600_000;

/**
 * Audited opt-out rules. A rule applies only when every condition holds, the
 * principal verified a real second factor within `revalidate_after`, and it
 * is under its hourly rate; the Gate audits each use (bypass.used) and never
 * asks while risk signals force revalidation.
 */
export class BypassRules implements BypassCheck {
  private rules: readonly CompiledRule[] = [];
  /** How long a verification is worth keeping: the longest revalidate_after. */
  private verifiedTtlMs = 0;
  private readonly clock: Clock;
  private readonly inFlight = new Set<Promise<void>>();
  private offBus: (() => void) | null = null;

  constructor(private readonly options: BypassRulesOptions) {
    this.clock = options.clock ?? systemClock;
    this.setConfig(options.config);
  }

  /** Compiles the rules once (CIDRs, time zones); called again on config reload. */
  setConfig(config: RiskConfig): void {
    this.rules = Object.freeze(config.bypass.map(compileRule));
    this.verifiedTtlMs = Math.max(0, ...config.bypass.map((r) => r.revalidate_after));
  }

  /** Starts recording verified second factors (stepup.granted, mfa.success) for revalidation. */
  start(): void {
    if (this.offBus) return;
    this.offBus = this.options.bus.on((event) => this.onEvent(event));
  }

  async stop(): Promise<void> {
    this.offBus?.();
    this.offBus = null;
    await this.settled();
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async find(action: Action, decision: PolicyDecision): Promise<string | null> {
    if (this.rules.length === 0) return null;
    const kind = decision.requirement.kind;
    if (kind !== 'step_up' && kind !== 'approval') return null;
    const now = this.clock.now();
    for (const rule of this.rules) {
      if (!this.conditionsHold(rule, action, decision, now)) continue;
      try {
        if (!(await this.recentlyVerified(rule, action.principal.subject, now))) continue;
        const count = await this.options.store.hitCounter(riskKeys.bypassRate(rule.id, action.principal.subject), HOUR_MS);
        if (count > rule.ratePerHour) {
          this.options.bus.emit({
            type: 'bypass.refused',
            at: now,
            subject: action.principal.subject,
            source: action.source,
            protocol: action.protocol,
            target: action.target,
            sessionId: action.sessionId,
            rules: [...decision.rules, rule.id],
            reason: `bypass rule ${rule.id} used more than ${rule.ratePerHour} times in an hour by ${action.principal.subject}`,
            data: { rule: rule.id, count, limit: rule.ratePerHour },
          });
          return null;
        }
      } catch (err) {
        throw err instanceof AirlockError ? err : new StoreUnavailableError('cannot check bypass rules: store unavailable', { cause: err });
      }
      return rule.id;
    }
    return null;
  }

  /** The in-memory conditions, checked before anything that reads the store. */
  private conditionsHold(rule: CompiledRule, action: Action, decision: PolicyDecision, now: number): boolean {
    if (decision.requirement.kind === 'approval') {
      if (!rule.skipApproval) return false;
      if (decision.risk === 'critical' && !rule.acknowledgeCritical) return false;
    }
    if (riskRank(decision.risk) > rule.maxRisk) return false;
    const { principal } = action;
    if (rule.groups && !principal.groups.some((g) => rule.groups?.has(g))) return false;
    if (rule.devices && (principal.deviceId === undefined || !rule.devices.has(principal.deviceId))) return false;
    if (rule.networks) {
      const source = parseSourceAddress(action.source);
      if (!source || !rule.networks.check(source.address, source.family)) return false;
    }
    if (rule.time && !rule.time.contains(now)) return false;
    return true;
  }

  private async recentlyVerified(rule: CompiledRule, subject: string, now: number): Promise<boolean> {
    const text = await this.options.store.getValue(riskKeys.verified(subject));
    if (text === null) return false;
    const at = Number(text);
    return Number.isFinite(at) && now - at < rule.revalidateAfterMs;
  }

  private onEvent(event: AirlockEvent): void {
    if ((event.type !== 'stepup.granted' && event.type !== 'mfa.success') || event.subject === undefined || this.verifiedTtlMs === 0) return;
    const work = this.options.store
      .setValue(riskKeys.verified(event.subject), String(event.at), { ttlMs: this.verifiedTtlMs })
      .then(() => undefined)
      .catch((err: unknown) => this.options.logger.warn({ err }, 'bypass: could not record a verified second factor'));
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

function compileRule(rule: BypassRuleConfig): CompiledRule {
  let networks: BlockList | null = null;
  if (rule.networks !== undefined) {
    // An empty list matches no source: a condition that is present is never skipped.
    networks = new BlockList();
    for (const cidr of rule.networks) {
      const parsed = parseCidr(cidr);
      if (!parsed) throw new TypeError(`bypass rule ${rule.id}: invalid network ${cidr}`);
      networks.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }
  return {
    id: rule.id,
    groups: rule.groups !== undefined ? new Set(rule.groups) : null,
    devices: rule.devices !== undefined ? new Set(rule.devices) : null,
    networks,
    time: rule.time ? compileTimeWindow(rule.time) : null,
    maxRisk: riskRank(rule.max_risk),
    skipApproval: rule.skip_approval,
    acknowledgeCritical: rule.acknowledge_critical,
    revalidateAfterMs: rule.revalidate_after,
    ratePerHour: rule.rate_limit,
  };
}
