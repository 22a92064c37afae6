import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../audit/events.js';
import type { AirlockConfig } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import type { Clock } from '../../time/clock.js';
import { ApproverDirectory } from '../approver-directory.js';
import type { ApprovalChannel } from './channel.js';
import { ConsoleChannel } from './console.js';
import type { DecisionSink } from '../decision-input.js';
import type { SlackInteractions } from './slack-interactions.js';
import { WebhookChannel } from './webhook-channel.js';
import type { ChannelModules } from './channel-modules.js';
import { PushSubscriptions } from '../push-subscriptions.js';
import type { VapidKeys } from './vapid-keys.js';

export interface ChannelDeps {
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly store: Store;
  readonly registry: Registry;
  readonly sink: DecisionSink;
  /** The channel implementations the config enables, already loaded (loadChannelModules). */
  readonly modules: ChannelModules;
  /** The VAPID key pair when push is enabled (server.ts loads or creates it). */
  readonly vapidKeys?: VapidKeys;
}

export interface Channels {
  readonly channels: readonly ApprovalChannel[];
  readonly directory: ApproverDirectory;
  /** Present when Slack is enabled: the HTTP interactivity endpoint feeds it. */
  readonly slackInteractions: SlackInteractions | null;
  /** Present when push is enabled: the subscription routes store into it. */
  readonly push: { readonly subscriptions: PushSubscriptions; readonly publicKey: string } | null;
  close(): Promise<void>;
}

/** Builds the approval channels a config asks for (console, Slack, webhook, email, push). */
export function createChannels(config: AirlockConfig, deps: ChannelDeps): Channels {
  const { logger, bus, clock, store, registry } = deps;
  const channels: ApprovalChannel[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  if (config.approvals.channels.console.enabled) channels.push(new ConsoleChannel(logger.child({ component: 'approvals' })));

  const slack = config.approvals.channels.slack;
  const slackParts = deps.modules.slack;
  if (slack?.enabled && !slackParts) throw new TypeError('the Slack channel is enabled but its module was not loaded (loadChannelModules)');
  const slackClient = slack?.enabled && slackParts ? slackParts.createSlackWebClient(slack, logger.child({ component: 'slack' })) : null;
  const directory = new ApproverDirectory({
    entries: config.approvals.directory,
    ...(slack ? { slackUsers: slack.users, lookupByEmail: slack.lookup_by_email } : {}),
    ...(slackClient && slackParts ? { slack: slackParts.slackUserLookup(slackClient) } : {}),
    clock,
    logger,
  });

  let slackInteractions: SlackInteractions | null = null;
  if (slack?.enabled && slackClient && slackParts) {
    const { SlackChannel, SlackInteractions, SlackSocketMode } = slackParts;
    channels.push(new SlackChannel({ config: slack, client: slackClient, directory, logger: logger.child({ component: 'slack' }), bus, clock, registry, refs: store }));
    slackInteractions = new SlackInteractions({ client: slackClient, directory, sink: deps.sink, bus, logger: logger.child({ component: 'slack' }), clock });
    if (slack.socket_mode && slack.app_token) {
      const socket = new SlackSocketMode({ appToken: slack.app_token, ...(slack.api_url ? { apiUrl: slack.api_url } : {}), interactions: slackInteractions, logger: logger.child({ component: 'slack-socket' }) });
      void socket.start();
      closers.push(() => socket.close());
    }
  }
  const webhook = config.approvals.channels.webhook;
  if (webhook?.enabled) {
    channels.push(new WebhookChannel({ config: webhook, logger: logger.child({ component: 'webhook' }), bus, clock, registry }));
  }
  const email = config.approvals.channels.email;
  if (email?.enabled) {
    const EmailChannel = deps.modules.email?.EmailChannel;
    if (!EmailChannel) throw new TypeError('the email channel is enabled but its module was not loaded (loadChannelModules)');
    channels.push(new EmailChannel({ config: email, logger: logger.child({ component: 'email' }), bus, clock, registry }));
  }
  let push: Channels['push'] = null;
  const pushConfig = config.approvals.channels.push;
  if (pushConfig?.enabled) {
    const PushChannel = deps.modules.push?.PushChannel;
    if (!PushChannel) throw new TypeError('the push channel is enabled but its module was not loaded (loadChannelModules)');
    if (!deps.vapidKeys) throw new TypeError('the push channel is enabled but no VAPID keys were given');
    const subscriptions = new PushSubscriptions({ store, clock, maxPerUser: pushConfig.max_subscriptions_per_user, endpointHosts: pushConfig.endpoint_hosts });
    channels.push(new PushChannel({ config: pushConfig, keys: deps.vapidKeys, subscriptions, directory, logger: logger.child({ component: 'push' }), bus, clock, registry }));
    push = { subscriptions, publicKey: deps.vapidKeys.publicKey };
  }
  return {
    channels,
    directory,
    slackInteractions,
    push,
    async close() {
      for (const channel of channels) await channel.close();
      for (const close of closers) await close();
    },
  };
}
