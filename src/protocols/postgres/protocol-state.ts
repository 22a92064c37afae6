import type { SessionEffect } from '../../classifiers/sql/session-effects.js';
import type { Classification } from '../../model/action.js';
import { ServerCode, TxStatus } from './message-codes.js';
import { type StatementEffects, readStatementEffects } from './statement-details.js';
import { type StatementEntry, StatementRegistry } from './statement-registry.js';

/**
 * What the upstream has been sent and not yet answered, one item per message
 * that PostgreSQL answers (or that changes what it holds). Flush and copy
 * data are not here: they get no answer of their own.
 */
export const enum Sent {
  Parse = 1,
  Bind,
  Execute,
  Describe,
  Close,
  Sync,
  Query,
  FunctionCall,
}

const SENT_NAMES: Readonly<Record<Sent, string>> = {
  [Sent.Parse]: 'Parse',
  [Sent.Bind]: 'Bind',
  [Sent.Execute]: 'Execute',
  [Sent.Describe]: 'Describe',
  [Sent.Close]: 'Close',
  [Sent.Sync]: 'Sync',
  [Sent.Query]: 'Query',
  [Sent.FunctionCall]: 'FunctionCall',
};

export type SentMessage =
  | { readonly kind: Sent.Parse; readonly name: string; readonly entry: StatementEntry }
  | { readonly kind: Sent.Bind; readonly portal: string; readonly statement: string }
  | { readonly kind: Sent.Execute; readonly portal: string }
  | { readonly kind: Sent.Describe }
  | { readonly kind: Sent.Close; readonly statement: boolean; readonly name: string }
  | { readonly kind: Sent.Sync }
  | QueryInFlight
  | { readonly kind: Sent.FunctionCall };

interface QueryInFlight {
  readonly kind: Sent.Query;
  /** Per top-level statement, in order: the k-th CommandComplete confirms the k-th. */
  readonly statements: readonly StatementEffects[];
  /** The whole query string (what pg_prepared_statements shows for a SQL PREPARE). */
  readonly source: string;
  completed: number;
  started: boolean;
}

/** A lookup whose answer depends on whether an earlier, unanswered round succeeds. */
export const UNCERTAIN: unique symbol = Symbol('uncertain');
export type Prediction = StatementEntry | undefined | typeof UNCERTAIN;

/** EXECUTE of a statement that is itself an EXECUTE ...: followed this deep. */
const MAX_EXECUTE_DEPTH = 4;

const SYNC: SentMessage = { kind: Sent.Sync };
const DESCRIBE: SentMessage = { kind: Sent.Describe };
const FUNCTION_CALL: SentMessage = { kind: Sent.FunctionCall };

/**
 * Airlock's mirror of what one PostgreSQL backend holds under each prepared
 * statement and portal name, kept the way postgres.c keeps it:
 *
 * - nothing changes when a message is sent; it changes when the server
 *   confirms it (ParseComplete, BindComplete, CloseComplete, the
 *   CommandComplete of PREPARE / DEALLOCATE / DISCARD / DECLARE / CLOSE);
 * - after an ErrorResponse to an extended-protocol message the server skips
 *   everything up to Sync, and so does the mirror;
 * - a simple Query destroys the unnamed statement and portal; the end of a
 *   transaction (ReadyForQuery 'I') destroys every portal.
 *
 * Deletions may be applied late or not at all (a stale name is harmless: the
 * server answers "does not exist"); an addition is applied only when
 * confirmed, so a name here never stands for other text than the server's.
 * Code Airlock did not read (a user function, a DO block) can prepare
 * statements and open cursors by itself: after it runs, the record is marked
 * unverified until the caller reconciles it with pg_prepared_statements.
 */
export class ProtocolState {
  readonly confirmed = new StatementRegistry();
  /** Sent and unanswered, oldest first (a plain array with a moving head: no shift per message). */
  private pending: SentMessage[] = [];
  private head = 0;
  /** An extended message failed and no Sync has been sent since: the server ignores what follows. */
  private skipping = false;
  /** Code Airlock did not read may have changed named statements or portals since the last reconcile. */
  unverified = false;
  /** Why the server's answers stopped matching what was sent; set once, then the session must end. */
  desync: string | null = null;

  private readonly classify: (text: string) => Classification;
  private readonly onDesync: (reason: string) => void;

  constructor(options: { readonly classify: (text: string) => Classification; readonly onDesync?: (reason: string) => void }) {
    this.classify = options.classify;
    this.onDesync = options.onDesync ?? (() => undefined);
  }

  get waiting(): number {
    return this.pending.length - this.head;
  }

  // ---- what is sent ------------------------------------------------------------------------------

  sent(message: SentMessage): void {
    if (this.skipping) {
      // PostgreSQL discards these unread until the Sync.
      if (message.kind !== Sent.Sync) return;
      this.skipping = false;
    }
    this.pending.push(message);
  }

  sentParse(name: string, entry: StatementEntry): void {
    this.sent({ kind: Sent.Parse, name, entry });
  }

  sentBind(portal: string, statement: string): void {
    this.sent({ kind: Sent.Bind, portal, statement });
  }

  sentExecute(portal: string): void {
    this.sent({ kind: Sent.Execute, portal });
  }

  sentDescribe(): void {
    this.sent(DESCRIBE);
  }

  sentClose(statement: boolean, name: string): void {
    this.sent({ kind: Sent.Close, statement, name });
  }

  sentSync(): void {
    this.sent(SYNC);
  }

  sentQuery(statements: readonly StatementEffects[], source: string): void {
    for (let i = 0; i < statements.length; i++) if ((statements[i] as StatementEffects).unseenCode) this.unverified = true;
    this.sent({ kind: Sent.Query, statements, source, completed: 0, started: false });
  }

  sentFunctionCall(): void {
    // A fast-path call runs a function Airlock cannot see.
    this.unverified = true;
    this.sent(FUNCTION_CALL);
  }

  /** An Execute of a statement that may run unseen code was sent. */
  ranUnseenCode(): void {
    this.unverified = true;
  }

  // ---- what the server answers -------------------------------------------------------------------

  /** Every upstream message, in order (the body is `buffer[body, end)`). */
  received(code: number, buffer: Buffer, body: number, end: number): void {
    if (this.desync !== null) return;
    const current = this.head < this.pending.length ? (this.pending[this.head] as SentMessage) : undefined;
    switch (code) {
      case ServerCode.ParseComplete:
        if (current?.kind !== Sent.Parse) return this.lost('ParseComplete');
        this.confirmed.statements.set(current.name, current.entry);
        return this.done();
      case ServerCode.BindComplete:
        if (current?.kind !== Sent.Bind) return this.lost('BindComplete');
        this.bound(current.portal, current.statement);
        return this.done();
      case ServerCode.CloseComplete:
        if (current?.kind !== Sent.Close) return this.lost('CloseComplete');
        if (current.statement) this.confirmed.statements.delete(current.name);
        else this.confirmed.portals.delete(current.name);
        return this.done();
      case ServerCode.ParameterDescription:
        if (current?.kind !== Sent.Describe) return this.lost('ParameterDescription');
        return;
      case ServerCode.NoData:
        if (current?.kind !== Sent.Describe) return this.lost('NoData');
        return this.done();
      case ServerCode.RowDescription:
        if (current?.kind === Sent.Describe) return this.done();
        if (current?.kind === Sent.Query) return this.startQuery(current);
        return this.lost('RowDescription');
      case ServerCode.DataRow:
      case ServerCode.CopyInResponse:
      case ServerCode.CopyOutResponse:
      case ServerCode.CopyBothResponse:
      case ServerCode.CopyData:
      case ServerCode.CopyDone:
        if (current?.kind === Sent.Query) return this.startQuery(current);
        if (current?.kind !== Sent.Execute) return this.lost('a result message');
        return;
      case ServerCode.CommandComplete:
        if (current?.kind === Sent.Query) {
          this.startQuery(current);
          const statement = current.statements[current.completed++];
          if (statement) this.applyStatement(statement, current.source, 0);
          return;
        }
        if (current?.kind !== Sent.Execute) return this.lost('CommandComplete');
        this.executed(current.portal);
        return this.done();
      case ServerCode.EmptyQueryResponse:
        if (current?.kind === Sent.Query) return this.startQuery(current);
        if (current?.kind !== Sent.Execute) return this.lost('EmptyQueryResponse');
        return this.done();
      case ServerCode.PortalSuspended:
        if (current?.kind !== Sent.Execute) return this.lost('PortalSuspended');
        return this.done();
      case ServerCode.FunctionCallResponse:
        if (current?.kind !== Sent.FunctionCall) return this.lost('FunctionCallResponse');
        return;
      case ServerCode.ErrorResponse:
        return this.failed(current);
      case ServerCode.ReadyForQuery: {
        if (current?.kind === Sent.Query) this.startQuery(current);
        else if (current?.kind !== Sent.Sync && current?.kind !== Sent.FunctionCall) return this.lost('ReadyForQuery');
        const status = end > body ? (buffer[body] as number) : TxStatus.Idle;
        // Outside a transaction block no portal survives (holdable cursors are not mirrored at all).
        if (status === TxStatus.Idle && this.confirmed.portals.size > 0) this.confirmed.portals.clear();
        return this.done();
      }
      default:
        // NoticeResponse, NotificationResponse, ParameterStatus: asynchronous, no state.
        return;
    }
  }

  private done(): void {
    this.head++;
    if (this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private lost(what: string): void {
    const expected = this.head < this.pending.length ? SENT_NAMES[(this.pending[this.head] as SentMessage).kind] : 'nothing';
    this.desync = `the server sent ${what} while Airlock expected the answer to ${expected}`;
    this.onDesync(this.desync);
  }

  /** exec_simple_query drops the unnamed statement first, and each statement replaces the unnamed portal. */
  private startQuery(query: QueryInFlight): void {
    if (query.started) return;
    query.started = true;
    this.confirmed.statements.delete('');
    this.confirmed.portals.delete('');
  }

  private bound(portal: string, statementName: string): void {
    const statement = this.confirmed.statements.get(statementName);
    // The server bound something Airlock does not know (prepared by unseen code): mirror it as absent.
    if (statement) this.confirmed.portals.set(portal, statement);
    else this.confirmed.portals.delete(portal);
  }

  /** A portal ran to completion: its statement's SQL-level effect (PREPARE sent through Parse) happened. */
  private executed(portal: string): void {
    const entry = this.confirmed.portals.get(portal);
    if (!entry) return;
    const statement = readStatementEffects(entry.classification)[0];
    if (statement) this.applyStatement(statement, entry.source ?? entry.text, 0);
  }

  /**
   * A statement completed: its own effect, and the effects of the prepared
   * statements it ran by name (a Parse can hold any statement, DEALLOCATE
   * and PREPARE included, and EXECUTE runs it), as the server held them then.
   */
  private applyStatement(statement: StatementEffects, source: string, depth: number): void {
    if (statement.executes) {
      for (const name of statement.executes) {
        const executed = this.confirmed.statements.get(name);
        if (!executed) continue;
        if (depth >= MAX_EXECUTE_DEPTH) {
          // Deeper than any client needs: forget what might have changed.
          this.unverified = true;
          continue;
        }
        for (const inner of readStatementEffects(executed.classification)) this.applyStatement(inner, executed.source ?? executed.text, depth + 1);
      }
    }
    if (statement.effect) this.apply(statement.effect, source);
  }

  private failed(current: SentMessage | undefined): void {
    if (current === undefined) return; // an asynchronous error (a FATAL at shutdown): nothing was being answered
    switch (current.kind) {
      case Sent.Query:
        // The query stops at its first error; ReadyForQuery follows. Statements after it never ran.
        this.startQuery(current);
        current.completed = current.statements.length;
        return;
      case Sent.Sync:
      case Sent.FunctionCall:
        // A commit at Sync can fail (deferred constraints); ReadyForQuery follows.
        return;
      default: {
        // An extended message failed: everything up to the next Sync is skipped by the server.
        let i = this.head;
        while (i < this.pending.length && (this.pending[i] as SentMessage).kind !== Sent.Sync) i++;
        if (i === this.pending.length) this.skipping = true;
        this.head = i;
        if (this.head === this.pending.length) {
          this.pending.length = 0;
          this.head = 0;
        }
      }
    }
  }

  apply(effect: SessionEffect, source: string): void {
    const { statements, portals } = this.confirmed;
    switch (effect.op) {
      case 'prepare':
        statements.set(effect.name, { text: effect.text, classification: this.classify(effect.text), source });
        return;
      case 'deallocate':
        statements.delete(effect.name);
        return;
      case 'deallocate_all':
        this.confirmed.deallocateAll();
        return;
      case 'discard_all':
        this.confirmed.deallocateAll();
        portals.clear();
        return;
      case 'declare_cursor':
      case 'close_cursor':
        // A cursor is a portal Airlock does not mirror: its name now means something unknown, or nothing.
        portals.delete(effect.name);
        return;
      case 'close_all_cursors':
        portals.clear();
        return;
    }
  }

  // ---- what a statement about to be sent will find -----------------------------------------------

  /**
   * The statement `name` as the server will hold it when the next message is
   * processed. A pending change in the open segment (after the last Sync
   * sent) is certain, since if it fails nothing after it runs until a Sync;
   * one in an earlier segment may have failed, so the answer is UNCERTAIN and
   * the caller waits for the server to catch up.
   */
  predictStatement(name: string): Prediction {
    if (this.unverified && name !== '') return UNCERTAIN;
    let value: StatementEntry | undefined = this.confirmed.statements.get(name);
    const openFrom = this.openSegmentStart();
    for (let i = this.head; i < this.pending.length; i++) {
      const message = this.pending[i] as SentMessage;
      const certain = i >= openFrom;
      if (message.kind === Sent.Parse && message.name === name) {
        if (!certain) return UNCERTAIN;
        value = message.entry;
      } else if (message.kind === Sent.Close && message.statement && message.name === name) {
        if (certain) value = undefined;
      } else if (message.kind === Sent.Query) {
        if (name === '') value = undefined;
        else if (message.statements.some((s) => touchesStatement(s.effect, name) || (s.executes !== undefined && s.executes.length > 0))) return UNCERTAIN;
      } else if (message.kind === Sent.Execute) {
        // An Execute of a PREPARE sent through Parse: rare, and never worth guessing.
        const portal = this.portalAt(message.portal, i);
        if (portal === UNCERTAIN || (portal && readStatementEffects(portal.classification).some((s) => touchesStatement(s.effect, name) || (s.executes !== undefined && s.executes.length > 0)))) return UNCERTAIN;
      }
    }
    return value;
  }

  /** The portal `name` as the server will hold it when the next message is processed. */
  predictPortal(name: string): Prediction {
    return this.portalAt(name, this.pending.length);
  }

  private portalAt(name: string, until: number): Prediction {
    if (this.unverified) return UNCERTAIN;
    let value: StatementEntry | undefined = this.confirmed.portals.get(name);
    const openFrom = this.openSegmentStart();
    for (let i = this.head; i < until; i++) {
      const message = this.pending[i] as SentMessage;
      const certain = i >= openFrom;
      if (message.kind === Sent.Bind && message.portal === name) {
        if (!certain) return UNCERTAIN;
        const statement = this.statementAt(message.statement, i);
        if (statement === UNCERTAIN) return UNCERTAIN;
        value = statement;
      } else if (message.kind === Sent.Close && !message.statement && message.name === name) {
        if (certain) value = undefined;
      } else if (message.kind === Sent.Query && name === '') {
        value = undefined;
      } else if ((message.kind === Sent.Sync || message.kind === Sent.Query) && value !== undefined) {
        // The transaction may end there and take the portal with it: wait for the server's answer.
        return UNCERTAIN;
      }
    }
    return value;
  }

  private statementAt(name: string, until: number): Prediction {
    if (until === this.pending.length) return this.predictStatement(name);
    // A Bind still in flight: what it binds was decided when it was sent, from the same reasoning.
    let value: StatementEntry | undefined = this.confirmed.statements.get(name);
    for (let i = this.head; i < until; i++) {
      const message = this.pending[i] as SentMessage;
      if (message.kind === Sent.Parse && message.name === name) value = message.entry;
      else if (message.kind === Sent.Query && name === '') value = undefined;
    }
    return value;
  }

  /** Index of the first pending message after the last boundary (Sync, Query, FunctionCall). */
  private openSegmentStart(): number {
    for (let i = this.pending.length - 1; i >= this.head; i--) {
      const kind = (this.pending[i] as SentMessage).kind;
      if (kind === Sent.Sync || kind === Sent.Query || kind === Sent.FunctionCall) return i + 1;
    }
    return this.head;
  }

  /**
   * Replaces the record of named statements with what the server reports
   * (pg_prepared_statements), read while nothing else was in flight.
   * `resolve` turns a server row into the entry Airlock gates on.
   */
  reconcile(rows: readonly { readonly name: string; readonly statement: string; readonly fromSql: boolean }[], resolve: (row: { name: string; statement: string; fromSql: boolean }) => StatementEntry): void {
    const statements = this.confirmed.statements;
    const unnamed = statements.get('');
    const known = new Map(statements);
    statements.clear();
    if (unnamed) statements.set('', unnamed);
    for (const row of rows) {
      const mine = known.get(row.name);
      statements.set(row.name, mine && (mine.source ?? mine.text) === row.statement ? mine : resolve(row));
    }
    // Portals opened by unseen code are not listed there with their text: forget them all.
    this.confirmed.portals.clear();
    this.unverified = false;
  }
}

function touchesStatement(effect: SessionEffect | undefined, name: string): boolean {
  if (!effect) return false;
  switch (effect.op) {
    case 'prepare':
    case 'deallocate':
      return effect.name === name;
    case 'deallocate_all':
    case 'discard_all':
      return true;
    default:
      return false;
  }
}
