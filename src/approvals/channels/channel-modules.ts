import type { AirlockConfig } from '../../config/schema.js';

/**
 * The channel implementations with heavy dependencies (Slack's SDK with its
 * HTTP client and WebSocket, nodemailer), loaded only when a config enables
 * them: a sidecar without Slack starts without paying for it.
 */
export interface ChannelModules {
  readonly slack?: typeof import('./slack-parts.js');
  readonly email?: typeof import('./email-channel.js');
}

/** What `config` needs that `loaded` lacks, loaded; everything already loaded is kept. */
export async function loadChannelModules(config: AirlockConfig, loaded: ChannelModules = {}): Promise<ChannelModules> {
  const { slack, email } = config.approvals.channels;
  const [slackModule, emailModule] = await Promise.all([
    slack?.enabled && !loaded.slack ? import('./slack-parts.js') : Promise.resolve(loaded.slack),
    email?.enabled && !loaded.email ? import('./email-channel.js') : Promise.resolve(loaded.email),
  ]);
  return { ...(slackModule ? { slack: slackModule } : {}), ...(emailModule ? { email: emailModule } : {}) };
}

/** Whether `modules` has everything `config` enables. */
export function hasChannelModules(config: AirlockConfig, modules: ChannelModules): boolean {
  const { slack, email } = config.approvals.channels;
  return (!slack?.enabled || modules.slack !== undefined) && (!email?.enabled || modules.email !== undefined);
}
