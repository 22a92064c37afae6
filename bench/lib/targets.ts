// A target is a name, the service it needs started, and how a client connects
// to it. Adding a protocol or a proxy to compare is adding an entry here.
import { BENCH_TARGET } from './airlock-config.js';
import { BENCH_DATABASE, UPSTREAM, startAirlock, startNodeRelay, startPgBouncer, type AirlockService, type Service, type ServiceContext } from './services.js';

export interface ConnectionParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password?: string;
  readonly sslmode: 'disable' | 'require';
}

export type ServiceKind = 'pgbouncer' | 'pgbouncer-tls' | 'node-relay' | 'airlock' | 'airlock-baseline';

export interface TargetDefinition {
  readonly name: string;
  readonly description: string;
  /** The service this target connects through; null for the upstream itself. */
  readonly service: ServiceKind | null;
  connection(service: Service | null): ConnectionParams;
}

function required<T extends Service>(service: Service | null, target: string): T {
  if (!service) throw new Error(`target ${target}: its service is not running`);
  return service as T;
}

/** A plaintext connection to a peer in front of the bench database (PgBouncer, the Node relay). */
function plainConnection(service: Service | null, target: string): ConnectionParams {
  const svc = required(service, target);
  return { host: svc.host, port: svc.port, user: UPSTREAM.user, database: BENCH_DATABASE, sslmode: 'disable' };
}

/** A client-TLS connection to PgBouncer (sslmode=require, as for airlock-tls). */
function tlsConnection(service: Service | null, target: string): ConnectionParams {
  return { ...plainConnection(service, target), sslmode: 'require' };
}

/** A connection through an Airlock service, with its bench token as the password. */
function airlockConnection(service: Service | null, target: string, sslmode: ConnectionParams['sslmode']): ConnectionParams {
  const svc = required<AirlockService>(service, target);
  return { host: svc.host, port: svc.port, user: 'bench', database: BENCH_TARGET, password: svc.token, sslmode };
}

export const TARGETS: readonly TargetDefinition[] = [
  {
    name: 'direct',
    description: 'PostgreSQL itself (TCP loopback)',
    service: null,
    connection: () => ({ host: UPSTREAM.host, port: UPSTREAM.port, user: UPSTREAM.user, database: BENCH_DATABASE, sslmode: 'disable' }),
  },
  {
    name: 'pgbouncer',
    description: 'PgBouncer, session pooling, trust auth',
    service: 'pgbouncer',
    connection: (s) => plainConnection(s, 'pgbouncer'),
  },
  {
    name: 'node-relay',
    description: 'plain Node.js byte relay (net + pipe, setNoDelay)',
    service: 'node-relay',
    connection: (s) => plainConnection(s, 'node-relay'),
  },
  {
    name: 'airlock',
    description: 'Airlock, plaintext on loopback, JWT password',
    service: 'airlock',
    connection: (s) => airlockConnection(s, 'airlock', 'disable'),
  },
  {
    name: 'airlock-tls',
    description: 'Airlock, same process, client TLS (sslmode=require)',
    service: 'airlock',
    connection: (s) => airlockConnection(s, 'airlock-tls', 'require'),
  },
  {
    name: 'pgbouncer-tls',
    description: 'PgBouncer, session pooling, client TLS (client_tls_sslmode=require, self-signed P-256 certificate; sslmode=require), plaintext upstream',
    service: 'pgbouncer-tls',
    connection: (s) => tlsConnection(s, 'pgbouncer-tls'),
  },
  {
    name: 'airlock-baseline',
    description: 'Airlock built from another tree (AIRLOCK_BENCH_BASELINE=DIR, built with npm run build there), plaintext: the before of a change, in the same run',
    service: 'airlock-baseline',
    connection: (s) => airlockConnection(s, 'airlock-baseline', 'disable'),
  },
];

export const SERVICE_STARTERS: Readonly<Record<ServiceKind, (ctx: ServiceContext) => Promise<Service>>> = {
  pgbouncer: (ctx) => startPgBouncer(ctx),
  'pgbouncer-tls': (ctx) => startPgBouncer(ctx, { clientTls: true }),
  'node-relay': startNodeRelay,
  airlock: (ctx) => startAirlock(ctx),
  'airlock-baseline': (ctx) => {
    const baseline = process.env['AIRLOCK_BENCH_BASELINE'];
    if (!baseline) throw new Error('target airlock-baseline needs AIRLOCK_BENCH_BASELINE=DIR (a built checkout of the commit to compare with)');
    return startAirlock({ ...ctx, repoRoot: baseline }, { name: 'airlock-baseline', dataDir: `${ctx.workDir}/airlock-baseline-data` });
  },
};

/** The targets run when --targets is not given: every one, but airlock-baseline only when AIRLOCK_BENCH_BASELINE names its tree. */
export function defaultTargets(): TargetDefinition[] {
  return TARGETS.filter((t) => t.name !== 'airlock-baseline' || Boolean(process.env['AIRLOCK_BENCH_BASELINE']));
}

/** libpq environment for a connection (pgbench, psql). */
export function libpqEnv(c: ConnectionParams): Record<string, string> {
  return {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: c.database,
    PGSSLMODE: c.sslmode,
    ...(c.password === undefined ? {} : { PGPASSWORD: c.password }),
  };
}
