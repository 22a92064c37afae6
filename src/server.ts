// Composition root: the only file that knows every part. It builds everything
// from a validated config, starts the listeners, and owns reload and drain.
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ApprovalBroker } from './approvals/broker.js';
import type { ApprovalChannel } from './approvals/channels/channel.js';
import { createChannels, type Channels } from './approvals/channels/create-channels.js';
import { hasChannelModules, loadChannelModules, type ChannelModules } from './approvals/channels/channel-modules.js';
import { attachAuditLog, createAuditLog } from './audit/audit-log.js';
import { EventBus } from './audit/events.js';
import { createSqlClassifier } from './classifiers/sql/index.js';
import type { AirlockConfig, HttpTargetConfig, PostgresTargetConfig, ShellTargetConfig } from './config/schema.js';
import { approvalRoutes } from './control/approval-routes.js';
import { webRoutes } from './control/web-routes.js';
import { pushRoutes } from './control/push-routes.js';
import { loadOrCreateVapidKeys, type VapidKeys } from './approvals/channels/vapid-keys.js';
import { createControlServer, type ControlRoutes } from './control/control-server.js';
import { healthRoutes } from './control/health-routes.js';
import { rawBodyRoute } from './control/raw-body-route.js';
import { createSlackInteractivityHandler } from './control/slack-interactivity.js';
import { createWebhookCallbackHandler } from './control/webhook-callback.js';
import { startEmbeddedPostgres } from './demo/embedded-postgres.js';
import { verifyStepUpToken } from './identity/step-up-token.js';
import { AirlockGate } from './gate/airlock-gate.js';
import { SessionRegistry } from './gate/session-registry.js';
import { loadDevIssuer, type DevIssuer } from './identity/dev-issuer.js';
import { createJwtVerifier } from './identity/jwt-verifier.js';
import { StepUpGrants } from './identity/step-up-grants.js';
import { createStepUpRoute } from './identity/step-up-route.js';
import { loadStepUpKey } from './identity/step-up-token.js';
import { createTotpRoutes, loadTotpEncryptionKey, TotpService } from './identity/totp/index.js';
import { identityRoutes } from './control/identity-routes.js';
import { createLogger } from './logging/logger.js';
import { PolicyEngine } from './policy/policy-engine.js';
import { createPostgresProxy } from './protocols/postgres/index.js';
import { loadOrCreateTlsMaterial } from './tls/listener-certificate.js';
import { reloadRefusals } from './config/config-diff.js';
import { ConfigInvalidError } from './errors.js';
import { createStore } from './store/create-store.js';
import { StoreErrorReporter } from './store/store-error-reporter.js';
import { BypassRules, Revocations, RiskAdmission, RiskSignals } from './risk/index.js';
import { withRevocationCheck } from './risk/admitted-verifier.js';
import { revocationRoutes } from './control/revocation-routes.js';
import { riskRoutes } from './control/risk-routes.js';
import { targetRoutes, type TargetConnectInfo } from './control/target-routes.js';
import { sshKeyRoutes } from './control/ssh-key-routes.js';
import { loginRoutes } from './control/login-routes.js';
import { webSignInRoutes } from './control/web-sign-in.js';
import type { Store } from './store/store.js';
import { createMetrics, attachMetrics } from './telemetry/metrics.js';
import { systemClock, type Clock } from './time/clock.js';
import type { Principal } from './model/principal.js';
import type { RiskLevel } from './model/risk-level.js';

export interface StartOptions {
  readonly clock?: Clock;
  /** Overrides the logger built from config (tests). */
  readonly logger?: Logger;
  /** Extra approval channels (tests). */
  readonly channels?: readonly ApprovalChannel[];
}

export interface ListenAddressInfo {
  readonly host: string;
  readonly port: number;
}

export interface AirlockServer {
  readonly config: AirlockConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly broker: ApprovalBroker;
  readonly gate: AirlockGate;
  readonly sessions: SessionRegistry;
  readonly bus: EventBus;
  readonly devIssuer: DevIssuer | null;
  readonly control: ListenAddressInfo;
  readonly postgres: ListenAddressInfo | null;
  readonly http: ListenAddressInfo | null;
  /** The SSH gateway of shell targets, when enabled. */
  readonly shell: ListenAddressInfo | null;
  /** Applies a new, already validated config: policy and channels; listeners stay. */
  /**
   * Applies a new configuration's policy, risk and channels. Throws
   * ConfigInvalidError (and changes nothing) when it would remove targets,
   * listeners or rules without `reload.allow_removals` in the new file, unless `force`.
   */
  reload(next: AirlockConfig, options?: { readonly force?: boolean }): void;
  /** Stops accepting, lets running statements finish up to the grace, denies held ones, flushes audit. */
  shutdown(reason?: string): Promise<void>;
}

export async function startAirlock(config: AirlockConfig, options: StartOptions = {}): Promise<AirlockServer> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(config.server.data_dir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const replicaId = config.server.replica_id ?? hostname();
  const logger = options.logger ?? createLogger({ level: config.log.level, replicaId });
  const cleanups: Array<() => Promise<void> | void> = [];
  let startupComplete = false;

  try {
    const bus = new EventBus((err, event) => logger.error({ err, eventType: event.type }, 'event subscriber failed'));
    const audit = createAuditLog({ file: config.audit.file ?? join(dataDir, 'audit.log'), redact: config.audit.redact, clock, logger, replicaId });
    attachAuditLog(bus, audit);
    cleanups.push(() => audit.close());
    const metrics = createMetrics({ defaultLabels: { replica: replicaId } });
    attachMetrics(bus, metrics);

    const storeErrors = new StoreErrorReporter(bus, clock);
    const store = await createStore(config.store, { clock, logger, replica: replicaId, onError: storeErrors.report });
    cleanups.push(() => store.close());
    cleanups.push(async () => storeErrors.close());

    const devIssuer = config.identity.dev_issuer.enabled ? loadDevIssuer({ dataDir, identity: config.identity, clock }) : null;
    if (devIssuer) logger.warn('the dev token issuer is enabled: demo only, never in production');
    const verifier = createJwtVerifier(config.identity, { clock, ...(devIssuer ? { devPublicKey: devIssuer.publicJwk } : {}) });

    const totp = config.step_up.totp.enabled
      ? new TotpService({ store, events: bus, config: config.step_up, encryptionKey: loadTotpEncryptionKey({ encryptionKey: config.step_up.totp.encryption_key, dataDir }), clock })
      : null;
    const grants = totp ? new StepUpGrants({ store, clock, events: bus }) : null;

    // The broker is the channels' decision sink, and the channels are the broker's: bind late.
    let channels: Channels | null = null;
    let channelModules: ChannelModules = await loadChannelModules(config);
    const vapidKeysFor = (c: AirlockConfig): VapidKeys | undefined => {
      const push = c.approvals.channels.push;
      if (!push?.enabled) return undefined;
      const { keys, generated } = loadOrCreateVapidKeys(push, dataDir);
      if (generated) logger.warn({ file: join(dataDir, 'push-vapid.json') }, 'generated a VAPID key pair for push notifications; replicas must share one (approvals.channels.push.vapid_public_key / vapid_private_key)');
      return keys;
    };
    const buildChannels = (c: AirlockConfig): Channels => {
      const vapidKeys = vapidKeysFor(c);
      return createChannels(c, { logger, bus, clock, store, registry: metrics.registry, sink: broker, modules: channelModules, ...(vapidKeys ? { vapidKeys } : {}) });
    };
    const broker = new ApprovalBroker({
      store,
      channels: [],
      bus,
      clock,
      logger: logger.child({ component: 'broker' }),
      replicaId,
      retentionMs: config.approvals.retention,
      storeGraceMs: config.approvals.store_grace,
      ...(totp ? { secondFactor: totp } : {}),
    });
    cleanups.push(() => broker.close());
    channels = buildChannels(config);
    broker.setChannels([...channels.channels, ...(options.channels ?? [])]);
    cleanups.push(() => channels?.close());
    // A revoked person's devices hear nothing more (the store is shared: one replica's removal is everyone's).
    cleanups.push(
      bus.on((event) => {
        const data = event.data as { kind?: unknown; id?: unknown } | undefined;
        if (event.type !== 'revocation.added' || data?.kind !== 'subject' || typeof data.id !== 'string') return;
        channels?.push?.subscriptions.removeAll(data.id).catch((err: unknown) => logger.warn({ err }, 'could not remove the push subscriptions of a revoked subject'));
      }),
    );

    // The feedback loop: signals raise requirements, admission refuses revoked
    // principals and blocked networks, bypass rules let trusted work skip step-up.
    const sessions = new SessionRegistry();
    metrics.observeSessions(() => sessions.list());
    const riskLogger = logger.child({ component: 'risk' });
    const signals = new RiskSignals({ store, bus, clock, logger: riskLogger, config: config.risk });
    await signals.start();
    cleanups.push(() => signals.stop());
    const revocations = new Revocations({ store, bus, sessions, broker, clock, logger: riskLogger, defaultTtlMs: config.risk.revocation_ttl });
    await revocations.start();
    cleanups.push(() => revocations.stop());
    const admission = new RiskAdmission({ store, revocations, config: () => signals.currentConfig });
    const bypass = new BypassRules({ store, bus, clock, logger: riskLogger, config: config.risk });
    bypass.start();
    cleanups.push(() => bypass.stop());

    const stepUpKey = totp && grants ? loadStepUpKey(dataDir, clock, config.step_up.signing_key_file) : null;
    const gate = new AirlockGate({
      risk: signals,
      admission,
      bypass,
      verifier,
      policy: new PolicyEngine(config),
      broker,
      bus,
      clock,
      logger: logger.child({ component: 'gate' }),
      ...(grants ? { grants } : {}),
      ...(totp ? { enrolment: totp } : {}),
      grantTtlMs: config.step_up.grant_ttl,
      grantMaxRisk: config.step_up.grant_max_risk,
      ...(stepUpKey
        ? {
            // A step-up token rides on the JWT it was minted with (`sid` jwt:<jti>): another token of the same person does not carry it.
            verifyStepUpToken: async (token: string, principal: Principal, risk: RiskLevel) => {
              await verifyStepUpToken(stepUpKey, token, { clock, expect: { principal, sessionId: `jwt:${principal.tokenId ?? principal.subject}`, risk } });
            },
          }
        : {}),
      metrics,
      auditAllowedLowRisk: config.audit.include_allowed,
    });

    // Control API calls are refused for revoked subjects, devices and tokens, as sessions are.
    const controlVerifier = withRevocationCheck(verifier, admission);
    // SSH keys registered with a JWT log in to the SSH gateway until that JWT expires (every replica: they are in the store).
    const sshKeys = config.shell.enabled && config.targets.some((t) => t.protocol === 'shell') ? new (await import('./identity/ssh-keys.js')).SshKeyRegistry({ store, clock }) : null;
    let connectInfo: readonly TargetConnectInfo[] = [];
    const routes: ControlRoutes[] = [
      healthRoutes({
        ready: async () => {
          // Not ready until every listener is bound; degraded while the store is unreachable.
          const listeners = startupComplete ? 'ok' : 'starting';
          try {
            await store.ping();
            return { ready: startupComplete, checks: { store: 'ok', listeners } };
          } catch {
            return { ready: false, checks: { store: 'unavailable', listeners } };
          }
        },
        metrics: () => metrics.render(),
      }),
      approvalRoutes({ broker, verifier: controlVerifier, clock, adminGroups: config.control.admin_groups }),
      webRoutes({ signIn: config.identity.login?.web_client_id !== undefined, tokenForm: config.control.web_token_form ?? config.identity.login?.web_client_id === undefined, terminal: config.shell.enabled }),
      revocationRoutes({ revocations, verifier: controlVerifier, adminGroups: config.control.admin_groups }),
      pushRoutes({ verifier: controlVerifier, push: () => channels?.push ?? null }),
      riskRoutes({ store, signals, revocations, clock, verifier: controlVerifier, adminGroups: config.control.admin_groups }),
      targetRoutes({ verifier: controlVerifier, targets: () => connectInfo }),
      ...(sshKeys ? [sshKeyRoutes({ keys: sshKeys, verifier: controlVerifier })] : []),
      ...(config.identity.login?.web_client_id
        ? [
            webSignInRoutes({
              issuer: config.identity.login.issuer_url,
              clientId: config.identity.login.web_client_id,
              scopes: config.identity.login.scopes,
              ...(config.identity.login.resource ? { resource: config.identity.login.resource } : {}),
              redirectUri: () => `${publicUrl.replace(/\/$/, '')}/auth/callback`,
              store,
            }),
          ]
        : []),
      loginRoutes(
        config.identity.login
          ? { issuer: config.identity.login.issuer_url, client_id: config.identity.login.client_id, scopes: config.identity.login.scopes, ...(config.identity.login.resource ? { resource: config.identity.login.resource } : {}) }
          : null,
      ),
    ];
    if (channels.slackInteractions && config.approvals.channels.slack?.signing_secret && !config.approvals.channels.slack.socket_mode) {
      routes.push(
        rawBodyRoute(
          '/v1/slack/interactivity',
          createSlackInteractivityHandler({ signingSecret: config.approvals.channels.slack.signing_secret, interactions: channels.slackInteractions, bus, clock, logger, seen: seenOnce(store) }),
        ),
      );
    }
    const webhook = config.approvals.channels.webhook;
    if (webhook?.enabled && webhook.callbacks && webhook.secret) {
      routes.push(
        rawBodyRoute(
          '/v1/webhook/callback',
          createWebhookCallbackHandler({ secret: webhook.secret, directory: channels.directory, sink: broker, bus, clock, logger, seen: seenOnce(store) }),
        ),
      );
    }
    if (totp && grants) {
      const totpRoutes = createTotpRoutes(totp, { adminGroups: config.control.admin_groups });
      const stepUp = createStepUpRoute({ totp, grants, key: stepUpKey!, grantTtlMs: config.step_up.grant_ttl, grantMaxRisk: config.step_up.grant_max_risk, clock });
      routes.push(
        identityRoutes(controlVerifier, {
          '/v1/totp': { method: 'GET', handler: totpRoutes.status },
          '/v1/totp/enroll': { method: 'POST', handler: totpRoutes.enroll },
          '/v1/totp/activate': { method: 'POST', handler: totpRoutes.activate },
          '/v1/totp/reset': { method: 'POST', handler: totpRoutes.reset },
          '/v1/stepup': { method: 'POST', handler: stepUp },
        }),
      );
    }
    const control = createControlServer({ config: config.control, logger, routes });
    await control.listen({ host: config.control.listen.host, port: config.control.listen.port });
    cleanups.push(() => control.close());
    const controlAddress = addressOf(control.server.address(), config.control.listen);
    // Links in notices and channels use the configured public URL, else the address actually bound.
    const publicUrl = config.server.public_url ?? `http://${controlAddress.host === '0.0.0.0' || controlAddress.host === '::' ? '127.0.0.1' : controlAddress.host}:${controlAddress.port}`;
    broker.setPublicUrl(publicUrl);
    // The demo IdP registers the approval pages' redirect URI, which needs the bound control address.
    if (config.identity.demo_idp.enabled) {
      const { startDemoIdp } = await import('./demo/demo-idp.js');
      const { listen, token_ttl: ttl } = config.identity.demo_idp;
      const audience = Array.isArray(config.identity.audience) ? config.identity.audience[0]! : config.identity.audience;
      const idp = await startDemoIdp({ host: listen.host, port: listen.port, audience, tokenTtlSeconds: Math.ceil(ttl / 1000), webRedirectUri: `${publicUrl.replace(/\/$/, '')}/auth/callback` });
      cleanups.push(() => idp.close());
      logger.warn({ issuer: idp.issuer }, `demo identity provider at ${idp.issuer} (users alice, bob, carol; any password): demo only, never in production`);
    }
    logger.info({ address: `${controlAddress.host}:${controlAddress.port}` }, `control API listening on http://${controlAddress.host}:${controlAddress.port}`);

    let postgres: ListenAddressInfo | null = null;
    let closePostgres: ((deadlineMs: number) => Promise<void>) | null = null;
    const pgTargets = config.targets.filter((t): t is PostgresTargetConfig => t.protocol === 'postgres');
    if (config.postgres.enabled && pgTargets.length > 0) {
      const targets: PostgresTargetConfig[] = [];
      for (const target of pgTargets) {
        if (!target.embedded) {
          targets.push(target);
          continue;
        }
        // In memory: every start begins from the same demo state, as the memory store's TOTP
        // enrolments and approvals do (a persisted database kept the walkthrough's DROP, not its enrolments).
        const embedded = await startEmbeddedPostgres({
          // Unix socket paths are short (about 100 bytes): a private directory of its own beside the data dir.
          socketDir: join(dataDir, `pglite-${target.name}-socket`),
          logger: logger.child({ component: 'embedded-postgres' }),
        });
        cleanups.push(() => embedded.close());
        // From here on the target is an ordinary upstream that happens to run in this process.
        targets.push({ ...target, embedded: false, upstream: { ...target.upstream, host: embedded.host, port: embedded.port, tls: 'disable' } });
        logger.info({ target: target.name }, `target ${target.name}: embedded demo PostgreSQL (PGlite), reachable only through Airlock`);
      }
      const classifier = await createSqlClassifier({ cacheSize: config.postgres.classification_cache_size });
      const tls = await loadOrCreateTlsMaterial(config.postgres, dataDir);
      const proxy = createPostgresProxy({
        config: config.postgres,
        targets,
        gate,
        classifier,
        sessions,
        logger: logger.child({ component: 'postgres' }),
        ...(tls ? { tls } : {}),
        publicUrl,
        onPrivilegedUpstream: (target, user) => metrics.privilegedUpstream('postgres', target, user),
        demoTargets: pgTargets.filter((t) => t.embedded).map((t) => t.name),
        classifyStored: (code) => classifier.classifyStored(code),
      });
      const listening = await proxy.listen();
      postgres = listening;
      closePostgres = (deadlineMs) => proxy.close(deadlineMs);
      logger.info({ address: `${listening.host}:${listening.port}`, targets: targets.map((t) => t.name) }, `PostgreSQL proxy listening on ${listening.host}:${listening.port}`);
    }

    let http: ListenAddressInfo | null = null;
    let closeHttp: ((deadlineMs: number) => Promise<void>) | null = null;
    const httpTargets = config.targets.filter((t): t is HttpTargetConfig => t.protocol === 'http');
    if (config.http.enabled && httpTargets.length > 0) {
      const served = [];
      for (const target of httpTargets) {
        if (!target.embedded) {
          served.push({ ...target, upstream: { ...target.upstream, url: target.upstream.url! } });
          continue;
        }
        // A Unix socket of its own beside the data dir: nothing reaches it around Airlock.
        const { startDemoAdminApi } = await import('./demo/admin-api.js');
        const api = await startDemoAdminApi({ socketPath: join(dataDir, `admin-api-${target.name}.sock`) });
        cleanups.push(() => api.close());
        served.push({ ...target, embedded: false, upstream: { ...target.upstream, url: 'http://admin-api.demo', socket_path: api.socketPath } });
        logger.info({ target: target.name }, `target ${target.name}: embedded demo admin API, reachable only through Airlock`);
      }
      const tls = config.http.tls.enabled ? await loadOrCreateTlsMaterial(config.http, dataDir, 'http-tls') : null;
      const { createHttpProxy } = await import('./protocols/http/index.js');
      const proxy = createHttpProxy({ config: config.http, targets: served, gate, sessions, logger: logger.child({ component: 'http' }), publicUrl, ...(tls ? { tls } : {}) });
      metrics.observeHttpProxy(() => ({ ...proxy.counters }));
      const listening = await proxy.listen();
      http = listening;
      closeHttp = (deadlineMs) => proxy.close(deadlineMs);
      logger.info({ address: `${listening.host}:${listening.port}`, targets: served.map((t) => t.name) }, `HTTP proxy listening on ${config.http.tls.enabled ? 'https' : 'http'}://${listening.host}:${listening.port}`);
    }

    let shell: ListenAddressInfo | null = null;
    let shellFingerprint: string | null = null;
    const shellTargets = config.targets.filter((t): t is ShellTargetConfig => t.protocol === 'shell');
    if (config.shell.enabled && shellTargets.length > 0) {
      // ssh2 and the PTY package load only when shell targets are served.
      const { createShellGateway, createWebTerminal, loadOrCreateHostKey, ShellRecordings } = await import('./protocols/shell/index.js');
      const { createShellClassifier } = await import('./classifiers/shell/index.js');
      const hostKey = loadOrCreateHostKey(dataDir, config.shell.host_key_file);
      // `psql -c '...'` in a shell line is judged by the same SQL classifier as the PostgreSQL proxy.
      const shellClassifier = createShellClassifier({ sql: await createSqlClassifier({ cacheSize: 0 }) });
      // Both front ends record every session through the same recordings.
      const recordings = new ShellRecordings({
        config: config.shell.recording,
        dir: resolve(config.shell.recording.dir ?? join(dataDir, 'recordings')),
        clock,
        logger: logger.child({ component: 'shell' }),
        onRecorded: (r) =>
          bus.emit({
            type: 'session.recorded',
            at: clock.now(),
            subject: r.subject,
            source: r.source,
            protocol: 'shell',
            target: r.target,
            sessionId: r.sessionId,
            ...(r.failure ? { reason: r.failure } : {}),
            data: { kind: r.kind, file: r.file, bytes: r.bytes, sha256: r.sha256, events: r.events, droppedBytes: r.droppedBytes },
          }),
      });
      // The WebSocket terminal is served on the control API's port (`airlock shell`, `airlock exec`, browsers).
      const webTerminal = createWebTerminal({ targets: shellTargets, gate, classifier: shellClassifier, sessions, logger: logger.child({ component: 'shell' }), noticeIntervalMs: config.shell.notice_interval, publicUrl, recordings });
      control.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (webTerminal.handles(req.url)) return void webTerminal.handleUpgrade(req, socket, head);
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      cleanups.push(async () => webTerminal.close());
      const gateway = createShellGateway({
        config: config.shell,
        targets: shellTargets,
        gate,
        classifier: shellClassifier,
        sessions,
        ...(sshKeys ? { publicKeys: sshKeys } : {}),
        hostKey,
        logger: logger.child({ component: 'shell' }),
        publicUrl,
        recordings,
      });
      shell = await gateway.listen();
      shellFingerprint = hostKey.fingerprint;
      cleanups.push(() => gateway.close());
      logger.info({ address: `${shell.host}:${shell.port}`, targets: shellTargets.map((t) => t.name), fingerprint: hostKey.fingerprint }, `SSH gateway listening on ${shell.host}:${shell.port}, host key ${hostKey.fingerprint}`);
    }

    connectInfo = describeTargets(config, { publicUrl, postgres, http, shell: shell && shellFingerprint ? { ...shell, fingerprint: shellFingerprint } : null });
    startupComplete = true;
    // The other channel implementations load after start, off the path to ready, so a reload may enable them at once.
    setImmediate(() => {
      loadChannelModules(withAllChannels(config), channelModules).then(
        (loaded) => (channelModules = loaded),
        (err: unknown) => logger.warn({ err }, 'could not load the optional approval channels'),
      );
    });
    let current = config;
    let stopped = false;
    return {
      get config() {
        return current;
      },
      logger,
      store,
      broker,
      gate,
      sessions,
      bus,
      devIssuer,
      control: controlAddress,
      postgres,
      http,
      shell,
      reload(next, reloadOptions = {}) {
        // A truncated or half-written file must not silently drop what the running config enforces.
        const refusals = reloadOptions.force ? [] : reloadRefusals(current, next);
        if (refusals.length > 0) throw new ConfigInvalidError('configuration reload refused', refusals);
        gate.setPolicy(new PolicyEngine(next));
        signals.setConfig(next.risk);
        bypass.setConfig(next.risk);
        revocations.setDefaultTtl(next.risk.revocation_ttl);
        // A channel the running process never loaded (Slack or email newly enabled) was loaded in the background after start.
        if (!hasChannelModules(next, channelModules)) throw new ConfigInvalidError('configuration reload refused', ['approvals.channels: a newly enabled channel is still loading; retry in a moment']);
        const previous = channels;
        channels = buildChannels(next);
        broker.setChannels([...channels.channels, ...(options.channels ?? [])]);
        void previous?.close().catch((err: unknown) => logger.warn({ err }, 'closing old channels failed'));
        current = next;
        bus.emit({ type: 'config.reloaded', at: clock.now(), data: { rules: next.policy.rules.length } });
        logger.info({ rules: next.policy.rules.length }, 'configuration reloaded');
      },
      async shutdown(reason = 'shutting down') {
        if (stopped) return;
        stopped = true;
        logger.info({ reason }, 'draining');
        gate.startDraining();
        // Held actions are denied with a clear message; running statements get the grace period.
        await broker.denyAllPending('sidecar restarting, retry').catch((err: unknown) => logger.warn({ err }, 'could not deny held actions'));
        // Let the denials reach their clients before sessions are closed.
        await gate.whenNothingHeld(2000);
        await Promise.all([closePostgres?.(current.server.shutdown_grace), closeHttp?.(current.server.shutdown_grace)]);
        for (const cleanup of cleanups.reverse()) {
          try {
            await cleanup();
          } catch (err) {
            logger.warn({ err }, 'cleanup failed');
          }
        }
        logger.info('stopped');
      },
    };
  } catch (err) {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // already failing: the original error is what matters
      }
    }
    throw err;
  }
}

/** Replay protection shared by every replica: a signature is accepted once. */
function seenOnce(store: Store) {
  return async (key: string, ttlMs: number): Promise<boolean> => !(await store.setValue(`seen:${key}`, '1', { ttlMs, ifAbsent: true }));
}

function addressOf(address: ReturnType<import('node:net').Server['address']>, fallback: ListenAddressInfo): ListenAddressInfo {
  if (address && typeof address === 'object') return { host: address.address, port: address.port };
  return fallback;
}

/** A config that enables every channel with a heavy module, to preload them all. */
function withAllChannels(config: AirlockConfig): AirlockConfig {
  const channels = config.approvals.channels;
  return {
    ...config,
    approvals: {
      ...config.approvals,
      channels: { ...channels, slack: { ...channels.slack, enabled: true }, email: { ...channels.email, enabled: true }, push: { ...channels.push, enabled: true } } as AirlockConfig['approvals']['channels'],
    },
  };
}

/**
 * How engineers reach each target: the host of the public URL (what they
 * already use for the control API) and the port each listener bound.
 */
function describeTargets(
  config: AirlockConfig,
  bound: { readonly publicUrl: string; readonly postgres: ListenAddressInfo | null; readonly http: ListenAddressInfo | null; readonly shell: (ListenAddressInfo & { readonly fingerprint: string }) | null },
): TargetConnectInfo[] {
  const host = new URL(bound.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const out: TargetConnectInfo[] = [];
  for (const target of config.targets) {
    const description = target.description === undefined ? {} : { description: target.description };
    if (target.protocol === 'postgres' && bound.postgres) {
      const tls = config.postgres.tls.cert_file !== undefined || config.postgres.tls.self_signed;
      out.push({ name: target.name, protocol: 'postgres', ...description, host, port: bound.postgres.port, sslmode: tls && config.postgres.plaintext !== 'always' ? 'require' : 'disable' });
    } else if (target.protocol === 'http' && bound.http) {
      const scheme = config.http.tls.enabled ? 'https' : 'http';
      const viaHost = target.hosts[0];
      const prefix = target.path_prefix?.replace(/\/+$/, '') ?? '';
      out.push({ name: target.name, protocol: 'http', ...description, url: `${scheme}://${viaHost ?? host}:${bound.http.port}${viaHost ? '' : prefix}` });
    } else if (target.protocol === 'shell') {
      const ssh = bound.shell ? { host, port: bound.shell.port, host_key_fingerprint: bound.shell.fingerprint } : {};
      const ws = bound.shell ? { websocket_url: `${bound.publicUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/shell/${encodeURIComponent(target.name)}` } : {};
      out.push({ name: target.name, protocol: 'shell', ...description, ...ssh, ...ws });
    }
  }
  return out;
}
