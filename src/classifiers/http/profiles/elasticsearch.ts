import { maxRisk, type RiskLevel } from '../../../model/risk-level.js';
import type { ProfileFacts, ProfileInput } from './request-profile.js';

/**
 * Elasticsearch and OpenSearch REST APIs: the first path segment is an index
 * expression (names, comma lists, wildcards, `_all`) or an API (`_cluster`,
 * `_bulk`, ...); the first `_`-segment after it names the API.
 */

/** APIs that only read, even when called with POST (a body carries the query). */
const READ_APIS = new Set(['_search', '_msearch', '_count', '_mget', '_field_caps', '_validate', '_explain', '_termvectors', '_mtermvectors', '_rank_eval', '_search_shards', '_sql', '_eql', '_async_search', '_pit', '_resolve', '_mapping', '_mappings', '_settings', '_stats', '_cat', '_nodes', '_health', '_alias', '_aliases', '_analyze', '_render']);
const HIGH_WRITE_APIS = new Set(['_update_by_query', '_reindex', '_close', '_shrink', '_split', '_clone', '_forcemerge', '_rollover', '_freeze', '_unfreeze', '_security', '_snapshot', '_ilm', '_slm', '_license', '_ingest']);

function isWildcardIndex(index: string): boolean {
  return index === '_all' || index === '*' || index.includes('*') || index.includes(',') || index.startsWith('-');
}

function bulkHasDelete(text: string | undefined): boolean {
  if (text === undefined) return true; // not inspected: assume the worst
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      const entry: unknown = JSON.parse(trimmed);
      if (entry !== null && typeof entry === 'object' && 'delete' in entry) return true;
    } catch {
      return true; // a line Airlock cannot read: assume the worst
    }
  }
  return false;
}

export function elasticsearchProfile(input: ProfileInput): ProfileFacts {
  const { method } = input.view;
  const segments = input.view.path.split('/').filter((s) => s !== '');
  const first = segments[0] ?? '';
  const hasIndex = first !== '' && (!first.startsWith('_') || first === '_all');
  const index = hasIndex ? first : undefined;
  const api = segments.slice(hasIndex ? 1 : 0).find((s) => s.startsWith('_')) ?? (hasIndex ? '' : first);
  const indices = index === undefined ? [] : index.split(',');
  const read = method === 'GET' || method === 'HEAD';
  const flags: string[] = [];
  if (index !== undefined && isWildcardIndex(index)) flags.push('es_wildcard_index');
  let kind: string;
  let risk: RiskLevel;
  if (method === 'DELETE' && index !== undefined && segments.length === 1) {
    kind = 'delete_index';
    risk = 'critical';
  } else if (api === '_delete_by_query') {
    kind = 'delete_by_query';
    risk = 'critical';
  } else if (api === '_bulk') {
    kind = 'bulk';
    risk = bulkHasDelete(input.bodyText) ? 'high' : 'medium';
  } else if (read || READ_APIS.has(api)) {
    kind = api === '' ? (index === undefined ? 'info' : 'get_index') : api.slice(1);
    risk = read ? 'low' : READ_APIS.has(api) && method === 'POST' ? 'low' : 'medium';
    if (!read && api === '_settings') risk = 'high'; // PUT _settings changes an index
    if (!read && (api === '_mapping' || api === '_mappings' || api === '_alias' || api === '_aliases')) risk = 'medium';
  } else if (HIGH_WRITE_APIS.has(api) || api === '_cluster') {
    kind = api.slice(1) || 'cluster';
    risk = 'high';
  } else if (method === 'DELETE') {
    kind = api === '' || api === '_doc' ? 'delete_document' : `delete${api}`;
    risk = 'high';
  } else {
    kind = api === '' ? (segments.length === 1 ? 'create_index' : 'index_document') : api.slice(1);
    risk = 'medium';
  }
  // Writes to every index, a pattern or a list reach further than anyone types by accident.
  if (!read && flags.includes('es_wildcard_index') && !READ_APIS.has(api)) risk = maxRisk(risk, 'critical');
  return { kinds: [kind], objects: indices, flags, risk, details: { elasticsearch: { api: api || null, indices } } };
}
