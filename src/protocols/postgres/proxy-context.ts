import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { CommandClassifier } from '../../classifiers/command-classifier.js';
import type { AirlockConfig, PostgresTargetConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import type { CancelKeys } from './cancel-keys.js';
import type { ParseWorkerPool } from '../../classifiers/sql/parse-worker-pool.js';
import type { ProxyCounters } from './proxy-stats.js';
import type { TargetCatalog } from './target-catalog.js';
import type { UpstreamPrivileges } from './upstream-privileges.js';

/** Everything a connection needs from the proxy; built once by createPostgresProxy. */
export interface ProxyContext {
  readonly config: AirlockConfig['postgres'];
  readonly targets: ReadonlyMap<string, PostgresTargetConfig>;
  readonly gate: Gate;
  readonly classifier: CommandClassifier;
  /** Each target's catalog for name resolution; a target without one keeps the rules that assume built-ins. */
  readonly catalogs: ReadonlyMap<string, TargetCatalog>;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  readonly secureContext: SecureContext | null;
  readonly cancelKeys: CancelKeys;
  readonly counters: ProxyCounters;
  /** PEM of each target's `upstream.ca_file`, read on first use. */
  caFor(target: PostgresTargetConfig): Promise<string | undefined>;
  /** Where approvers act, for notices when the gate gives no URL. */
  readonly publicUrl?: string;
  /** True once close() started: new statements are refused. */
  readonly closing: boolean;
  /** Parses statements of `config.parse_offload_chars` and more off the event loop. */
  readonly parsePool: ParseWorkerPool;
  /** Targets and upstream roles whose privileges were already read (privilegeKey). */
  readonly privilegesChecked: Set<string>;
  /** Told when an upstream role is a superuser or reaches the host (for a metric). */
  readonly onPrivilegedUpstream?: (target: string, user: string, privileges: UpstreamPrivileges) => void;
}
