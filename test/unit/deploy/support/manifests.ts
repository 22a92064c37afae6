// What the deploy/ tests share: the layouts, how to find pods, containers and
// configs in rendered objects, and validation against the Kubernetes schemas.
import { spawnSync } from 'node:child_process';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './kustomize.js';

export const AIRLOCK_IMAGE_REPOSITORY = 'registry.example.com/platform/airlock';
export const AIRLOCK_ARGS = ['serve', '--config', '/etc/airlock/airlock.yaml'] as const;
export const SECRET_DIR = '/var/run/secrets/airlock/';
export const PROXY_LABEL = 'airlock.dev/proxy';

export interface Layout {
  readonly dir: string;
  /** The layout publishes the control API to people through an Ingress (step-up and approvals work as shipped). */
  readonly controlIngress: boolean;
  /** Airlock runs as a native sidecar (initContainer, restartPolicy Always). */
  readonly sidecar: boolean;
  /** Ports clients reach through the layout's Service(s). */
  readonly proxyPorts: readonly number[];
}

export const LAYOUTS: readonly Layout[] = [
  { dir: 'deploy/overlays/postgres-sidecar', sidecar: true, proxyPorts: [6432], controlIngress: true },
  { dir: 'deploy/overlays/replicas-redis', sidecar: false, proxyPorts: [6432, 8443], controlIngress: false },
  { dir: 'deploy/overlays/http-sidecar', sidecar: true, proxyPorts: [8443], controlIngress: false },
];

/** Kustomizations a platform engineer may apply (overlays and examples). */
export const APPLICABLE = [...LAYOUTS.map((l) => l.dir), 'deploy/examples/postgres-sidecar-monitored'];

type Validator = (object: K8sObject) => void;
const VALIDATORS: Record<string, Validator> = {
  'apps/v1/Deployment': (o) => new Deployment(o as never).validate(),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o as never).validate(),
  'networking.k8s.io/v1/Ingress': (o) => new Ingress(o as never).validate(),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o as never).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never).validate(),
  'v1/ConfigMap': (o) => new ConfigMap(o as never).validate(),
  'v1/Secret': (o) => new Secret(o as never).validate(),
  'v1/Service': (o) => new Service(o as never).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
};

/** Validates against the Kubernetes OpenAPI schema (kubernetes-models); returns false for kinds it does not know (CRDs). */
export function validateObject(object: K8sObject): boolean {
  const validate = VALIDATORS[`${object.apiVersion}/${object.kind}`];
  if (!validate) return false;
  validate(object);
  return true;
}

export interface Workload {
  readonly object: K8sObject;
  readonly podLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  readonly pod: IPodSpec;
}

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => {
      const template = (o['spec'] as { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: IPodSpec } }).template;
      return { object: o, podLabels: template.metadata?.labels ?? {}, podAnnotations: template.metadata?.annotations ?? {}, pod: template.spec };
    });
}

export interface AirlockContainer {
  readonly workload: Workload;
  readonly container: IContainer;
  readonly init: boolean;
}

export function airlockContainers(objects: readonly K8sObject[]): AirlockContainer[] {
  const out: AirlockContainer[] = [];
  for (const workload of workloads(objects)) {
    for (const container of workload.pod.initContainers ?? []) {
      if (container.image?.startsWith(`${AIRLOCK_IMAGE_REPOSITORY}:`)) out.push({ workload, container, init: true });
    }
    for (const container of workload.pod.containers) {
      if (container.image?.startsWith(`${AIRLOCK_IMAGE_REPOSITORY}:`)) out.push({ workload, container, init: false });
    }
  }
  return out;
}

export function services(objects: readonly K8sObject[]): Array<K8sObject & IService> {
  return objects.filter((o) => o.kind === 'Service') as Array<K8sObject & IService>;
}

export function ingresses(objects: readonly K8sObject[]): Array<K8sObject & IIngress> {
  return objects.filter((o) => o.kind === 'Ingress') as Array<K8sObject & IIngress>;
}

export function networkPolicies(objects: readonly K8sObject[]): Array<K8sObject & INetworkPolicy> {
  return objects.filter((o) => o.kind === 'NetworkPolicy') as Array<K8sObject & INetworkPolicy>;
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

/** The airlock.yaml an object set carries in its airlock-config ConfigMap. */
export function airlockConfigSource(objects: readonly K8sObject[]): string {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'airlock-config');
  const source = (configMap?.['data'] as Record<string, string> | undefined)?.['airlock.yaml'];
  if (source === undefined) throw new Error('no airlock-config ConfigMap with airlock.yaml');
  return source;
}

/** `kubectl kustomize DIR` when kubectl is installed, else null (the tests then rely on the subset renderer alone). */
export function kubectlKustomize(dir: string): K8sObject[] | null {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout, { version: '1.1' })
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
