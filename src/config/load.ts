import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigInvalidError } from '../errors.js';
import { configSchema, type AirlockConfig } from './schema.js';
import { applyEnvOverrides } from './env-overrides.js';
import { resolveSecretFiles } from './secret-files.js';
import type { ConfigPath } from './config-path.js';

export type { ConfigPath };

/** "policy.rules[3].match.risk" */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(root)' : out;
}

/** Finds where a path (or its deepest existing parent) stands in the YAML source. */
function locate(doc: Document, lineCounter: LineCounter, path: ConfigPath, preferKey = false): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    let range: readonly number[] | undefined | null = (node as { range?: number[] } | null)?.range;
    // Point at the key of a mapping entry when the path ends on one: that is the line users look for.
    if (depth > 0) {
      const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[depth - 1]);
        if (pair && isScalar(pair.key) && pair.key.range && (depth < path.length || preferKey)) range = pair.key.range;
        else if (pair && isScalar(pair.value) && pair.value.range) range = pair.value.range;
      }
    }
    if (range) {
      const pos = lineCounter.linePos(range[0] as number);
      return ` (line ${pos.line}:${pos.col})`;
    }
  }
  return '';
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let node = data;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/** Names the type only: the value may be a secret. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown, path: ConfigPath): string {
  switch (issue.code) {
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join('|')}`;
    case 'invalid_type': {
      const value = valueAt(data, path);
      return value === undefined ? `${issue.expected} is required` : `expected ${issue.expected}, got ${describeType(value)}`;
    }
    case 'invalid_union': {
      // Report the branch that got furthest: a wrong value beats a wrong type.
      const branches = issue.errors.map((branch) => branch.find((i) => i.code !== 'invalid_type')).filter((i) => i !== undefined);
      const best = branches[0];
      if (best) return describeIssue(best, data, [...path, ...(best.path as ConfigPath)]);
      return 'does not match any accepted form';
    }
    default:
      return issue.message;
  }
}

export interface LoadedConfig {
  readonly config: AirlockConfig;
  readonly path: string;
}

/** Parses and validates YAML text; throws ConfigInvalidError listing every problem. */
export function parseConfig(source: string, origin = 'config', env: NodeJS.ProcessEnv = process.env): AirlockConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  for (const error of doc.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    problems.push(`${origin}: YAML ${error.code.toLowerCase()}: ${error.message.split('\n')[0]} (line ${pos.line}:${pos.col})`);
  }
  if (problems.length > 0) throw new ConfigInvalidError(`invalid configuration in ${origin}`, problems);

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigInvalidError(`invalid configuration in ${origin}`, ['(root): expected a mapping at the top level']);
  }
  const data = raw as Record<string, unknown>;
  for (const problem of resolveSecretFiles(data)) {
    problems.push(`${formatPath(problem.path)}: ${problem.message}${locate(doc, lineCounter, problem.path)}`);
  }
  applyEnvOverrides(data, env);

  const result = configSchema.safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const path = [...(issue.path as ConfigPath), key];
          problems.push(`${formatPath(path)}: unknown key${locate(doc, lineCounter, path, true)}`);
        }
        continue;
      }
      const path = issue.path as ConfigPath;
      problems.push(`${formatPath(path)}: ${describeIssue(issue, data, path)}${locate(doc, lineCounter, path)}`);
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigInvalidError(`invalid configuration in ${origin}`, problems);
  }
  return Object.freeze(result.data) as AirlockConfig;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): AirlockConfig {
  return parseConfigFile(readConfigSource(path), path, env);
}

/** A configuration file's text; an unreadable file is a ConfigInvalidError naming it. */
export function readConfigSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(`cannot read ${path}`, [`${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`]);
  }
}

/** A configuration file's text, as `serve`, reloads and `check-config` take it: it must serve a target. */
export function parseConfigFile(source: string, path: string, env: NodeJS.ProcessEnv = process.env): AirlockConfig {
  const config = parseConfig(source, path, env);
  // An empty or cut-off file parses as a valid config that serves nothing: never let that run, or replace a real one.
  if (config.targets.length === 0) {
    throw new ConfigInvalidError(`invalid configuration in ${path}`, ['targets: a configuration file must serve at least one target (is the file empty or cut short?)']);
  }
  return config;
}
