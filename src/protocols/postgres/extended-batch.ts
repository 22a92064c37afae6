import type { StatementEntry, StatementRegistry } from './statement-registry.js';
import { unknownStatement } from './statement-registry.js';

/**
 * The extended-protocol messages received since the last Sync/Flush: their
 * bytes (as views, joined only when not contiguous), the statements they
 * prepare and bind (an overlay applied to the session registry only once the
 * batch is forwarded) and the statements they execute, which are what the
 * batch is gated on. One instance per session, reset after each batch.
 */
export class ExtendedBatch {
  messages = 0;
  /** Bytes held for the batch; bounded so a client cannot grow it without a Sync. */
  bytesHeld = 0;
  /** Set when a statement of the batch cannot be forwarded (unparseable). */
  rejection: { readonly code: string; readonly message: string } | null = null;
  readonly executed: StatementEntry[] = [];
  private readonly runs: Buffer[] = [];
  private runBuffer: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  // The unnamed statement and portal, which nearly every batch touches, live in fields: a Map
  // cleared after every batch would allocate a new table each time. undefined: untouched.
  private unnamedStatement: StatementEntry | null | undefined = undefined;
  private unnamedPortal: StatementEntry | null | undefined = undefined;
  private readonly statements = new Map<string, StatementEntry | null>();
  private readonly portals = new Map<string, StatementEntry | null>();

  constructor(private readonly registry: StatementRegistry) {}

  append(buffer: Buffer, start: number, end: number): void {
    this.messages++;
    this.bytesHeld += end - start;
    if (this.runBuffer === buffer && this.runEnd === start) {
      this.runEnd = end;
      return;
    }
    if (this.runBuffer !== null) this.runs.push(this.runBuffer.subarray(this.runStart, this.runEnd));
    this.runBuffer = buffer;
    this.runStart = start;
    this.runEnd = end;
  }

  /** The batch's bytes: one view when contiguous (the usual case), else the list of views. */
  bytes(): Buffer | Buffer[] {
    const last = this.runBuffer === null ? null : this.runBuffer.subarray(this.runStart, this.runEnd);
    if (this.runs.length === 0) return last ?? Buffer.alloc(0);
    const all = this.runs.slice();
    if (last) all.push(last);
    return all;
  }

  parse(name: string, entry: StatementEntry): void {
    if (name === '') this.unnamedStatement = entry;
    else this.statements.set(name, entry);
  }

  bind(portal: string, statementName: string): void {
    const entry = this.lookupStatement(statementName) ?? unknownStatement('statement', statementName);
    if (portal === '') this.unnamedPortal = entry;
    else this.portals.set(portal, entry);
  }

  execute(portal: string): void {
    const entry = this.lookupPortal(portal) ?? unknownStatement('portal', portal);
    if (!this.executed.includes(entry)) this.executed.push(entry);
  }

  closeStatement(name: string): void {
    if (name === '') this.unnamedStatement = null;
    else this.statements.set(name, null);
  }

  closePortal(name: string): void {
    if (name === '') this.unnamedPortal = null;
    else this.portals.set(name, null);
  }

  /** The batch was forwarded: what it prepared, bound and closed now exists upstream. */
  commit(): void {
    if (this.unnamedStatement !== undefined) applyTo(this.registry.statements, '', this.unnamedStatement);
    if (this.unnamedPortal !== undefined) applyTo(this.registry.portals, '', this.unnamedPortal);
    if (this.statements.size > 0) for (const [name, entry] of this.statements) applyTo(this.registry.statements, name, entry);
    if (this.portals.size > 0) for (const [name, entry] of this.portals) applyTo(this.registry.portals, name, entry);
  }

  reset(): void {
    this.messages = 0;
    this.bytesHeld = 0;
    this.rejection = null;
    this.executed.length = 0;
    this.runs.length = 0;
    this.runBuffer = null;
    this.unnamedStatement = undefined;
    this.unnamedPortal = undefined;
    if (this.statements.size > 0) this.statements.clear();
    if (this.portals.size > 0) this.portals.clear();
  }

  private lookupStatement(name: string): StatementEntry | undefined {
    const local = name === '' ? this.unnamedStatement : this.statements.get(name);
    if (local !== undefined) return local ?? undefined;
    return this.registry.statement(name);
  }

  private lookupPortal(name: string): StatementEntry | undefined {
    const local = name === '' ? this.unnamedPortal : this.portals.get(name);
    if (local !== undefined) return local ?? undefined;
    return this.registry.portal(name);
  }
}

function applyTo(registry: Map<string, StatementEntry>, name: string, entry: StatementEntry | null): void {
  if (entry) registry.set(name, entry);
  else registry.delete(name);
}
