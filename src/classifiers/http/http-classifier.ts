import { createHash } from 'node:crypto';
import type { Classification } from '../../model/action.js';
import { maxRisk, type RiskLevel } from '../../model/risk-level.js';
import type { CommandClassifier } from '../command-classifier.js';
import { HOP_BY_HOP_HEADERS, isCredentialHeader, requestCommandText, type HttpRequestView } from './http-request.js';
import { decodeContent } from './content-encoding.js';
import { jsonLeafFlags, parseJsonBody, redactSecretFields } from './json-body.js';
import { elasticsearchProfile } from './profiles/elasticsearch.js';
import { graphqlProfile } from './profiles/graphql.js';
import { kubernetesProfile } from './profiles/kubernetes.js';
import type { ProfileFacts, ProfileName, RequestProfile } from './profiles/request-profile.js';
import { parseQueryKeys } from './query-keys.js';
import { checkRequestFraming } from './request-framing.js';
import { normaliseMethod, normaliseRequestTarget } from './request-target.js';

export interface HttpClassifierOptions {
  readonly profile?: ProfileName;
  /** Risk by effective method, over the defaults (GET/HEAD/OPTIONS low, POST/PUT/PATCH medium, DELETE and others high). */
  readonly methods?: Readonly<Record<string, RiskLevel>>;
  /** Classifications kept by request shape (no body); 0 disables. */
  readonly cacheSize?: number;
}

/** A request classified: the command text approvals are bound to, or why it is refused (400, never forwarded). */
export type ClassifiedRequest = { ok: true; command: string; classification: Classification } | { ok: false; reason: string };

const DEFAULT_METHOD_RISK: Readonly<Record<string, RiskLevel>> = { GET: 'low', HEAD: 'low', OPTIONS: 'low', POST: 'medium', PUT: 'medium', PATCH: 'medium', DELETE: 'high' };
const PROFILES: Readonly<Record<ProfileName, RequestProfile | null>> = { generic: null, kubernetes: kubernetesProfile, elasticsearch: elasticsearchProfile, graphql: graphqlProfile };
/** Headers every client sends: flags of them would only be noise in the audit. */
const UNREMARKABLE_HEADERS = new Set(['accept', 'accept-encoding', 'accept-language', 'user-agent', 'cache-control', 'pragma', 'referer', 'origin', 'dnt', 'priority', 'expect', 'if-none-match', 'if-modified-since', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'upgrade-insecure-requests', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'prefer',
  // Tracing and correlation ids: unique per request, so as flags they would only defeat the classification cache and bloat the audit.
  'traceparent', 'tracestate', 'baggage', 'x-request-id', 'x-correlation-id', 'x-amzn-trace-id', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'b3', 'sentry-trace', 'x-cloud-trace-context']);
const MAX_HEADER_FLAG_VALUE = 200;

/**
 * Describes HTTP requests for the Gate: kinds are the effective method (and a
 * profile's verb), objects the normalised path (and a profile's objects),
 * flags the query keys (`query:KEY`), remarkable headers
 * (`header:NAME=VALUE`) and JSON body leaves (`body:/POINTER=VALUE`).
 * Never decides; refuses only what it cannot read the way the upstream will.
 */
export class HttpClassifier implements CommandClassifier {
  readonly protocol = 'http' as const;
  private readonly profile: RequestProfile | null;
  private readonly methods: Readonly<Record<string, RiskLevel>>;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, ClassifiedRequest>();

  constructor(options: HttpClassifierOptions = {}) {
    this.profile = PROFILES[options.profile ?? 'generic'];
    this.methods = { ...DEFAULT_METHOD_RISK, ...options.methods };
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** Classifies a normalised request. Without a body the result is cached by shape, so the Gate's allow cache hits. */
  classifyRequest(view: HttpRequestView): ClassifiedRequest {
    const headerFlags = this.headerFlags(view.headers);
    const cacheable = this.cacheSize > 0 && view.bodyState === 'none';
    const key = cacheable ? `${view.method} ${view.path}?${view.query}\0${view.requestMethod ?? ''}\0${view.headers.get('upgrade') ?? ''}\0${headerFlags.join('\0')}` : '';
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit) {
        this.cache.delete(key);
        this.cache.set(key, hit);
        return hit;
      }
    }
    const result = this.classifyUncached(view, headerFlags);
    if (cacheable) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, result);
    }
    return result;
  }

  private classifyUncached(view: HttpRequestView, headerFlags: readonly string[]): ClassifiedRequest {
    const query = parseQueryKeys(view.query);
    if (!query.ok) return { ok: false, reason: query.reason };
    const flags: string[] = query.keys.map((key) => `query:${key}`);
    flags.push(...headerFlags);
    if (view.requestMethod !== undefined && view.requestMethod !== view.method) flags.push('method_override');
    const websocket = view.headers.get('upgrade')?.toLowerCase() === 'websocket';
    if (websocket) flags.push('websocket');
    let json: unknown;
    let bodyText: string | undefined;
    let bodySha256: string | undefined;
    /** The body as approvers and the audit see it, when secrets were taken out of it. */
    let shownBody: { text: string; note: string } | undefined;
    if (view.bodyState === 'over_cap') flags.push('body_not_inspected');
    else if (view.body && view.body.length > 0) {
      bodySha256 = createHash('sha256').update(view.body).digest('hex');
      const decoded = decodeContent(view.body, view.headers.get('content-encoding'));
      if (!decoded.ok) return { ok: false, reason: decoded.reason };
      bodyText = decoded.body.toString('utf8');
      if (decoded.body !== view.body) flags.push('body_compressed');
      const parsed = parseJsonBody(bodyText);
      if (parsed.ok === false) return { ok: false, reason: parsed.reason };
      if (decoded.body !== view.body && bodyText.length <= 65_536 && !bodyText.includes('\uFFFD')) shownBody = { text: bodyText, note: 'decompressed' };
      if (parsed.ok === true) {
        json = parsed.value;
        const shown = redactSecretFields(json);
        flags.push(...jsonLeafFlags(shown.value));
        if (shown.redacted) shownBody = { text: JSON.stringify(shown.value), note: `${flags.includes('body_compressed') ? 'decompressed, ' : ''}with secret fields redacted` };
      }
    }
    // Frameworks (Rails, Laravel, Symfony) also take the method from a `_method` field of the body.
    const bodyOverride = bodyMethodOverride(view, bodyText, json);
    if (bodyOverride !== undefined && !bodyOverride.ok) return { ok: false, reason: bodyOverride.reason };
    let ev: HttpRequestView = view;
    if (bodyOverride?.ok && bodyOverride.method !== view.method) {
      if (view.requestMethod !== undefined) return { ok: false, reason: 'conflicting method overrides (header or query, and body)' };
      ev = { ...view, method: bodyOverride.method, requestMethod: view.method };
      if (!flags.includes('method_override')) flags.push('method_override');
    }
    let risk: RiskLevel = this.methods[ev.method] ?? 'high';
    const kinds = websocket ? [ev.method.toLowerCase(), 'websocket'] : [ev.method.toLowerCase()];
    // Case-insensitive upstreams and trailing slashes: the path in the forms a rule is likely written in, too.
    const objects = [ev.path];
    const lower = ev.path.toLowerCase();
    if (lower !== ev.path) objects.push(lower);
    if (ev.path.length > 1 && ev.path.endsWith('/')) objects.push(ev.path.slice(0, -1), ...(lower !== ev.path ? [lower.slice(0, -1)] : []));
    let profileFacts: ProfileFacts | undefined;
    if (this.profile) {
      profileFacts = this.profile({ view: ev, query: query.values, ...(json !== undefined ? { json } : {}), ...(bodyText !== undefined ? { bodyText } : {}) });
      for (const kind of profileFacts.kinds) if (!kinds.includes(kind)) kinds.push(kind);
      objects.push(...profileFacts.objects);
      flags.push(...profileFacts.flags);
      // A profile that knows the API judges it; an override the profile did not see never lowers it.
      if (profileFacts.risk !== undefined) risk = profileFacts.risk;
      const override = this.methods[ev.method];
      if (override !== undefined && override !== DEFAULT_METHOD_RISK[ev.method]) risk = maxRisk(risk, override);
    }
    // Overridden methods and bodies Airlock could not read never count as less than their worst reading.
    if (ev.requestMethod !== undefined && ev.requestMethod !== ev.method) risk = maxRisk(risk, this.methods[ev.requestMethod] ?? 'high');
    if (ev.bodyState === 'over_cap' && ev.method !== 'GET' && ev.method !== 'HEAD') {
      // Not inspected: a form or JSON body could carry a `_method` override to anything, so it counts as high.
      risk = maxRisk(risk, OVERRIDABLE_TYPES.test(ev.headers.get('content-type') ?? '') ? 'high' : 'medium');
    }
    const classification: Classification = Object.freeze({
      risk,
      facts: Object.freeze({
        kinds,
        objects,
        flags,
        details: { method: ev.method, path: ev.path, ...(ev.query === '' ? {} : { query: ev.query }), ...(profileFacts?.details ?? {}) },
      }),
    });
    return { ok: true, command: requestCommandText(ev, bodySha256, shownBody), classification };
  }

  private headerFlags(headers: ReadonlyMap<string, string>): string[] {
    const flags: string[] = [];
    for (const [name, value] of headers) {
      if (HOP_BY_HOP_HEADERS.has(name) || UNREMARKABLE_HEADERS.has(name) || isCredentialHeader(name)) continue;
      flags.push(`header:${name}=${value.length > MAX_HEADER_FLAG_VALUE ? `${value.slice(0, MAX_HEADER_FLAG_VALUE)}…` : value}`);
    }
    return flags.sort();
  }

  /**
   * `airlock explain`: one request as `METHOD URL` (origin-form or absolute
   * URL), or a JSON object `{"method", "url", "headers", "body"}`. A request
   * the proxy would refuse is critical with the `refused` flag.
   */
  classify(text: string): Classification {
    const view = parseExplainRequest(text);
    const result = typeof view === 'string' ? ({ ok: false, reason: view } as const) : this.classifyRequest(view);
    if (result.ok) return result.classification;
    return { risk: 'critical', facts: { kinds: [], objects: [], flags: ['refused'], details: { refused: result.reason } } };
  }
}

const METHOD_TOKEN = /^[A-Z]{1,20}$/;
const OVERRIDABLE_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data|application\/json|[a-z]+\/[a-z.+-]*\+json)\b/i;

/**
 * A `_method` field in the body (a form, a multipart form, a JSON object):
 * the method the application will dispatch, or why the body is refused
 * (several or invalid values; a multipart `_method`, which is not parsed
 * here). Undefined when there is none.
 */
function bodyMethodOverride(view: HttpRequestView, bodyText: string | undefined, json: unknown): { ok: true; method: string } | { ok: false; reason: string } | undefined {
  const type = view.headers.get('content-type') ?? '';
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && Object.hasOwn(json, '_method')) {
    const value = (json as Record<string, unknown>)['_method'];
    return typeof value === 'string' && METHOD_TOKEN.test(value) ? { ok: true, method: value } : { ok: false, reason: 'an invalid _method in the JSON body' };
  }
  if (bodyText === undefined) return undefined;
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    const form = parseQueryKeys(bodyText.trim());
    if (!form.ok) return { ok: false, reason: `${form.reason} (form body)` };
    const values = [...form.values].filter(([key]) => key.toLowerCase() === '_method').flatMap(([, v]) => v);
    if (values.length === 0) return undefined;
    if (values.length > 1 || !METHOD_TOKEN.test(values[0]!)) return { ok: false, reason: 'several or invalid _method fields in the form body' };
    return { ok: true, method: values[0]! };
  }
  if (/^multipart\/form-data\b/i.test(type) && /name\s*=\s*"?_method"?/i.test(bodyText)) return { ok: false, reason: 'a _method field in a multipart body' };
  return undefined;
}

/** Builds the view the proxy would build from an explain input, or says why the proxy would refuse it. */
export function parseExplainRequest(text: string): HttpRequestView | string {
  let method: string;
  let url: string;
  let headers: Record<string, string> = {};
  let body: string | undefined;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let input: unknown;
    try {
      input = JSON.parse(trimmed);
    } catch {
      return 'not a JSON object';
    }
    const object = input as { method?: unknown; url?: unknown; headers?: unknown; body?: unknown };
    if (typeof object.method !== 'string' || typeof object.url !== 'string') return 'expected {"method": "...", "url": "..."}';
    method = object.method;
    url = object.url;
    if (object.headers !== undefined) {
      if (object.headers === null || typeof object.headers !== 'object') return 'headers must be an object';
      headers = Object.fromEntries(Object.entries(object.headers).map(([k, v]) => [k, String(v)]));
    }
    if (object.body !== undefined) body = typeof object.body === 'string' ? object.body : JSON.stringify(object.body);
  } else {
    const match = /^(\S+)\s+(\S+)$/.exec(trimmed);
    if (!match) return 'expected "METHOD URL"';
    method = match[1]!;
    url = match[2]!;
  }
  let target = url;
  if (!url.startsWith('/')) {
    const absolute = /^https?:\/\/[^/?#]*(.*)$/i.exec(url);
    if (!absolute) return 'expected an origin-form path (/...) or an http(s) URL';
    target = absolute[1] === '' ? '/' : absolute[1]!;
  }
  const requestMethod = normaliseMethod(method);
  if (requestMethod === undefined) return `an invalid method "${method}" (methods are upper-case tokens)`;
  const normalised = normaliseRequestTarget(target);
  if (!normalised.ok) return normalised.reason;
  const rawHeaders = Object.entries(headers).flat();
  const framing = checkRequestFraming(requestMethod, rawHeaders, normalised.query);
  if (!framing.ok) return framing.reason;
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!isCredentialHeader(lower)) map.set(lower, value);
  }
  return {
    method: framing.effectiveMethod,
    ...(framing.effectiveMethod !== requestMethod ? { requestMethod } : {}),
    path: normalised.path,
    query: normalised.query,
    headers: map,
    ...(body !== undefined ? { body: Buffer.from(body) } : {}),
    bodyState: body === undefined || body === '' ? 'none' : 'inspected',
  };
}
