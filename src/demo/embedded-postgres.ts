// Embedded demo upstream: PGlite (PostgreSQL compiled to WebAssembly) behind
// pglite-socket, so `npm start` gives a real PostgreSQL wire endpoint with no
// install. Demo only: every client shares ONE backend session, COPY FROM STDIN
// does not work and CancelRequest is ignored (docs/operations.md). Never use it
// to test protocol behaviour.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from 'pino';
import { ConfigInvalidError } from '../errors.js';
import { DEMO_SEED_SQL, DEMO_TABLES } from './demo-schema.js';

export interface EmbeddedPostgresOptions {
  /** Persist the database here (restarts reopen it in a fraction of the cold start); in memory when absent. */
  readonly dataDir?: string;
  /**
   * A directory only this user can enter (mode 0700): the database listens on
   * a Unix-domain socket in it, never on a TCP port, so nobody reaches it
   * without going through Airlock.
   */
  readonly socketDir: string;
  readonly logger: Logger;
  /** Concurrent client sockets (pglite-socket needs at least 2; they still share one session). */
  readonly maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** The socket directory, as a libpq-style `host` for the upstream config. */
  readonly host: string;
  /** The `.s.PGSQL.<port>` suffix of the socket's name. */
  readonly port: number;
  /** True when this start created the demo schema (false when an existing data dir already had it). */
  readonly seeded: boolean;
  close(): Promise<void>;
}

const DEFAULT_MAX_CONNECTIONS = 16;
/** The suffix of the socket's name, as PostgreSQL names its own (`.s.PGSQL.5432`). */
const SOCKET_PORT = 5432;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 2) {
    throw new TypeError('maxConnections must be an integer of at least 2 (pglite-socket refuses the second client otherwise)');
  }
  const { logger } = options;
  const started = performance.now();
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(options.socketDir, { recursive: true, mode: 0o700 });
  // Whoever created it, only this user may enter it: the socket behind it has no authentication.
  chmodSync(options.socketDir, 0o700);
  const socketPath = join(options.socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  rmSync(socketPath, { force: true }); // a stale socket of a previous run

  const { PGlite, PGLiteSocketServer } = await loadPglite();
  // PGlite prints its backend's output itself unless given these hooks; keep it in our logs.
  const db = await PGlite.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    onStdout: (text: string) => {
      logger.debug({ pglite: text.trimEnd() }, 'pglite stdout');
      return true;
    },
    onStderr: (text: string) => {
      logger.debug({ pglite: text.trimEnd() }, 'pglite stderr');
      return true;
    },
  });

  let server: PGLiteSocketServer | null = null;
  try {
    const seeded = await seedDemoSchema(db);
    server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
    await server.start();
    chmodSync(socketPath, 0o600);
    const elapsedMs = Math.round(performance.now() - started);
    // No address in the log: the only way in is through Airlock.
    logger.info(
      { persisted: options.dataDir !== undefined, seeded, startMs: elapsedMs },
      `embedded demo PostgreSQL ready in ${elapsedMs} ms on a private Unix socket (PGlite: one shared session, no COPY FROM STDIN, no cancel)`,
    );

    const running = server;
    let closing: Promise<void> | null = null;
    return {
      host: options.socketDir,
      port: SOCKET_PORT,
      seeded,
      close() {
        closing ??= (async () => {
          await running.stop();
          await db.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Creates and fills the demo tables unless any of them already exists; returns whether it did. */
/**
 * PGlite is an optional dependency: `npm ci` installs it for the demo, the
 * production image leaves it out (`--omit=optional`). A config asking for
 * an embedded target there gets a clear error instead of a missing module.
 */
async function loadPglite(): Promise<{ PGlite: typeof PGlite; PGLiteSocketServer: typeof PGLiteSocketServer }> {
  try {
    const [core, socket] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
    return { PGlite: core.PGlite, PGLiteSocketServer: socket.PGLiteSocketServer };
  } catch (err) {
    throw new ConfigInvalidError('a target has embedded: true, but the embedded demo database (@electric-sql/pglite) is not installed here: it is demo only, and left out of the production image; use a real upstream', [
      `loading it failed: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
}

async function seedDemoSchema(db: PGlite): Promise<boolean> {
  const existing = await db.query<{ present: number }>(
    `select count(*)::int as present from pg_catalog.pg_tables where schemaname = 'public' and tablename = any($1::text[])`,
    [[...DEMO_TABLES]],
  );
  if ((existing.rows[0]?.present ?? 0) > 0) return false;
  await db.transaction(async (tx) => {
    await tx.exec(DEMO_SEED_SQL);
  });
  return true;
}
