import { type Prediction, type ProtocolState, Sent, type SentMessage, UNCERTAIN } from './protocol-state.js';
import type { StatementEntry } from './statement-registry.js';
import { unknownStatement } from './statement-registry.js';

/**
 * The extended-protocol messages received since the last Sync/Flush: their
 * bytes (as views, joined only when not contiguous) and, in order, what each
 * asks the server to do. Nothing is recorded as existing upstream here: the
 * messages go to ProtocolState when the batch is forwarded, and it believes
 * the server's answers only. One instance per session, reset after each batch.
 */
export class ExtendedBatch {
  messages = 0;
  /** Bytes held for the batch; bounded so a client cannot grow it without a Sync. */
  bytesHeld = 0;
  /** Set when a statement of the batch cannot be forwarded (unparseable, a pinned setting). */
  rejection: { readonly code: string; readonly message: string } | null = null;
  /** What the batch asks of the server, in order (Flush and Sync excluded). */
  readonly sent: SentMessage[] = [];
  /** Bind or Execute seen: something may run (Bind plans, which can evaluate functions). */
  runs = false;
  private readonly runs_: Buffer[] = [];
  private runBuffer: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  // The unnamed statement and portal, which nearly every batch touches, live in fields: a Map
  // cleared after every batch would allocate a new table each time. undefined: untouched.
  private unnamedStatement: StatementEntry | null | undefined = undefined;
  private unnamedPortal: StatementEntry | null | undefined = undefined;
  private readonly statements = new Map<string, StatementEntry | null>();
  private readonly portals = new Map<string, StatementEntry | null>();

  append(buffer: Buffer, start: number, end: number): void {
    this.messages++;
    this.bytesHeld += end - start;
    if (this.runBuffer === buffer && this.runEnd === start) {
      this.runEnd = end;
      return;
    }
    if (this.runBuffer !== null) this.runs_.push(this.runBuffer.subarray(this.runStart, this.runEnd));
    this.runBuffer = buffer;
    this.runStart = start;
    this.runEnd = end;
  }

  /** The batch's bytes: one view when contiguous (the usual case), else the list of views. */
  bytes(): Buffer | Buffer[] {
    const last = this.runBuffer === null ? null : this.runBuffer.subarray(this.runStart, this.runEnd);
    if (this.runs_.length === 0) return last ?? Buffer.alloc(0);
    const all = this.runs_.slice();
    if (last) all.push(last);
    return all;
  }

  record(message: SentMessage): void {
    this.sent.push(message);
    if (message.kind === Sent.Bind || message.kind === Sent.Execute) this.runs = true;
  }

  /**
   * The statements this batch may run, as the server will hold them: every
   * statement it binds (planning can evaluate functions) or executes, each
   * once. Names the batch itself defines come from the batch; the rest from
   * ProtocolState's prediction. UNCERTAIN: an earlier unanswered round decides
   * it; with `final`, an uncertain name is treated as unknown (high risk).
   */
  resolve(state: ProtocolState, final: boolean): StatementEntry[] | typeof UNCERTAIN {
    this.clearOverlay();
    const gated: StatementEntry[] = [];
    for (const message of this.sent) {
      switch (message.kind) {
        case Sent.Parse:
          if (message.name === '') this.unnamedStatement = message.entry;
          else this.statements.set(message.name, message.entry);
          break;
        case Sent.Bind: {
          const local = message.statement === '' ? this.unnamedStatement : this.statements.get(message.statement);
          const found = local !== undefined ? local : settle(state.predictStatement(message.statement), final);
          if (found === UNCERTAIN) return UNCERTAIN;
          const entry = found ?? unknownStatement('statement', message.statement);
          if (message.portal === '') this.unnamedPortal = entry;
          else this.portals.set(message.portal, entry);
          if (!gated.includes(entry)) gated.push(entry);
          break;
        }
        case Sent.Execute: {
          const local = message.portal === '' ? this.unnamedPortal : this.portals.get(message.portal);
          const found = local !== undefined ? local : settle(state.predictPortal(message.portal), final);
          if (found === UNCERTAIN) return UNCERTAIN;
          const entry = found ?? unknownStatement('portal', message.portal);
          if (!gated.includes(entry)) gated.push(entry);
          break;
        }
        case Sent.Close:
          if (message.statement) {
            if (message.name === '') this.unnamedStatement = null;
            else this.statements.set(message.name, null);
          } else if (message.name === '') this.unnamedPortal = null;
          else this.portals.set(message.name, null);
          break;
        default:
          break;
      }
    }
    return gated;
  }

  reset(): void {
    this.messages = 0;
    this.bytesHeld = 0;
    this.rejection = null;
    this.sent.length = 0;
    this.runs = false;
    this.runs_.length = 0;
    this.runBuffer = null;
  }

  private clearOverlay(): void {
    this.unnamedStatement = undefined;
    this.unnamedPortal = undefined;
    if (this.statements.size > 0) this.statements.clear();
    if (this.portals.size > 0) this.portals.clear();
  }
}

function settle(prediction: Prediction, final: boolean): Prediction {
  return final && prediction === UNCERTAIN ? undefined : prediction;
}
