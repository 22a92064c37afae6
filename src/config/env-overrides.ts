// Secrets and a few operational settings can come from the environment, so a
// ConfigMap holds policy and a Secret holds credentials.

interface Override {
  readonly env: string;
  readonly path: readonly string[];
  /** Only set when the parent section is already configured (a lone secret must not enable a channel). */
  readonly requiresParent: boolean;
}

export const ENV_OVERRIDES: readonly Override[] = [
  { env: 'AIRLOCK_LOG_LEVEL', path: ['log', 'level'], requiresParent: false },
  { env: 'AIRLOCK_PUBLIC_URL', path: ['server', 'public_url'], requiresParent: false },
  { env: 'AIRLOCK_DATA_DIR', path: ['server', 'data_dir'], requiresParent: false },
  { env: 'AIRLOCK_REPLICA_ID', path: ['server', 'replica_id'], requiresParent: false },
  { env: 'AIRLOCK_TOTP_ENCRYPTION_KEY', path: ['step_up', 'totp', 'encryption_key'], requiresParent: false },
  { env: 'AIRLOCK_REDIS_URL', path: ['store', 'redis', 'url'], requiresParent: true },
  { env: 'AIRLOCK_REDIS_PASSWORD', path: ['store', 'redis', 'password'], requiresParent: true },
  { env: 'AIRLOCK_SLACK_BOT_TOKEN', path: ['approvals', 'channels', 'slack', 'bot_token'], requiresParent: true },
  { env: 'AIRLOCK_SLACK_SIGNING_SECRET', path: ['approvals', 'channels', 'slack', 'signing_secret'], requiresParent: true },
  { env: 'AIRLOCK_SLACK_APP_TOKEN', path: ['approvals', 'channels', 'slack', 'app_token'], requiresParent: true },
  { env: 'AIRLOCK_WEBHOOK_SECRET', path: ['approvals', 'channels', 'webhook', 'secret'], requiresParent: true },
  { env: 'AIRLOCK_PUSH_VAPID_PRIVATE_KEY', path: ['approvals', 'channels', 'push', 'vapid_private_key'], requiresParent: true },
];

function ensureObject(parent: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const existing = parent[key];
  if (existing === undefined || existing === null) {
    const created: Record<string, unknown> = {};
    parent[key] = created;
    return created;
  }
  return typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : null;
}

export function applyEnvOverrides(config: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const override of ENV_OVERRIDES) {
    const value = env[override.env];
    if (value === undefined || value === '') continue;
    let node: Record<string, unknown> | null = config;
    const parents = override.path.slice(0, -1);
    for (const [index, key] of parents.entries()) {
      if (override.requiresParent && index === parents.length - 1 && (node[key] === undefined || node[key] === null)) {
        node = null;
        break;
      }
      node = ensureObject(node, key);
      if (node === null) break;
    }
    if (node !== null) node[override.path.at(-1) as string] = value;
  }
  // Upstream passwords per target: AIRLOCK_TARGET_<NAME>_PASSWORD (name upper-cased, - and . as _).
  const targets = config['targets'];
  if (Array.isArray(targets)) {
    for (const target of targets) {
      if (target === null || typeof target !== 'object') continue;
      const t = target as Record<string, unknown>;
      if (typeof t['name'] !== 'string') continue;
      const value = env[`AIRLOCK_TARGET_${t['name'].toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`];
      if (value === undefined || value === '') continue;
      const upstream = ensureObject(t, 'upstream');
      if (upstream) upstream['password'] = value;
    }
  }
}
