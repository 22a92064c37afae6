// A kustomize subset, so the manifests are rendered and checked without
// kubectl. It supports exactly what deploy/ uses (resources, components,
// configMapGenerator with behavior create/replace, generatorOptions
// disableNameSuffixHash) and throws on anything else, so a new kustomize
// feature in deploy/ fails the tests loudly instead of rendering wrongly.
// Hand-written because kustomize is a Go program and no maintained JS port exists.
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'resources', 'components', 'configMapGenerator', 'generatorOptions']);
const KINDS: Record<string, string> = {
  Kustomization: 'kustomize.config.k8s.io/v1beta1',
  Component: 'kustomize.config.k8s.io/v1alpha1',
};

interface ConfigMapGeneratorSpec {
  name: string;
  behavior?: 'create' | 'replace' | 'merge';
  files?: string[];
  literals?: string[];
}

/** Every object of a YAML file with several documents (empty documents skipped). */
export function readManifests(path: string): K8sObject[] {
  // Kubernetes reads manifests as YAML 1.1 (0444 is octal there, decimal in 1.2);
  // the manifests avoid such scalars, and the 1.1 schema here matches kubectl.
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { version: '1.1' });
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const object = value as K8sObject;
    if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`${path}: a document without apiVersion, kind or metadata.name`);
    }
    out.push(object);
  }
  return out;
}

function readKustomization(dir: string): Record<string, unknown> {
  const docs = readManifestsLoose(join(dir, 'kustomization.yaml'));
  if (docs.length !== 1) throw new Error(`${dir}/kustomization.yaml: expected one document`);
  const k = docs[0] as Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_KEYS.has(key)) throw new Error(`${dir}/kustomization.yaml: "${key}" is not supported by the test renderer`);
  }
  const kind = k['kind'] as string;
  if (KINDS[kind] === undefined || KINDS[kind] !== k['apiVersion']) {
    throw new Error(`${dir}/kustomization.yaml: unexpected apiVersion/kind ${String(k['apiVersion'])}/${kind}`);
  }
  return k;
}

function readManifestsLoose(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8'), { version: '1.1' }).map((d) => d.toJS() as unknown);
}

const idOf = (o: K8sObject): string => `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : 'core'}/${o.kind}/${o.metadata.name}`;

function addUnique(into: K8sObject[], objects: readonly K8sObject[], origin: string): void {
  for (const object of objects) {
    if (into.some((existing) => idOf(existing) === idOf(object))) throw new Error(`${origin}: ${idOf(object)} is defined twice`);
    into.push(object);
  }
}

function configMapFrom(dir: string, spec: ConfigMapGeneratorSpec): K8sObject {
  const data: Record<string, string> = {};
  for (const entry of spec.files ?? []) {
    const [key, file] = entry.includes('=') ? (entry.split('=', 2) as [string, string]) : [basename(entry), entry];
    data[key] = readFileSync(join(dir, file), 'utf8');
  }
  for (const literal of spec.literals ?? []) {
    const index = literal.indexOf('=');
    data[literal.slice(0, index)] = literal.slice(index + 1);
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: spec.name }, data };
}

function accumulate(dir: string, into: K8sObject[], expectKind: 'Kustomization' | 'Component'): void {
  const k = readKustomization(dir);
  if (k['kind'] !== expectKind) throw new Error(`${dir}: expected a ${expectKind}, found ${String(k['kind'])}`);

  for (const entry of (k['resources'] as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) {
      const nested: K8sObject[] = [];
      accumulate(path, nested, 'Kustomization');
      addUnique(into, nested, path);
    } else {
      addUnique(into, readManifests(path), path);
    }
  }
  for (const entry of (k['components'] as string[] | undefined) ?? []) accumulate(resolve(dir, entry), into, 'Component');

  const generators = (k['configMapGenerator'] as ConfigMapGeneratorSpec[] | undefined) ?? [];
  const options = (k['generatorOptions'] as { disableNameSuffixHash?: boolean } | undefined) ?? {};
  if (generators.length > 0 && options.disableNameSuffixHash !== true) {
    // With a hash suffix every reference to the ConfigMap would need rewriting; deploy/ does not use it.
    throw new Error(`${dir}: configMapGenerator without generatorOptions.disableNameSuffixHash is not supported by the test renderer`);
  }
  for (const spec of generators) {
    const generated = configMapFrom(dir, spec);
    const index = into.findIndex((o) => o.kind === 'ConfigMap' && o.metadata.name === spec.name);
    const behavior = spec.behavior ?? 'create';
    if (behavior === 'create') {
      addUnique(into, [generated], dir);
    } else if (index === -1) {
      throw new Error(`${dir}: configMapGenerator ${spec.name} has behavior ${behavior} but no base defines it`);
    } else if (behavior === 'replace') {
      const base = into[index] as K8sObject;
      into[index] = { ...generated, metadata: { ...base.metadata } };
    } else {
      throw new Error(`${dir}: configMapGenerator behavior ${behavior} is not supported by the test renderer`);
    }
  }
}

/** Renders a kustomization directory into its list of objects, like `kubectl kustomize DIR`. */
export function renderKustomization(dir: string): K8sObject[] {
  const out: K8sObject[] = [];
  accumulate(resolve(dir), out, 'Kustomization');
  return out;
}
