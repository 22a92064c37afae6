import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';

// The CLI is not among the package's exports: run its bin from node_modules (tests run at the repository root).
const depcruise = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = resolve('.dependency-cruiser.cjs');

function cruise(cwd: string, ...paths: string[]) {
  const result = spawnSync(process.execPath, [depcruise, ...paths, '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The folder rules of DESIGN.md, checked by dependency-cruiser (.dependency-cruiser.cjs) on every run of the suite. */
describe('layers: the dependency rules of DESIGN.md hold', () => {
  it('holds for src/ and cmd/ as they are', () => {
    const { status, output } = cruise(process.cwd(), 'src', 'cmd');
    assert.equal(status, 0, output);
  });

  it('fails on an import that breaks a rule (a fixture tree)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-layers-'));
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }));
    file('package.json', JSON.stringify({ type: 'module' }));
    file('src/model/action.ts', "import { proxy } from '../protocols/postgres/proxy.js';\nexport const action = proxy;\n");
    file('src/protocols/postgres/proxy.ts', "import { shell } from '../shell/gateway.js';\nexport const proxy = shell;\n");
    file('src/protocols/shell/gateway.ts', "import { store } from '../../store/store.js';\nexport const shell = store;\n");
    file('src/store/store.ts', "import { action } from '../model/action.js';\nexport const store = action;\n");
    file('src/classifiers/sql/classify.ts', "import { check } from '../../gate/gate.js';\nexport const classify = check;\n");
    file('src/gate/gate.ts', "import { proxy } from '../protocols/postgres/proxy.js';\nexport const check = proxy;\n");
    const { status, output } = cruise(dir, 'src');
    assert.notEqual(status, 0);
    for (const rule of ['model-is-a-leaf', 'protocols-stay-apart', 'protocols-ask-the-gate', 'gate-knows-no-protocol', 'classifiers-describe-never-decide', 'no-circular', 'no-folder-cycles']) {
      assert.match(output, new RegExp(`error ${rule}:`), `${rule} is not reported:\n${output}`);
    }
  });
});
