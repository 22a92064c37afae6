// The hash-chained audit log: one canonical JSON line per event, each naming
// the hash of the one before, written through pino's destination (SonicBoom,
// asynchronous). Secrets are censored in the same pass that serializes the
// record, before hashing, so the chain verifies over exactly what was written.
//
// pino's logger is not used to serialize: its output has no stable key order
// and its redaction runs after the point where the hash must be taken.
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { compileRedactor } from '../logging/redactor.js';
import { systemClock, type Clock } from '../time/clock.js';
import { GENESIS, SEGMENT_TYPE, sealLine, sha256Hex } from './audit-record.js';
import { canonicalJson } from './canonical-json.js';
import { readChainTail } from './chain-tail.js';
import type { AirlockEvent, EventBus } from './events.js';

export interface AuditLogOptions {
  /** File path (created 0600 with its parent directories) or "-" for stdout. */
  readonly file: string;
  /** Extra pino-syntax redaction paths (`audit.redact`), on top of the built-in secret keys. */
  readonly redact?: readonly string[];
  readonly clock?: Clock;
  /** Operational logger for write failures and chain restarts. */
  readonly logger?: Logger;
  /** Written as `replica` on every record when set. */
  readonly replicaId?: string;
}

export interface AuditLog {
  /** Appends one record; never throws. Cost: one canonical serialization and one sha256. */
  record(event: AirlockEvent): void;
  /** Resolves when everything recorded so far has reached the operating system (and fsync for files). */
  flush(): Promise<void>;
  /** Flushes and closes; later records are dropped (and counted in a warning). */
  close(): Promise<void>;
}

export interface AttachAuditOptions {
  /** false: skip verdicts that allowed a low-risk action by plain policy (`audit.include_allowed`). */
  readonly includeAllowed?: boolean;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  if (typeof options.file !== 'string' || options.file.length === 0) throw new TypeError('audit file must be a path or "-"');
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'silent' });
  const redactor = compileRedactor({ paths: options.redact ?? [] });
  const replica = options.replicaId;
  const toStdout = options.file === '-';

  let seq = 0;
  let prev = GENESIS;
  let segmentReason: string | null = toStdout ? 'new chain on stdout' : null;
  let leadingNewline = false;
  let fd = 1;
  if (!toStdout) {
    const path = resolve(options.file);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, 'a+', 0o600);
    try {
      const stat = fstatSync(fd);
      if ((stat.mode & 0o077) !== 0 && typeof process.getuid === 'function' && stat.uid === process.getuid()) fchmodSync(fd, 0o600);
      const tail = readChainTail(fd);
      if (tail.kind === 'intact') {
        seq = tail.seq;
        prev = tail.hash;
        leadingNewline = tail.needsNewline;
      } else if (tail.kind === 'damaged') {
        segmentReason = `previous chain not continued: ${tail.reason}`;
        leadingNewline = tail.needsNewline;
        logger.warn({ file: path, reason: tail.reason }, 'audit log tail is damaged; starting a new segment');
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  const sonic = pino.destination({ fd, sync: false });
  let busy = false;
  let closed = false;
  let closing: Promise<void> | null = null;
  let dropped = 0;
  let failing = false;
  sonic.on('drain', () => {
    busy = false;
    failing = false;
  });
  sonic.on('error', (err: unknown) => {
    busy = false;
    if (!failing) logger.error({ err, file: options.file }, 'audit log write failed');
    failing = true;
  });

  function append(fields: Record<string, unknown>): void {
    const canonical = canonicalJson(fields, redactor);
    const hash = sha256Hex(canonical);
    seq = fields.seq as number;
    prev = hash;
    busy = true;
    sonic.write(sealLine(canonical, hash));
  }

  if (leadingNewline) {
    busy = true;
    sonic.write('\n');
  }
  if (segmentReason !== null) {
    seq = 0;
    prev = GENESIS;
    const at = clock.now();
    append({ seq: 1, prev: GENESIS, time: new Date(at).toISOString(), type: SEGMENT_TYPE, reason: segmentReason, ...(replica ? { replica } : {}) });
  }

  function waitIdle(): Promise<void> {
    if (!busy) return Promise.resolve();
    return new Promise((done) => {
      const finish = (): void => {
        sonic.off('drain', finish);
        sonic.off('error', finish);
        done();
      };
      sonic.on('drain', finish);
      sonic.on('error', finish);
    });
  }

  return {
    record(event: AirlockEvent): void {
      if (closed) {
        if (dropped++ === 0) logger.warn({ eventType: event.type }, 'audit record after close dropped');
        return;
      }
      try {
        append(toRecord(event, seq + 1, prev, clock, replica));
      } catch (err) {
        logger.error({ err, eventType: event.type }, 'audit record failed');
      }
    },
    async flush(): Promise<void> {
      if (closed) return closing ?? undefined;
      await waitIdle();
      if (!toStdout) {
        await new Promise<void>((done) => sonic.flush(() => done()));
      }
    },
    close(): Promise<void> {
      if (closing) return closing;
      closed = true;
      closing = (async () => {
        await waitIdle();
        await new Promise<void>((done) => {
          sonic.once('close', () => done());
          sonic.once('error', () => done());
          sonic.end();
        });
        if (dropped > 0) logger.warn({ dropped }, 'audit records after close were dropped');
      })();
      return closing;
    },
  };
}

/** The record for one event: its fields, `at` as an ISO `time`, and the chain fields. */
function toRecord(event: AirlockEvent, seq: number, prev: string, clock: Clock, replica: string | undefined): Record<string, unknown> {
  // Copied field by field: object rest/spread is several times slower on this path.
  const record: Record<string, unknown> = { seq, prev, time: new Date(Number.isFinite(event.at) ? event.at : clock.now()).toISOString(), type: event.type };
  if (replica !== undefined) record.replica = replica;
  if (event.subject !== undefined) record.subject = event.subject;
  if (event.deviceId !== undefined) record.deviceId = event.deviceId;
  if (event.source !== undefined) record.source = event.source;
  if (event.protocol !== undefined) record.protocol = event.protocol;
  if (event.target !== undefined) record.target = event.target;
  if (event.sessionId !== undefined) record.sessionId = event.sessionId;
  if (event.approvalId !== undefined) record.approvalId = event.approvalId;
  if (event.rules !== undefined) record.rules = event.rules;
  if (event.reason !== undefined) record.reason = event.reason;
  if (event.data !== undefined) record.data = event.data;
  return record;
}

/** Writes every bus event to the audit log; returns the unsubscribe function. */
export function attachAuditLog(bus: EventBus, audit: AuditLog, options: AttachAuditOptions = {}): () => void {
  if (options.includeAllowed === false) {
    return bus.on((event) => {
      if (event.type === 'verdict' && isRoutineAllow(event)) return;
      audit.record(event);
    });
  }
  return bus.on((event) => audit.record(event));
}

/** An allowed low-risk action decided by plain policy: what `include_allowed: false` leaves out. */
function isRoutineAllow(event: AirlockEvent): boolean {
  const data = event.data;
  return data !== undefined && data.allowed === true && data.risk === 'low' && data.path === 'policy';
}
