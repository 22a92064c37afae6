// Embedded demo upstream: PGlite (PostgreSQL compiled to WebAssembly) behind
// pglite-socket, so `npm start` gives a real PostgreSQL wire endpoint with no
// install. Demo only: every client shares ONE backend session, COPY FROM STDIN
// does not work and CancelRequest is ignored (docs/operations.md). Never use it
// to test protocol behaviour.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from 'pino';
import { DEMO_SEED_SQL, DEMO_TABLES } from './demo-schema.js';

export interface EmbeddedPostgresOptions {
  /** Persist the database here (restarts reopen it in a fraction of the cold start); in memory when absent. */
  readonly dataDir?: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  /** Concurrent client sockets (pglite-socket needs at least 2; they still share one session). */
  readonly maxConnections?: number;
}

export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  /** True when this start created the demo schema (false when an existing data dir already had it). */
  readonly seeded: boolean;
  close(): Promise<void>;
}

const DEFAULT_MAX_CONNECTIONS = 16;

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 2) {
    throw new TypeError('maxConnections must be an integer of at least 2 (pglite-socket refuses the second client otherwise)');
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError('port must be an integer between 0 and 65535');
  }
  const { logger } = options;
  const started = performance.now();
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });

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
    server = new PGLiteSocketServer({ db, host: options.host, port: options.port, maxConnections });
    await server.start();
    const port = portOf(server.getServerConn());
    const elapsedMs = Math.round(performance.now() - started);
    logger.info(
      { host: options.host, port, persisted: options.dataDir !== undefined, seeded, startMs: elapsedMs },
      `embedded demo PostgreSQL ready in ${elapsedMs} ms (PGlite: one shared session, no COPY FROM STDIN, no cancel)`,
    );

    const running = server;
    let closing: Promise<void> | null = null;
    return {
      host: options.host,
      port,
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

function portOf(connection: string): number {
  const port = Number(connection.slice(connection.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`pglite-socket reported no port (${connection})`);
  return port;
}
