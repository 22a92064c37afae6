import { maxRisk, type RiskLevel } from '../../model/risk-level.js';
import { ReferenceSet } from './name-references.js';

export interface SettingDetail {
  readonly name: string;
  readonly value: string | null;
}

export interface PrepareDetail {
  readonly name: string;
  readonly text: string;
}

/** Mutable accumulator for one statement (and everything nested in it); merged into the result. */
export class StatementFacts {
  risk: RiskLevel = 'low';
  readonly kinds: string[] = [];
  readonly objects = new Set<string>();
  readonly flags = new Set<string>();
  readonly settings: SettingDetail[] = [];
  readonly prepare: PrepareDetail[] = [];
  readonly execute: string[] = [];
  readonly deallocate: string[] = [];
  /** Names PostgreSQL resolves through its catalog (functions, operators, written relations). */
  readonly refs = new ReferenceSet();

  /** The statement's own kind; the first one added is its primary kind. */
  kind(kind: string): void {
    if (!this.kinds.includes(kind)) this.kinds.push(kind);
  }

  raise(level: RiskLevel): void {
    this.risk = maxRisk(this.risk, level);
  }

  flag(flag: string, level?: RiskLevel): void {
    this.flags.add(flag);
    if (level) this.raise(level);
  }

  /** Folds a nested statement's facts into this one (its risk counts in full). */
  absorb(inner: StatementFacts, options: { kinds?: boolean; risk?: boolean } = {}): void {
    if (options.kinds !== false) for (const k of inner.kinds) this.kind(k);
    for (const o of inner.objects) this.objects.add(o);
    for (const f of inner.flags) this.flags.add(f);
    this.settings.push(...inner.settings);
    this.prepare.push(...inner.prepare);
    this.execute.push(...inner.execute);
    this.deallocate.push(...inner.deallocate);
    this.refs.absorb(inner.refs);
    if (options.risk !== false) this.raise(inner.risk);
  }
}
