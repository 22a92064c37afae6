// The Slack channel's parts, loaded together and only when Slack is enabled (see channel-modules.ts).
export { SlackChannel } from './slack-channel.js';
export { SlackInteractions } from './slack-interactions.js';
export { SlackSocketMode } from './slack-socket-mode.js';
export { createSlackWebClient, slackUserLookup } from './slack-web-client.js';
