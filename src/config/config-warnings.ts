import type { AirlockConfig } from './schema.js';

/**
 * Things a valid configuration may still get wrong, for `check-config` to
 * point out: each names the path and what to do instead.
 */
export function configWarnings(config: AirlockConfig): string[] {
  const warnings: string[] = [];
  config.targets.forEach((target, index) => {
    if (target.protocol !== 'postgres' || target.embedded) return;
    const logins = [target.upstream.user, ...target.roles.map((role) => role.user)];
    if (logins.includes('postgres')) {
      warnings.push(
        `targets[${index}] (${target.name}): logs in upstream as "postgres", a superuser in a default installation; any statement the gate misses then compromises the host. Create a least-privilege role (docs/postgres.md, "A least-privilege upstream role").`,
      );
    }
  });
  return warnings;
}
