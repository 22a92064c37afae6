import type { AirlockConfig } from '../../config/schema.js';

/**
 * The channel implementations with heavy dependencies (Slack's SDK with its
 * HTTP client and WebSocket, nodemailer), loaded only when a config enables
 * them: a sidecar without Slack starts without paying for it. The push
 * channel brings web-push (its encryption and VAPID signing).
 */
export interface ChannelModules {
  readonly slack?: typeof import('./slack-parts.js');
  readonly email?: typeof import('./email-channel.js');
  readonly push?: typeof import('./push-channel.js');
}

/** What `config` needs that `loaded` lacks, loaded; everything already loaded is kept. */
export async function loadChannelModules(config: AirlockConfig, loaded: ChannelModules = {}): Promise<ChannelModules> {
  const { slack, email, push } = config.approvals.channels;
  const [slackModule, emailModule, pushModule] = await Promise.all([
    slack?.enabled && !loaded.slack ? import('./slack-parts.js') : Promise.resolve(loaded.slack),
    email?.enabled && !loaded.email ? import('./email-channel.js') : Promise.resolve(loaded.email),
    push?.enabled && !loaded.push ? import('./push-channel.js') : Promise.resolve(loaded.push),
  ]);
  return { ...(slackModule ? { slack: slackModule } : {}), ...(emailModule ? { email: emailModule } : {}), ...(pushModule ? { push: pushModule } : {}) };
}

/** Whether `modules` has everything `config` enables. */
export function hasChannelModules(config: AirlockConfig, modules: ChannelModules): boolean {
  const { slack, email, push } = config.approvals.channels;
  return (!slack?.enabled || modules.slack !== undefined) && (!email?.enabled || modules.email !== undefined) && (!push?.enabled || modules.push !== undefined);
}
