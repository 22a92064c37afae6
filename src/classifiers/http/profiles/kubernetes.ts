import { maxRisk, type RiskLevel } from '../../../model/risk-level.js';
import type { ProfileFacts, ProfileInput } from './request-profile.js';

/**
 * The Kubernetes API as kubectl and client-go call it: the path names the
 * group, version, namespace, resource, name and subresource; method plus
 * path give the verb the API server's authorizer sees (get, list, watch,
 * create, update, patch, delete, deletecollection, exec, attach, portforward, proxy).
 */

/** Deleting these takes many other objects with it, or the cluster's own machinery. */
const CRITICAL_DELETES = new Set(['namespaces', 'nodes', 'persistentvolumes', 'customresourcedefinitions', 'clusterroles', 'clusterrolebindings', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'apiservices']);
/** Writing these changes who may do what. */
const PRIVILEGE_RESOURCES = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings', 'serviceaccounts', 'certificatesigningrequests', 'validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'tokenreviews', 'subjectaccessreviews']);
/** Subresources that open a stream into a running container or through the API server. */
const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

interface ResourcePath {
  readonly group: string;
  readonly version: string;
  readonly namespace?: string;
  readonly resource: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly legacyWatch: boolean;
}

function parseResourcePath(path: string): ResourcePath | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else return undefined;
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { group, version, namespace: rest[1]!, resource: rest[2]!, ...(rest[3] ? { name: rest[3] } : {}), ...(rest[4] ? { subresource: rest.slice(4).join('/') } : {}), legacyWatch };
  }
  return { group, version, resource: rest[0]!, ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest.slice(2).join('/') } : {}), legacyWatch };
}

function isTrue(values: readonly string[] | undefined): boolean {
  return values !== undefined && values.some((v) => v === '' || v === 'true' || v === '1');
}

function verbOf(method: string, resource: ResourcePath, query: ProfileInput['query']): string {
  const sub = resource.subresource?.split('/')[0];
  if (sub !== undefined && STREAM_SUBRESOURCES.has(sub)) return sub;
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (resource.legacyWatch || isTrue(query.get('watch'))) return 'watch';
      return resource.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return resource.name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

function riskOf(verb: string, resource: ResourcePath, input: ProfileInput): RiskLevel {
  switch (verb) {
    case 'get':
    case 'list':
    case 'watch':
      // Secrets read in clear are credentials.
      return resource.resource === 'secrets' ? 'medium' : 'low';
    case 'create':
    case 'update':
    case 'patch': {
      let risk: RiskLevel = PRIVILEGE_RESOURCES.has(resource.resource) ? 'high' : 'medium';
      if (resource.subresource === 'eviction' || resource.resource === 'nodes') risk = 'high'; // drain, cordon
      if (resource.subresource === 'scale' && scaleToZero(input.json)) risk = 'high';
      return risk;
    }
    case 'delete':
      return CRITICAL_DELETES.has(resource.resource) ? 'critical' : 'high';
    case 'deletecollection':
      return 'critical';
    case 'exec':
    case 'attach':
    case 'portforward':
    case 'proxy':
      return 'high';
    default:
      return 'high';
  }
}

function scaleToZero(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  const spec = (json as { spec?: unknown }).spec;
  return spec !== null && typeof spec === 'object' && (spec as { replicas?: unknown }).replicas === 0;
}

export function kubernetesProfile(input: ProfileInput): ProfileFacts {
  const resource = parseResourcePath(input.view.path);
  if (!resource) {
    // Discovery, /version, /healthz, /openapi: reads of the server itself.
    const read = input.view.method === 'GET' || input.view.method === 'HEAD';
    return { kinds: [read ? 'get' : input.view.method.toLowerCase()], objects: [], flags: ['k8s_non_resource'], risk: read ? 'low' : 'high' };
  }
  const verb = verbOf(input.view.method, resource, input.query);
  const qualified = resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
  const scope = resource.namespace === undefined ? '' : `${resource.namespace}/`;
  const object = `${scope}${qualified}${resource.name === undefined ? '' : `/${resource.name}`}${resource.subresource === undefined ? '' : `/${resource.subresource}`}`;
  const flags: string[] = [];
  if (resource.namespace === undefined) flags.push('k8s_cluster_scope');
  const dryRun = input.query.get('dryRun');
  if (dryRun !== undefined && dryRun.every((v) => v === 'All')) flags.push('k8s_dry_run');
  let risk = riskOf(verb, resource, input);
  // A dry run is validated and admitted but never persisted.
  if (flags.includes('k8s_dry_run') && verb !== 'exec' && verb !== 'attach' && verb !== 'portforward' && verb !== 'proxy') risk = 'low';
  // A label or field selector on a delete can still match everything: never lower.
  if (verb === 'deletecollection') risk = maxRisk(risk, 'critical');
  return {
    kinds: [verb],
    objects: [object],
    flags,
    risk,
    details: {
      kubernetes: { verb, group: resource.group, version: resource.version, resource: resource.resource, ...(resource.namespace ? { namespace: resource.namespace } : {}), ...(resource.name ? { name: resource.name } : {}), ...(resource.subresource ? { subresource: resource.subresource } : {}) },
    },
  };
}
