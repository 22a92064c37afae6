import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';

interface LockPackage {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
  readonly dev?: boolean;
  readonly optional?: boolean;
}

/**
 * A fresh `npm ci` on the oldest Node the package supports must not warn
 * EBADENGINE: every package in the lockfile accepts that Node, or the
 * `engines` field of package.json says honestly which Node is needed.
 */
describe('dependencies: every locked package runs on the Node that package.json promises', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockPackage> };
  const oldest = semver.minVersion(pkg.engines.node);

  it('names a minimum Node version', () => {
    assert.ok(oldest, `engines.node "${pkg.engines.node}" has no minimum`);
  });

  it('has no package whose engines exclude it', () => {
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.engines === undefined || Array.isArray(entry.engines)) continue;
      const range = (entry.engines as { node?: string }).node;
      if (range === undefined || range === '*') continue;
      if (!semver.satisfies(oldest!, range, { includePrerelease: true })) refused.push(`${path}@${entry.version}: node ${range}`);
    }
    assert.deepEqual(refused, [], `these packages refuse Node ${oldest?.version}`);
  });
});
