import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { parseConfig } from '../../../src/config/load.js';
import { readManifests, renderKustomization, type K8sObject } from './support/kustomize.js';
import {
  AIRLOCK_ARGS,
  AIRLOCK_IMAGE_REPOSITORY,
  APPLICABLE,
  LAYOUTS,
  PROXY_LABEL,
  SECRET_DIR,
  airlockConfigSource,
  airlockContainers,
  kubectlKustomize,
  ingresses,
  networkPolicies,
  selects,
  services,
  validateObject,
  workloads,
} from './support/manifests.js';
import { dummySecret, withDummySecrets } from './support/secret-files.js';

const CONTROL_PORT = 8080;
const byId = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const sorted = (objects: readonly K8sObject[]) => [...objects].sort((a, b) => byId(a).localeCompare(byId(b)));

function portNumber(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function assertHttpProbe(container: IContainer, probe: IProbe | undefined, path: string, what: string): void {
  assert.ok(probe?.httpGet, `${what}: an httpGet probe`);
  assert.equal(probe.httpGet.path, path, `${what}: path`);
  assert.equal(portNumber(container, probe.httpGet.port), CONTROL_PORT, `${what}: on the control port`);
}

describe('deploy/: every kustomization renders and validates', () => {
  for (const dir of APPLICABLE) {
    it(`${dir}: every object passes the Kubernetes OpenAPI schema`, () => {
      const objects = renderKustomization(dir);
      assert.ok(objects.length > 0);
      for (const object of objects) {
        const known = validateObject(object);
        if (!known) assert.equal(object.kind, 'ServiceMonitor', `${byId(object)}: no schema to check it against`);
      }
    });

    it(`${dir}: the test renderer gives what kubectl kustomize gives (skipped without kubectl)`, (t) => {
      const expected = kubectlKustomize(dir);
      if (expected === null) {
        t.skip('kubectl is not installed');
        return;
      }
      assert.deepEqual(sorted(renderKustomization(dir)), sorted(expected));
    });
  }

  it('the Secret template is a valid Secret and no kustomization applies it', () => {
    const [template, ...rest] = readManifests('deploy/base/secrets/airlock-secrets.example.yaml');
    assert.equal(rest.length, 0);
    assert.ok(template && validateObject(template));
    for (const dir of APPLICABLE) {
      assert.equal(renderKustomization(dir).filter((o) => o.kind === 'Secret').length, 0, `${dir} must not overwrite real credentials`);
    }
    for (const value of Object.values(template['stringData'] as Record<string, string>)) {
      assert.match(value, /REPLACE_ME/, 'every template value is a visible placeholder');
    }
  });
});

describe('deploy/: Airlock containers', () => {
  for (const layout of LAYOUTS) {
    describe(layout.dir, () => {
      const objects = renderKustomization(layout.dir);
      const containers = airlockContainers(objects);
      const config = withDummySecrets(airlockConfigSource(objects), (source) => parseConfig(source, layout.dir, {}));

      it('has exactly one Airlock container per workload, where the layout puts it', () => {
        assert.ok(containers.length >= 1);
        for (const { container, init, workload } of containers) {
          assert.equal(init, layout.sidecar, `${byId(workload.object)}: ${layout.sidecar ? 'a native sidecar' : 'a regular container'}`);
          if (layout.sidecar) {
            assert.equal(container.restartPolicy, 'Always', 'a native sidecar is an initContainer with restartPolicy Always');
            assert.ok(workload.pod.containers.length >= 1, 'a sidecar sits beside a main container');
          } else {
            assert.equal(container.restartPolicy, undefined);
          }
        }
      });

      it('pins the image by tag and starts serve with the mounted config', () => {
        for (const { container } of containers) {
          const tag = (container.image as string).slice(AIRLOCK_IMAGE_REPOSITORY.length + 1);
          assert.match(tag, /^\d+\.\d+\.\d+$/, 'a release tag, never latest');
          assert.deepEqual(container.args, [...AIRLOCK_ARGS]);
          assert.equal(container.command, undefined, 'the image ENTRYPOINT (node dist/cmd/airlock.js) runs');
        }
      });

      it('runs locked down', () => {
        for (const { container, workload } of containers) {
          const sc = container.securityContext;
          assert.ok(sc);
          assert.equal(sc.runAsNonRoot, true);
          assert.equal(sc.runAsUser, 10001);
          assert.equal(sc.readOnlyRootFilesystem, true);
          assert.equal(sc.allowPrivilegeEscalation, false);
          assert.deepEqual(sc.capabilities?.drop, ['ALL']);
          assert.equal(sc.capabilities?.add, undefined);
          assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
          assert.equal(workload.pod.automountServiceAccountToken, false);
          assert.equal(workload.pod.serviceAccountName, 'airlock');
          assert.ok(objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'airlock'));
        }
      });

      it('mounts the config without subPath (so SIGHUP reloads see updates), the secrets, and emptyDirs for every writable path', () => {
        for (const { container, workload } of containers) {
          const volumes = new Map((workload.pod.volumes ?? []).map((v) => [v.name, v]));
          const mount = (path: string) => container.volumeMounts?.find((m) => m.mountPath === path);
          const configMount = mount('/etc/airlock');
          assert.ok(configMount && configMount.subPath === undefined && configMount.readOnly === true);
          assert.equal(volumes.get(configMount.name)?.configMap?.name, 'airlock-config');
          const secretMount = mount(SECRET_DIR.replace(/\/$/, ''));
          assert.ok(secretMount && secretMount.readOnly === true);
          const secret = volumes.get(secretMount.name)?.secret;
          assert.equal(secret?.secretName, 'airlock-secrets');
          // uid 10001 must be able to read the files: world-readable, or group-readable with fsGroup 10001.
          const mode = secret?.defaultMode ?? 0o644;
          const fsGroup = workload.pod.securityContext?.fsGroup;
          assert.ok((mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && fsGroup === 10001), `secret mode ${mode.toString(8)} with fsGroup ${fsGroup}`);
          for (const path of [config.server.data_dir, '/tmp']) {
            const m = mount(path);
            assert.ok(m, `${path} is mounted`);
            assert.ok(volumes.get(m.name)?.emptyDir, `${path} is an emptyDir`);
          }
          assert.equal(config.server.data_dir, '/var/lib/airlock');
        }
      });

      it('sets resource requests and limits', () => {
        for (const { container } of containers) {
          assert.ok(container.resources?.requests?.['cpu'] && container.resources.requests['memory']);
          assert.ok(container.resources.limits?.['cpu'] && container.resources.limits['memory']);
        }
      });

      it('probes /healthz (startup, liveness) and /readyz (readiness) on the control port the config listens on', () => {
        assert.deepEqual(config.control.listen, { host: '0.0.0.0', port: CONTROL_PORT });
        for (const { container } of containers) {
          assert.equal(portNumber(container, 'control'), CONTROL_PORT);
          assertHttpProbe(container, container.startupProbe, '/healthz', 'startup');
          assertHttpProbe(container, container.livenessProbe, '/healthz', 'liveness');
          assertHttpProbe(container, container.readinessProbe, '/readyz', 'readiness');
        }
      });

      it('exposes the proxy ports the config listens on', () => {
        const listening = [
          ...(config.postgres.enabled && config.targets.some((t) => t.protocol === 'postgres') ? [config.postgres.listen] : []),
          ...(config.http.enabled ? [config.http.listen] : []),
        ];
        assert.deepEqual(listening.map((l) => l.port).sort(), [...layout.proxyPorts].sort());
        for (const address of listening) assert.equal(address.host, '0.0.0.0');
        for (const { container } of containers) {
          for (const port of layout.proxyPorts) assert.ok(container.ports?.some((p) => p.containerPort === port), `container port ${port}`);
        }
      });

      it('gives the pod more termination grace than server.shutdown_grace', () => {
        for (const { workload } of containers) {
          const grace = workload.pod.terminationGracePeriodSeconds;
          assert.ok(grace !== undefined && grace * 1000 > config.server.shutdown_grace, `${grace}s > ${config.server.shutdown_grace}ms`);
        }
      });

      it('carries the proxy label and Prometheus scrape annotations on the pod', () => {
        for (const { workload } of containers) {
          assert.equal(workload.podLabels[PROXY_LABEL], 'true');
          assert.equal(workload.podAnnotations['prometheus.io/scrape'], 'true');
          assert.equal(workload.podAnnotations['prometheus.io/port'], String(CONTROL_PORT));
          assert.equal(workload.podAnnotations['prometheus.io/path'], '/metrics');
        }
      });

      it('publishes the proxy ports through Services, never PostgreSQL 5432, and the control port only as an Ingress backend', () => {
        const airlockPods = new Set(containers.map((c) => c.workload.object));
        const list = services(objects).filter((s) => workloads(objects).some((w) => airlockPods.has(w.object) && selects(s.spec?.selector, w.podLabels)));
        assert.ok(list.length >= 1);
        const backends = new Set(ingresses(objects).flatMap((i) => (i.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service?.name))));
        const target = containers[0]?.container as IContainer;
        for (const service of list) {
          const pods = workloads(objects).filter((w) => selects(service.spec?.selector, w.podLabels));
          assert.equal(pods.length, 1, `${service.metadata.name} selects the workload`);
          for (const port of service.spec?.ports ?? []) {
            const targetPort = portNumber(target, port.targetPort);
            if (port.port === CONTROL_PORT) {
              assert.ok(layout.controlIngress && backends.has(service.metadata.name), `${service.metadata.name} publishes 8080 only for the Ingress`);
              assert.equal(targetPort, CONTROL_PORT);
              assert.deepEqual(service.spec?.ports?.map((p) => p.port), [CONTROL_PORT], 'the control Service carries nothing else');
              continue;
            }
            assert.ok(layout.proxyPorts.includes(port.port), `${service.metadata.name} exposes ${port.port}`);
            assert.ok(layout.proxyPorts.includes(targetPort ?? -1), `${service.metadata.name} targets Airlock's port`);
          }
        }
        const exposed = services(objects).flatMap((s) => (s.spec?.ports ?? []).map((p) => p.port));
        assert.ok(!exposed.includes(5432));
        assert.equal(exposed.includes(CONTROL_PORT), layout.controlIngress);
      });

      it('lets only the app namespace reach the proxy ports, and only Prometheus (and the ingress controller, where the layout publishes it) reach the control port', () => {
        for (const { workload } of containers) {
          const policies = networkPolicies(objects).filter((p) => selects(p.spec?.podSelector.matchLabels, workload.podLabels));
          const ingress = policies.filter((p) => p.spec?.policyTypes?.includes('Ingress')).flatMap((p) => p.spec?.ingress ?? []);
          const egress = policies.filter((p) => p.spec?.policyTypes?.includes('Egress')).flatMap((p) => p.spec?.egress ?? []);
          assert.ok(ingress.length > 0 && egress.length > 0, 'both directions are restricted');
          const allowed = new Map<number, INetworkPolicyPeer[]>();
          for (const rule of ingress) {
            assert.ok(rule.from && rule.from.length > 0, 'no rule admits every source');
            assert.ok(rule.ports && rule.ports.length > 0, 'no rule admits every port');
            for (const port of rule.ports) allowed.set(port.port as number, [...(allowed.get(port.port as number) ?? []), ...rule.from]);
          }
          assert.deepEqual([...allowed.keys()].sort(), [...layout.proxyPorts, CONTROL_PORT].sort());
          const controlPeers = (allowed.get(CONTROL_PORT) ?? []).map((peer) => {
            assert.equal(peer.ipBlock, undefined);
            return `${peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']}/${peer.podSelector?.matchLabels?.['app.kubernetes.io/name']}`;
          });
          assert.deepEqual(controlPeers.sort(), layout.controlIngress ? ['ingress-nginx/ingress-nginx', 'monitoring/prometheus'] : ['monitoring/prometheus']);
          for (const port of layout.proxyPorts) {
            for (const peer of allowed.get(port) ?? []) {
              assert.equal(peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'], 'app');
              assert.equal(peer.ipBlock, undefined);
            }
          }
          const egressPorts = egress.flatMap((r) => (r.ports ?? []).map((p) => p.port));
          assert.ok(egressPorts.includes(53) && egressPorts.includes(443), 'DNS and HTTPS (Slack, JWKS)');
          if (config.store.kind === 'redis') assert.ok(egressPorts.includes(6379), 'Redis');
          const remotePostgres = config.targets.some((t) => t.protocol === 'postgres' && t.upstream.host !== '127.0.0.1');
          if (remotePostgres) assert.ok(egressPorts.includes(5432), 'the database');
        }
      });

      it('reads every secret from a key of the Secret template', () => {
        const template = readManifests('deploy/base/secrets/airlock-secrets.example.yaml')[0] as K8sObject;
        const keys = Object.keys(template['stringData'] as Record<string, string>);
        const source = airlockConfigSource(objects);
        const referenced = [...source.matchAll(new RegExp(`${SECRET_DIR}([\\w.-]+)`, 'g'))].map((m) => m[1] as string);
        assert.ok(referenced.length > 0);
        for (const key of referenced) assert.ok(keys.includes(key), `${key} is in the Secret template`);
        for (const { pod } of workloads(objects)) {
          for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
            for (const env of c.env ?? []) {
              const ref = env.valueFrom?.secretKeyRef;
              if (ref) assert.ok(ref.name === 'airlock-secrets' && keys.includes(ref.key), `${c.name} ${env.name}`);
            }
          }
        }
      });
    });
  }
});

describe('deploy/: layout specifics', () => {
  it('postgres-sidecar: PostgreSQL listens on loopback in the same pod as Airlock', () => {
    const objects = renderKustomization('deploy/overlays/postgres-sidecar');
    const [workload] = workloads(objects);
    assert.equal(workload?.object.kind, 'StatefulSet');
    const postgres = workload?.pod.containers.find((c) => c.name === 'postgres');
    assert.ok(postgres);
    assert.match(postgres.image as string, /^postgres:\d+\.\d+/);
    assert.ok(postgres.args?.includes('listen_addresses=127.0.0.1'));
    const config = withDummySecrets(airlockConfigSource(objects), (s) => parseConfig(s, 'postgres-sidecar', {}));
    const target = config.targets[0];
    assert.ok(target?.protocol === 'postgres');
    assert.equal(target.upstream.host, '127.0.0.1');
    assert.equal(target.upstream.port, 5432);
    assert.equal(config.postgres.plaintext, 'never');
  });

  it('postgres-sidecar: works as shipped (shared state in its own Redis, TOTP key from the Secret, control API published, a policy for the application)', () => {
    const objects = renderKustomization('deploy/overlays/postgres-sidecar');
    const config = withDummySecrets(airlockConfigSource(objects), (s) => parseConfig(s, 'postgres-sidecar', {}));
    // State: Redis, reached through the overlay's Service, password from the Secret.
    assert.equal(config.store.kind, 'redis');
    const url = new URL(config.store.redis?.url as string);
    const redisService = services(objects).find((s) => s.metadata.name === url.hostname);
    assert.ok(redisService, `a Service named ${url.hostname}`);
    assert.deepEqual(redisService.spec?.ports?.map((p) => p.port), [Number(url.port)]);
    assert.equal(url.password, '', 'no credential in the ConfigMap');
    assert.equal(config.store.redis?.password, 'dummy-redis-password', 'the password comes from the Secret');
    const redis = workloads(objects).find((w) => selects(redisService.spec?.selector, w.podLabels));
    assert.ok(redis && redis.object.kind === 'StatefulSet', 'Redis keeps its data on a volume');
    const container = redis.pod.containers[0] as IContainer;
    assert.match(container.args?.join(' ') ?? '', /--appendonly yes/);
    assert.ok(!(container.args?.join(' ') ?? '').includes('--requirepass'), 'the password never on the command line');
    assert.equal(container.env?.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.key, 'redis-password');
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    const redisIngress = networkPolicies(objects).filter((p) => selects(p.spec?.podSelector.matchLabels, redis.podLabels));
    assert.deepEqual(
      redisIngress.flatMap((p) => p.spec?.ingress ?? []).flatMap((r) => r.from ?? []).map((peer) => peer.podSelector?.matchLabels),
      [{ [PROXY_LABEL]: 'true' }],
      'only Airlock pods reach Redis',
    );
    // TOTP enrolments are encrypted with the Secret's key, not one generated into the emptyDir.
    assert.equal(config.step_up.totp.encryption_key, dummySecret('totp-encryption-key').trimEnd());
    // The control API: an Ingress routes /v1 and /approvals (not /metrics) to the Airlock pod's control port, on public_url's host.
    const [ingress, ...more] = ingresses(objects);
    assert.ok(ingress && more.length === 0);
    const rules = ingress.spec?.rules ?? [];
    assert.deepEqual(rules.map((r) => r.host), [new URL(config.server.public_url as string).hostname]);
    assert.deepEqual(rules.flatMap((r) => (r.http?.paths ?? []).map((p) => p.path)).sort(), ['/approvals', '/v1']);
    // The policy: medium needs step-up for people, but the application's own routine statements pass.
    assert.equal(config.policy.defaults.medium, 'step_up');
    const appRule = config.policy.rules.find((r) => r.require === 'allow' && r.match.groups?.length && r.match.risk);
    assert.ok(appRule, 'a rule lets the application workload through');
    assert.deepEqual([appRule.match.risk].flat().sort(), ['low', 'medium']);
  });

  it('replicas-redis: three replicas on Redis, a PodDisruptionBudget, spread across nodes and zones', () => {
    const objects = renderKustomization('deploy/overlays/replicas-redis');
    const [workload] = workloads(objects);
    assert.ok(workload && workload.object.kind === 'Deployment');
    const spec = workload.object['spec'] as { replicas: number; strategy: { rollingUpdate: { maxUnavailable: number } } };
    assert.equal(spec.replicas, 3);
    assert.equal(spec.strategy.rollingUpdate.maxUnavailable, 0);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
    const pdbSpec = pdb?.['spec'] as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    assert.ok(pdbSpec && selects(pdbSpec.selector.matchLabels, workload.podLabels));
    assert.ok(pdbSpec.minAvailable >= 2);
    const keys = (workload.pod.topologySpreadConstraints ?? []).map((c) => c.topologyKey).sort();
    assert.deepEqual(keys, ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    assert.ok(workload.pod.affinity?.podAntiAffinity);
    const config = withDummySecrets(airlockConfigSource(objects), (s) => parseConfig(s, 'replicas-redis', {}));
    assert.equal(config.store.kind, 'redis');
    assert.ok(config.step_up.totp.encryption_key, 'replicas share a configured TOTP key, never a generated one');
    assert.deepEqual(config.targets.map((t) => t.protocol).sort(), ['http', 'postgres']);
  });

  it('http-sidecar: the service behind Airlock listens on loopback and is not published', () => {
    const objects = renderKustomization('deploy/overlays/http-sidecar');
    const config = withDummySecrets(airlockConfigSource(objects), (s) => parseConfig(s, 'http-sidecar', {}));
    const target = config.targets[0];
    assert.ok(target?.protocol === 'http');
    assert.match(target.upstream.url ?? "", /^http:\/\/127\.0\.0\.1:\d+/);
  });

  it('the ServiceMonitor lives in an optional component that no overlay includes', () => {
    for (const layout of LAYOUTS) {
      assert.ok(!renderKustomization(layout.dir).some((o) => o.kind === 'ServiceMonitor'), `${layout.dir} applies without the CRD`);
    }
    const objects = renderKustomization('deploy/examples/postgres-sidecar-monitored');
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor');
    assert.equal(monitor?.apiVersion, 'monitoring.coreos.com/v1');
    const spec = monitor?.['spec'] as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
    const metrics = services(objects).filter((s) => selects(spec.selector.matchLabels, s.metadata.labels ?? {}));
    assert.equal(metrics.length, 1);
    const service = metrics[0];
    assert.ok(service);
    assert.deepEqual(service.spec?.selector, { [PROXY_LABEL]: 'true' });
    assert.deepEqual(spec.endpoints.map((e) => [e.port, e.path]), [['control', '/metrics']]);
    assert.deepEqual(service.spec?.ports?.map((p) => [p.name, p.port]), [['control', CONTROL_PORT]]);
    assert.equal(service.spec?.clusterIP, 'None');
  });
});
