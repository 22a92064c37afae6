import { formatDuration } from '../config/duration.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../time/clock.js';
import type { Revocation, Revocations } from './revocations.js';
import type { RiskSignals } from './risk-signals.js';
import { APPROVAL_DENIALS_RULE, MFA_FAILURES_RULE, type ActiveBlock, type ActiveRaise } from './signal-snapshot.js';
import { parseSourceAddress, sourceNetwork } from './source-network.js';
import { riskKeys } from './store-keys.js';

export interface RiskReportDeps {
  readonly store: Store;
  readonly signals: RiskSignals;
  readonly revocations: Revocations;
  readonly clock: Clock;
}

interface Counter {
  readonly count: number;
  readonly threshold: number;
  readonly window: string;
}

export interface SubjectReport {
  readonly subject: string;
  readonly revoked: Revocation | null;
  readonly mfa_failures: Counter;
  readonly approval_denials: Counter;
  readonly raises: readonly ActiveRaise[];
  readonly new_device_sessions: readonly { sessionId: string; deviceId: string; until: number }[];
  /** What the signals do to the principal's next action, in words. */
  readonly effect: string;
}

export interface SourceReport {
  readonly source: string;
  readonly network: string;
  readonly auth_failures: { readonly address: number; readonly network: number; readonly threshold: number; readonly window: string };
  readonly blocked: ActiveBlock | null;
  readonly effect: string;
}

/** Current signals of a principal, read from the store (the shared truth), for admins. */
export async function subjectReport(deps: RiskReportDeps, subject: string): Promise<SubjectReport> {
  const { store, clock } = deps;
  const config = deps.signals.currentConfig;
  const now = clock.now();
  const [revoked, mfa, denials, ...raiseTexts] = await Promise.all([
    deps.revocations.get('subject', subject),
    store.countEvents(riskKeys.mfaFailures(subject), now - config.mfa_failures.window),
    store.countEvents(riskKeys.approvalDenials(subject), now - config.approval_denials.window),
    store.getValue(riskKeys.raise(MFA_FAILURES_RULE, subject)),
    store.getValue(riskKeys.raise(APPROVAL_DENIALS_RULE, subject)),
  ]);
  const raises = raiseTexts.flatMap((text) => (text === null ? [] : [JSON.parse(text) as ActiveRaise])).filter((r) => r.until > now);
  const newDevices = deps.signals.snapshot.newDeviceSessionsOf(subject, now).map(({ sessionId, deviceId, until }) => ({ sessionId, deviceId, until }));
  let effect: string;
  if (revoked) effect = `new sessions are refused and live ones were ended: access revoked (${revoked.reason}) until ${new Date(revoked.expiresAt).toISOString()}`;
  else if (raises.length > 0) {
    effect = `every requirement is raised ${raises.length} level(s) (allow -> step_up -> approval) and no bypass applies: ${raises.map((r) => `${r.reason} until ${new Date(r.until).toISOString()}`).join('; ')}`;
  } else if (newDevices.length > 0) effect = `medium-risk actions in ${newDevices.length} session(s) from a new device are raised one level`;
  else effect = 'no signal applies: the next action gets what the policy says';
  return {
    subject,
    revoked,
    mfa_failures: { count: mfa, threshold: config.mfa_failures.threshold, window: formatDuration(config.mfa_failures.window) },
    approval_denials: { count: denials, threshold: config.approval_denials.threshold, window: formatDuration(config.approval_denials.window) },
    raises,
    new_device_sessions: newDevices,
    effect,
  };
}

/** Failed logins and any block of a source address's network; null when it is not an IP address. */
export async function sourceReport(deps: RiskReportDeps, source: string): Promise<SourceReport | null> {
  const { store, clock } = deps;
  const config = deps.signals.currentConfig;
  const address = parseSourceAddress(source);
  const network = sourceNetwork(source, config.network_prefix_v4, config.network_prefix_v6);
  if (!address || !network) return null;
  const now = clock.now();
  const since = now - config.auth_failures.window;
  const [ofAddress, ofNetwork, blockText] = await Promise.all([
    store.countEvents(riskKeys.authFailuresOfAddress(address.address), since),
    store.countEvents(riskKeys.authFailuresOfNetwork(network), since),
    store.getValue(riskKeys.block(network)),
  ]);
  const block = blockText === null ? null : (JSON.parse(blockText) as ActiveBlock);
  const blocked = block && block.until > now ? block : null;
  const { threshold, window } = config.auth_failures;
  const effect = blocked
    ? `connections from ${network} are refused until ${new Date(blocked.until).toISOString()} (${blocked.reason})`
    : `${ofNetwork} of ${threshold} failed logins from ${network} in ${formatDuration(window)}; at ${threshold} the network is blocked for ${formatDuration(config.auth_failures.block_for)}`;
  return { source: address.address, network, auth_failures: { address: ofAddress, network: ofNetwork, threshold, window: formatDuration(window) }, blocked, effect };
}
