import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from 'pino';
import type { SlackConfig } from '../../config/sections/approvals.js';
import type { SlackUserLookup } from '../approver-directory.js';
import { maskSecrets } from './secret-mask.js';

export interface SlackRetryTuning {
  /** First backoff delay (ms); tests shrink it. Rate limits wait for Retry-After regardless. */
  readonly minTimeoutMs?: number;
  readonly maxTimeoutMs?: number;
}

/**
 * One WebClient for the channel, the directory and the interactivity handler.
 * The SDK retries rate limits (honouring Retry-After), network errors and
 * 5xx with backoff; we bound how long, because a retry of a stale
 * notification is worth less than the next one.
 */
export function createSlackWebClient(config: Pick<SlackConfig, 'bot_token' | 'api_url' | 'timeout' | 'retries'>, logger: Logger, tuning: SlackRetryTuning = {}): WebClient {
  return new WebClient(config.bot_token, {
    ...(config.api_url ? { slackApiUrl: config.api_url.endsWith('/') ? config.api_url : `${config.api_url}/` } : {}),
    logger: slackLogger(logger.child({ component: 'slack-sdk' })),
    timeout: config.timeout,
    retryConfig: {
      retries: config.retries,
      factor: 2,
      minTimeout: tuning.minTimeoutMs ?? 500,
      maxTimeout: tuning.maxTimeoutMs ?? 30_000,
      randomize: true,
    },
    // Absolute URLs as method names would let a caller point the bot token elsewhere.
    allowAbsoluteUrls: false,
  });
}

/**
 * The SDKs' logger interface over pino. Debug output is dropped: at that
 * level the SDKs print request bodies and Socket Mode payloads (TOTP codes
 * typed into our modals). Whatever is kept is passed through the mask.
 */
export function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) => maskSecrets(parts.map((p) => (p instanceof Error ? p.message : String(p))).join(' ')).replace(/ticket=[^&\s]+/g, 'ticket=****');
  return {
    debug: () => {},
    info: (...msg: unknown[]) => logger.debug(text(msg)),
    warn: (...msg: unknown[]) => logger.warn(text(msg)),
    error: (...msg: unknown[]) => logger.error(text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** users.info / users.lookupByEmail for the approver directory. */
export function slackUserLookup(client: WebClient): SlackUserLookup {
  return {
    async emailOf(slackUserId) {
      let res;
      try {
        res = await client.users.info({ user: slackUserId });
      } catch (err) {
        if (slackErrorName(err) === 'user_not_found') return null;
        throw err;
      }
      const user = res.user;
      if (!user || user.deleted || user.is_bot || user.is_email_confirmed === false) return null;
      return user.profile?.email ?? null;
    },
    async userIdByEmail(email) {
      try {
        const res = await client.users.lookupByEmail({ email });
        return res.user && !res.user.deleted ? (res.user.id ?? null) : null;
      } catch (err) {
        if (slackErrorName(err) === 'users_not_found') return null;
        throw err;
      }
    },
  };
}

/** Slack's platform error name (`channel_not_found`, `ratelimited` ...) or the error's message. */
export function slackErrorName(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  if (data && typeof data.error === 'string') return data.error;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
