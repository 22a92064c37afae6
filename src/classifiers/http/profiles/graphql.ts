import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { maxRisk, type RiskLevel } from '../../../model/risk-level.js';
import type { ProfileFacts, ProfileInput } from './request-profile.js';

/**
 * GraphQL over HTTP: the operation document is parsed with graphql-js (the
 * reference implementation). Every operation in the document counts, not
 * only the one `operationName` selects: the server's choice is its own, and
 * a document whose operations are judged together cannot hide a mutation.
 */

const OPERATION_RISK: Readonly<Record<string, RiskLevel>> = { query: 'low', subscription: 'low', mutation: 'medium' };

interface GraphqlRequest {
  readonly query: string;
}

/** The documents a request carries: a JSON object or batch array with `query`, `application/graphql`, or `?query=`. */
function documentsOf(input: ProfileInput): GraphqlRequest[] | undefined {
  const fromQuery = input.query.get('query');
  const found: GraphqlRequest[] = fromQuery ? fromQuery.map((query) => ({ query })) : [];
  const json = input.json;
  const entries = Array.isArray(json) ? json : json !== undefined ? [json] : [];
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object') return undefined;
    const query = (entry as { query?: unknown }).query;
    if (query === undefined && (entry as { extensions?: unknown }).extensions !== undefined) return undefined; // persisted query: text unknown
    if (typeof query !== 'string') return undefined;
    found.push({ query });
  }
  if (json === undefined && input.bodyText !== undefined && input.bodyText.trim() !== '') found.push({ query: input.bodyText });
  return found;
}

function topLevelFields(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...topLevelFields(selection.selectionSet, fragments, seen));
    else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) names.push(...topLevelFields(fragment.selectionSet, fragments, seen));
    }
  }
  return names;
}

export function graphqlProfile(input: ProfileInput): ProfileFacts {
  const documents = documentsOf(input);
  if (documents === undefined || (documents.length === 0 && input.view.bodyState === 'over_cap')) {
    return { kinds: [], objects: [], flags: ['graphql_unreadable'], risk: 'high' };
  }
  if (documents.length === 0) return { kinds: [], objects: [], flags: [], risk: input.view.method === 'GET' ? 'low' : 'medium' };
  const kinds = new Set<string>();
  const objects = new Set<string>();
  const names: string[] = [];
  let risk: RiskLevel = 'low';
  for (const { query } of documents) {
    let document: DocumentNode;
    try {
      document = parse(query, { noLocation: true, maxTokens: 50_000 });
    } catch {
      return { kinds: [...kinds], objects: [...objects], flags: ['unparseable'], risk: 'high' };
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      const operation = definition.operation;
      kinds.add(operation);
      risk = maxRisk(risk, OPERATION_RISK[operation] ?? 'high');
      if (definition.name) names.push(definition.name.value);
      for (const field of topLevelFields(definition.selectionSet, fragments)) objects.add(`${operation}:${field}`);
    }
  }
  return { kinds: [...kinds], objects: [...objects], flags: [], risk, details: { graphql: { operations: names } } };
}
