import pg from 'pg';
import type { Logger } from 'pino';
import { CatalogResolution } from '../../classifiers/sql/catalog-resolution.js';
import { CatalogSnapshot } from '../../classifiers/sql/catalog-snapshot.js';
import type { StoredCode } from '../../classifiers/sql/stored-code.js';
import type { PostgresTargetConfig } from '../../config/schema.js';
import type { Classification } from '../../model/action.js';
import { readCatalog, readCatalogSignature } from './catalog-reader.js';

export interface TargetCatalogOptions {
  readonly target: PostgresTargetConfig;
  /** Milliseconds between checks for catalog changes. */
  readonly refreshInterval: number;
  readonly classifyStored: (code: StoredCode) => Classification;
  readonly caFor: (target: PostgresTargetConfig) => Promise<string | undefined>;
  readonly logger: Logger;
}

/** After a DDL statement is classified, look again this soon (it runs once allowed). */
const AFTER_DDL_CHECKS = [50, 250, 1000];
const DDL_KIND = /^(create|alter|drop|comment|grant|revoke|security_label|refresh|import)/;

/**
 * One target's catalog, read over Airlock's own connection to it (as the
 * target's upstream user), kept current by a cheap fingerprint query on an
 * interval and soon after DDL passes through, and used to resolve the names
 * of every statement before the Gate sees it.
 */
export class TargetCatalog {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private resolution: CatalogResolution | null = null;
  private signature = '';
  private generation = 0;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private stale = false;
  private readonly log: Logger;

  constructor(private readonly options: TargetCatalogOptions) {
    this.log = options.logger.child({ target: options.target.name });
  }

  get loaded(): boolean {
    return this.resolution !== null;
  }

  /** Resolves once a catalog has been read; rejects when it cannot be (the session is then refused). */
  ready(): Promise<void> {
    if (this.resolution) return Promise.resolve();
    return this.refresh();
  }

  /** The classification with what its names resolve to in this database. */
  refine(classification: Classification): Classification {
    const kinds = classification.facts.kinds;
    for (let i = 0; i < kinds.length; i++) {
      if (DDL_KIND.test(kinds[i] as string)) {
        this.soon();
        break;
      }
    }
    const resolution = this.resolution;
    // Sessions start only once the catalog is read; should one get here first, or should the catalog
    // have changed in a way that could not be read, what names resolve to is not guessed.
    if (resolution === null || this.stale) return unresolved(classification);
    return resolution.refine(classification);
  }

  /** Reads the catalog again when its fingerprint changed (or was never read). */
  refresh(): Promise<void> {
    if (this.loading) return this.loading;
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.log.warn({ err: errorText(err) }, 'checking the target catalog for changes failed'));
    }, this.options.refreshInterval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private soon(): void {
    for (const delay of AFTER_DDL_CHECKS) {
      setTimeout(() => {
        if (!this.closed) this.refresh().catch(() => undefined);
      }, delay).unref();
    }
  }

  private async load(): Promise<void> {
    if (this.closed) throw new Error('catalog closed');
    let client: pg.Client;
    try {
      client = await this.connection();
      const signature = await readCatalogSignature(client);
      if (signature === this.signature && this.resolution) return;
      const started = performance.now();
      let data;
      try {
        data = await readCatalog(client);
      } catch (err) {
        // The catalog changed and its new state is unknown: the old one must not keep deciding.
        if (this.resolution) this.stale = true;
        throw err;
      }
      const snapshot = new CatalogSnapshot(data, ++this.generation);
      this.resolution = new CatalogResolution(snapshot, this.options.classifyStored);
      this.signature = signature;
      this.stale = false;
      this.log.info(
        { generation: snapshot.generation, functions: data.functions.length, relationsWithCode: data.relations.length, ms: Math.round(performance.now() - started) },
        'target catalog read',
      );
    } catch (err) {
      // A broken connection is replaced on the next attempt; the last catalog read stays in use.
      const broken = this.client;
      this.client = null;
      await broken?.end().catch(() => undefined);
      throw err;
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async connect(plain = false): Promise<pg.Client> {
    const { target } = this.options;
    const upstream = target.upstream;
    const client = new pg.Client({
      host: upstream.host,
      port: upstream.port,
      database: upstream.database ?? target.name,
      user: upstream.user,
      ...(upstream.password !== undefined ? { password: upstream.password } : {}),
      ssl: await this.ssl(plain),
      connectionTimeoutMillis: upstream.connect_timeout,
      application_name: 'airlock-catalog',
      // Client-side: a startup statement_timeout is refused by PgBouncer; the server-side one is set per transaction (catalog-reader.ts).
      query_timeout: 35_000,
    });
    client.on('error', (err) => {
      this.log.warn({ err: err.message }, 'target catalog connection failed');
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
    } catch (err) {
      // `prefer` falls back to plaintext, as libpq does, when the server has no TLS.
      if (target.upstream.tls === 'prefer' && !plain && /does not support SSL/i.test(errorText(err))) return this.connect(true);
      throw err;
    }
    this.client = client;
    return client;
  }

  private async ssl(plain: boolean): Promise<pg.ClientConfig['ssl']> {
    const { target } = this.options;
    if (plain) return false;
    switch (target.upstream.tls) {
      case 'disable':
        return false;
      case 'prefer':
      case 'require':
        return { rejectUnauthorized: false };
      case 'verify-full': {
        const ca = await this.options.caFor(target);
        return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
      }
    }
  }
}

function unresolved(classification: Classification): Classification {
  const risk = classification.risk === 'critical' ? 'critical' : 'high';
  return { risk, facts: { ...classification.facts, flags: [...classification.facts.flags, 'catalog_unavailable'].sort() } };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
