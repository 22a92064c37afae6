import type { Logger } from 'pino';
import type { ApproverEntryConfig } from '../config/sections/approvals.js';
import type { Principal } from '../model/principal.js';
import type { Clock } from '../time/clock.js';

export type ApproverEntry = ApproverEntryConfig;

/** What the directory needs from Slack (users.info, users.lookupByEmail); a WebClient fits. */
export interface SlackUserLookup {
  /** The user's confirmed email, or null when Slack has none, or the user is a bot or deactivated. */
  emailOf(slackUserId: string): Promise<string | null>;
  /** The Slack user id for a work email, or null when Slack knows none. */
  userIdByEmail(email: string): Promise<string | null>;
}

export interface ApproverDirectoryOptions {
  readonly entries: readonly ApproverEntry[];
  /** `approvals.channels.slack.users`: Slack user id -> subject. */
  readonly slackUsers?: Readonly<Record<string, string>>;
  /** Resolve Slack users that no mapping names through their email. */
  readonly lookupByEmail?: boolean;
  readonly slack?: SlackUserLookup;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** How long a Slack lookup (hit or miss) is trusted. */
  readonly cacheTtlMs?: number;
}

/** A resolved approver is only good for the decision at hand. */
const PRINCIPAL_TTL_MS = 60_000;
const DEFAULT_CACHE_TTL_MS = 10 * 60_000;

/**
 * The approvers known from configuration, with their groups: Slack users and
 * webhook callers carry no groups of their own. Resolution never guesses: a
 * Slack user is an approver through an explicit mapping, or through a
 * confirmed email that equals a directory entry's; anyone else is unknown.
 */
export class ApproverDirectory {
  private readonly bySubjectMap = new Map<string, ApproverEntry>();
  private readonly byEmailMap = new Map<string, ApproverEntry>();
  private readonly bySlackId = new Map<string, ApproverEntry>();
  private readonly slackIdOfSubject = new Map<string, string>();
  private readonly cache = new Map<string, { value: string | null; until: number }>();

  constructor(private readonly options: ApproverDirectoryOptions) {
    for (const entry of options.entries) {
      this.bySubjectMap.set(entry.subject, entry);
      if (entry.email) this.byEmailMap.set(entry.email.toLowerCase(), entry);
      if (entry.slack_user) {
        this.bySlackId.set(entry.slack_user, entry);
        this.slackIdOfSubject.set(entry.subject, entry.slack_user);
      }
    }
    // The explicit map wins over an entry's slack_user.
    for (const [slackId, subject] of Object.entries(options.slackUsers ?? {})) {
      const entry = this.bySubjectMap.get(subject);
      if (!entry) continue;
      this.bySlackId.set(slackId, entry);
      this.slackIdOfSubject.set(subject, slackId);
    }
  }

  bySubject(subject: string): ApproverEntry | undefined {
    return this.bySubjectMap.get(subject);
  }

  byEmail(email: string): ApproverEntry | undefined {
    return this.byEmailMap.get(email.toLowerCase());
  }

  /** Entries in at least one of `groups`. */
  inGroups(groups: readonly string[]): ApproverEntry[] {
    return [...this.bySubjectMap.values()].filter((e) => e.groups.some((g) => groups.includes(g)));
  }

  /** A directory entry as a Principal for one decision through `issuer` (slack, webhook). */
  principalOf(entry: ApproverEntry, issuer: string): Principal {
    return {
      subject: entry.subject,
      ...(entry.email ? { email: entry.email } : {}),
      groups: [...entry.groups],
      authMethods: [issuer],
      issuer,
      expiresAt: this.options.clock.now() + PRINCIPAL_TTL_MS,
    };
  }

  /** The approver behind a Slack user id, or null: unknown users are refused. */
  async resolveSlackUser(slackUserId: string): Promise<Principal | null> {
    const mapped = this.bySlackId.get(slackUserId);
    if (mapped) return this.principalOf(mapped, 'slack');
    const { slack, lookupByEmail = true } = this.options;
    if (!lookupByEmail || !slack) return null;
    const email = await this.cached(`email:${slackUserId}`, () => slack.emailOf(slackUserId));
    const entry = email ? this.byEmail(email) : undefined;
    return entry ? this.principalOf(entry, 'slack') : null;
  }

  /**
   * The Slack user id to DM for a subject (an approver, or a requester given
   * with their email), or null. Lookup failures are logged, never thrown.
   */
  async slackIdFor(subject: string, email?: string): Promise<string | null> {
    const known = this.slackIdOfSubject.get(subject);
    if (known) return known;
    const { slack, lookupByEmail = true } = this.options;
    const address = email ?? this.bySubjectMap.get(subject)?.email;
    if (!lookupByEmail || !slack || !address) return null;
    try {
      return await this.cached(`user:${address.toLowerCase()}`, () => slack.userIdByEmail(address));
    } catch (err) {
      this.options.logger?.warn({ err: describe(err), subject }, 'Slack user lookup by email failed');
      return null;
    }
  }

  private async cached(key: string, load: () => Promise<string | null>): Promise<string | null> {
    const now = this.options.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { value, until: now + (this.options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS) });
    return value;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
