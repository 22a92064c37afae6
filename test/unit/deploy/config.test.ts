import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { ENV_OVERRIDES } from '../../../src/config/env-overrides.js';
import { SECRET_KEYS } from '../../../src/config/secret-files.js';
import { ConfigInvalidError } from '../../../src/errors.js';
import { renderKustomization } from './support/kustomize.js';
import { APPLICABLE, SECRET_DIR, airlockConfigSource, workloads } from './support/manifests.js';
import { dummySecret, withDummySecrets } from './support/secret-files.js';

/** Every config an image or manifest ships: each rendered ConfigMap, and the container demo. */
const CONFIGS: ReadonlyArray<{ readonly name: string; readonly source: string }> = [
  ...APPLICABLE.map((dir) => ({ name: dir, source: airlockConfigSource(renderKustomization(dir)) })),
  { name: 'deploy/docker/airlock.demo.yaml', source: readFileSync('deploy/docker/airlock.demo.yaml', 'utf8') },
];

type Path = Array<string | number>;

/** Every key path the YAML sets, `<secret>_file` keys named by the secret they resolve to. */
function keyPaths(node: Node | null, path: Path = [], out: Path[] = []): Path[] {
  if (isMap(node)) {
    for (const pair of node.items) {
      const raw = isScalar(pair.key) ? String(pair.key.value) : '';
      const base = raw.endsWith('_file') ? raw.slice(0, -'_file'.length) : null;
      const key = base !== null && (SECRET_KEYS as readonly string[]).includes(base) ? base : raw;
      out.push([...path, key]);
      keyPaths(pair.value as Node | null, [...path, key], out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => keyPaths(item as Node | null, [...path, index], out));
  }
  return out;
}

function has(value: unknown, path: Path): boolean {
  let node = value;
  for (const part of path) {
    if (node === null || typeof node !== 'object' || !(part in (node as object))) return false;
    node = (node as Record<string | number, unknown>)[part];
  }
  return true;
}

describe('deploy/: shipped Airlock configs parse with Airlock\'s own parser', () => {
  for (const { name, source } of CONFIGS) {
    it(`${name}: parses, with every *_file secret read from the mounted Secret`, () => {
      withDummySecrets(source, (rewritten) => {
        // An empty environment: the manifests must not depend on AIRLOCK_* variables to be valid.
        const config = parseConfig(rewritten, name, {});
        if (source.includes(`${SECRET_DIR}postgres-password`)) {
          const withPassword = config.targets.find((t) => t.protocol === 'postgres' && t.upstream.password !== undefined);
          assert.ok(withPassword?.protocol === 'postgres');
          assert.equal(withPassword.upstream.password, dummySecret('postgres-password').trimEnd());
        }
        if (source.includes(`${SECRET_DIR}totp-encryption-key`)) {
          assert.equal(config.step_up.totp.encryption_key, dummySecret('totp-encryption-key').trimEnd());
        }
        assert.equal(config.server.data_dir, '/var/lib/airlock');
        assert.equal(config.identity.dev_issuer.enabled, name.startsWith('deploy/docker/'), 'the dev issuer only in the demo image config');
      });
    });

    it(`${name}: every key it sets exists in the schema (kept by the parse, not stripped)`, () => {
      withDummySecrets(source, (rewritten) => {
        const config = parseConfig(rewritten, name, {});
        for (const path of keyPaths(parseDocument(source).contents)) {
          assert.ok(has(config, path), `${path.join('.')} is not in the parsed config`);
        }
      });
    });
  }

  it('an unknown key anywhere is refused (what the checks above rely on)', () => {
    const source = CONFIGS[0]?.source as string;
    for (const [insert, where] of [
      ['\nbogus_section: {}\n', 'bogus_section'],
      ['\nserver:\n  data_dirr: /x\n', 'server'],
    ] as const) {
      const mutated = where === 'server' ? source.replace('\nserver:\n', '\nserver:\n  data_dirr: /x\n') : source + insert;
      withDummySecrets(mutated, (rewritten) => {
        assert.throws(
          () => parseConfig(rewritten, 'mutated', {}),
          (err: unknown) => err instanceof ConfigInvalidError && err.problems.some((p) => p.includes('unknown key')),
        );
      });
    }
  });

  it('a missing mounted secret file is refused at boot, not ignored', () => {
    const source = CONFIGS[0]?.source as string;
    assert.throws(
      () => parseConfig(source.replaceAll(SECRET_DIR, '/nonexistent/airlock-secrets/'), 'missing', {}),
      (err: unknown) => err instanceof ConfigInvalidError && err.problems.some((p) => p.includes('cannot read')),
    );
  });

  it('every AIRLOCK_* environment variable a manifest sets is one Airlock reads', () => {
    const known = new Set(ENV_OVERRIDES.map((o) => o.env));
    for (const dir of APPLICABLE) {
      for (const { pod } of workloads(renderKustomization(dir))) {
        for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
          for (const env of container.env ?? []) {
            if (env.name.startsWith('AIRLOCK_')) assert.ok(known.has(env.name), `${dir}: ${container.name} sets ${env.name}`);
          }
        }
      }
    }
  });
});
