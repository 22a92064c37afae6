import { unwatchFile, watchFile } from 'node:fs';
import type { Command } from 'commander';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { startAirlock } from '../../src/server.js';
import { defaultConfigPath } from '../support/config-path.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the sidecar (default config: the demo, or AIRLOCK_CONFIG). SIGTERM drains; SIGHUP reloads the config file.')
    .option('--config <file>', 'configuration file (env AIRLOCK_CONFIG)')
    .action(async (options: { config?: string }) => {
      const path = options.config ?? defaultConfigPath();
      const server = await startAirlock(loadConfigFile(path));
      server.logger.info({ config: path }, `airlock ready (config ${path})`);

      const reload = (why: string) => {
        try {
          server.reload(loadConfigFile(path));
        } catch (err) {
          // An invalid new config is refused; the running one stays.
          const problems = err instanceof ConfigInvalidError ? [...err.problems] : [String(err)];
          server.bus.emit({ type: 'config.reload_failed', at: Date.now(), reason: problems.join('; ') });
          server.logger.error({ problems, trigger: why }, 'configuration reload refused; keeping the running configuration');
        }
      };
      process.on('SIGHUP', () => reload('SIGHUP'));
      // A Kubernetes ConfigMap update swaps a symlink; stat polling follows it where fs.watch would not.
      watchFile(path, { interval: 2000, persistent: false }, (current, previous) => {
        if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino) reload('file changed');
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        unwatchFile(path);
        server
          .shutdown(`received ${signal}`)
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            server.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
