import { SocketModeClient } from '@slack/socket-mode';
import type { Logger } from 'pino';
import type { SlackAck } from './slack-interactions.js';
import { slackErrorName, slackLogger } from './slack-web-client.js';

export interface SlackSocketModeDeps {
  /** xapp- app-level token with connections:write. */
  readonly appToken: string;
  /** Slack Web API base URL (tests). */
  readonly apiUrl?: string;
  /** The same handling the HTTP endpoint uses. */
  readonly interactions: { handle(payload: unknown): Promise<SlackAck> };
  readonly logger: Logger;
}

interface InteractiveEnvelope {
  readonly ack: (response?: Record<string, unknown>) => Promise<void>;
  readonly body: unknown;
}

/**
 * Receives interactivity over Socket Mode, for sidecars without a public
 * URL. Payloads arrive over an authenticated WebSocket, so there is no
 * signature to check; they go to the same handler as HTTP, and each is
 * acknowledged with the same answer the HTTP endpoint would give.
 */
export class SlackSocketMode {
  private readonly client: SocketModeClient;
  private readonly logger: Logger;

  constructor(private readonly deps: SlackSocketModeDeps) {
    if (!deps.appToken) throw new TypeError('SlackSocketMode: appToken is required');
    this.logger = deps.logger;
    this.client = new SocketModeClient({
      appToken: deps.appToken,
      logger: slackLogger(this.logger),
      clientOptions: {
        ...(deps.apiUrl ? { slackApiUrl: deps.apiUrl.endsWith('/') ? deps.apiUrl : `${deps.apiUrl}/` } : {}),
        retryConfig: { retries: 10, factor: 1.6, minTimeout: 1000, maxTimeout: 60_000, randomize: true },
      },
    });
    this.client.on('interactive', (envelope: InteractiveEnvelope) => void this.onInteractive(envelope));
  }

  /**
   * Connects; resolves once connected, or with false if the first connection
   * failed (the client keeps reconnecting on its own). Never rejects, so the
   * sidecar's boot need not wait for Slack: `void socket.start()`.
   */
  async start(): Promise<boolean> {
    try {
      await this.client.start();
      this.logger.info('Slack Socket Mode connected');
      return true;
    } catch (err) {
      this.logger.error({ error: slackErrorName(err) }, 'Slack Socket Mode could not connect');
      return false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.disconnect();
    } catch (err) {
      this.logger.warn({ error: slackErrorName(err) }, 'Slack Socket Mode disconnect failed');
    }
  }

  private async onInteractive({ ack, body }: InteractiveEnvelope): Promise<void> {
    let response: Record<string, unknown> | undefined;
    try {
      response = (await this.deps.interactions.handle(body)).body;
    } catch (err) {
      this.logger.error({ error: slackErrorName(err) }, 'Slack Socket Mode interaction failed');
    }
    try {
      await ack(response);
    } catch (err) {
      this.logger.warn({ error: slackErrorName(err) }, 'Slack Socket Mode ack failed');
    }
  }
}
