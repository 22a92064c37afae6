import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** --config, else AIRLOCK_CONFIG, else the demo config shipped in the repo. */
export function defaultConfigPath(): string {
  if (process.env.AIRLOCK_CONFIG) return process.env.AIRLOCK_CONFIG;
  // Works from cmd/ (tsx) and from dist/cmd/ (built).
  for (const relative of ['../../config/airlock.demo.yaml', '../../../config/airlock.demo.yaml']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  return 'config/airlock.demo.yaml';
}
