import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import ssh2 from 'ssh2';
import type { ShellClassifier } from '../../classifiers/shell/index.js';
import type { AirlockConfig, ShellTargetConfig } from '../../config/schema.js';
import type { Gate } from '../../gate/gate.js';
import type { SessionRegistry } from '../../gate/session-registry.js';
import type { HostKey } from './host-key.js';
import type { ShellRecordings } from './shell-recordings.js';
import { type PublicKeyLookup, SshConnection } from './ssh-connection.js';

export interface ShellGatewayInit {
  readonly config: AirlockConfig['shell'];
  readonly targets: readonly ShellTargetConfig[];
  readonly gate: Gate;
  readonly classifier: ShellClassifier;
  readonly sessions: SessionRegistry;
  readonly hostKey: HostKey;
  readonly logger: Logger;
  readonly publicUrl?: string;
  /** Public keys engineers registered (`airlock ssh-key add`). */
  readonly publicKeys?: PublicKeyLookup;
  /** Every session channel is recorded through it. */
  readonly recordings: ShellRecordings;
}

export interface ShellGateway {
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting; live sessions are told why and ended. */
  close(reason?: string): Promise<void>;
}

/** The SSH front end of the shell gateway: plain `ssh -p PORT TARGET@airlock [COMMAND]`. */
export function createShellGateway(init: ShellGatewayInit): ShellGateway {
  const targets = new Map(init.targets.map((t) => [t.name, t]));
  const connections = new Set<SshConnection>();
  const server = new ssh2.Server({ hostKeys: [init.hostKey.privateKey], ident: 'Airlock' }, (client, info) => {
    const connection = new SshConnection(client, info, {
      targets,
      gate: init.gate,
      classifier: init.classifier,
      sessions: init.sessions,
      logger: init.logger,
      noticeIntervalMs: init.config.notice_interval,
      recordings: init.recordings,
      ...(init.publicUrl ? { publicUrl: init.publicUrl } : {}),
      ...(init.publicKeys ? { publicKeys: init.publicKeys } : {}),
    });
    connections.add(connection);
    client.on('close', () => connections.delete(connection));
  });
  server.on('error', (err: Error) => init.logger.error({ err }, 'ssh listener error'));

  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(init.config.listen.port, init.config.listen.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      }),
    close: (reason = 'airlock is shutting down') =>
      new Promise((resolve) => {
        // Verdicts given just before (held commands denied at shutdown) reach their clients first.
        setImmediate(() => {
          for (const connection of connections) connection.terminate(reason);
        });
        server.close(() => resolve());
        // Connections end shortly after being told; the listener closes when they have.
        setTimeout(resolve, 2000).unref();
      }),
  };
}
