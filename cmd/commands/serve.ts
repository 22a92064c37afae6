import type { Command } from 'commander';
import { ConfigFileWatch } from '../../src/config/config-file-watch.js';
import { parseConfigFile, readConfigSource } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { defaultConfigPath } from '../support/config-path.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the sidecar (default config: the demo, or AIRLOCK_CONFIG). SIGTERM drains; SIGHUP reloads the config file (SIGUSR2: even when it removes targets, listeners or rules).')
    .option('--config <file>', 'configuration file (env AIRLOCK_CONFIG)')
    .action(async (options: { config?: string }) => {
      const path = options.config ?? defaultConfigPath();
      const initial = readConfigSource(path);
      // The server (and what it needs) loads only for serve, so the other commands start fast.
      const { startAirlock } = await import('../../src/server.js');
      const server = await startAirlock(parseConfigFile(initial, path));
      server.logger.info({ config: path }, `airlock ready (config ${path})`);

      const reload = (source: string, trigger: string, force = false) => {
        try {
          server.reload(parseConfigFile(source, path), { force });
        } catch (err) {
          // An invalid new config, or one that would drop what the running one enforces, is refused; the running one stays.
          const problems = err instanceof ConfigInvalidError ? [...err.problems] : [String(err)];
          server.bus.emit({ type: 'config.reload_failed', at: Date.now(), reason: problems.join('; '), data: { trigger } });
          server.logger.error({ problems, trigger }, 'configuration reload refused; keeping the running configuration');
        }
      };
      const watch = new ConfigFileWatch(path, initial, (source, trigger) => reload(source, trigger));
      watch.start();
      // SIGHUP: reload now (once: the watcher does not reload the same text again). SIGUSR2: reload even
      // if the new file removes targets, listeners or rules (the operator's explicit --force).
      process.on('SIGHUP', () => watch.check('SIGHUP'));
      process.on('SIGUSR2', () => reload(readConfigSource(path), 'SIGUSR2 (forced)', true));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        watch.stop();
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
