import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AIRLOCK_ARGS } from './support/manifests.js';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    pending += (pending === '' ? '' : ' ') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const match = /^(\S+)\s*(.*)$/.exec(pending) as RegExpExecArray;
    out.push({ op: (match[1] as string).toUpperCase(), args: match[2] as string });
    pending = '';
  }
  return out;
}

const all = instructions(readFileSync('Dockerfile', 'utf8'));
const fromIndexes = all.flatMap((ins, index) => (ins.op === 'FROM' ? [index] : []));
const runtime = all.slice(fromIndexes.at(-1));
const build = all.slice(fromIndexes[0], fromIndexes[1]);
const argDefaults = new Map(
  all.filter((i) => i.op === 'ARG' && i.args.includes('=')).map((i) => i.args.split('=', 2) as [string, string]),
);
const resolveArgs = (text: string) => text.replace(/\$\{?(\w+)\}?/g, (m, name: string) => argDefaults.get(name) ?? m);
const json = (ins: Instruction | undefined): unknown => (ins ? JSON.parse(ins.args) : undefined);

describe('Dockerfile', () => {
  it('is multi-stage: build with devDependencies, then a runtime stage', () => {
    assert.ok(fromIndexes.length >= 2);
    assert.match(build[0]?.args ?? '', /\bAS build$/i);
    assert.match(runtime[0]?.args ?? '', /\bAS runtime$/i);
    assert.ok(build.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args) && !i.args.includes('--omit=dev')));
    assert.ok(build.some((i) => i.op === 'RUN' && i.args.includes('npm run build')));
  });

  it('pins a slim Node base image by tag in every stage, of a major CI runs the suite on', () => {
    // .ci/run runs the suite on the machine's Node and, with scripts/test-on-node.sh, on the image's major.
    const tested = [...readFileSync('.ci/run', 'utf8').matchAll(/scripts\/test-on-node\.sh (\d+)/g)].map((m) => m[1]);
    assert.ok(tested.length > 0, '.ci/run tests another Node major');
    for (const index of fromIndexes) {
      const image = resolveArgs((all[index] as Instruction).args.split(/\s+/)[0] as string);
      const match = /^node:(\d+)\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[0-9a-f]{64})?$/.exec(image);
      assert.ok(match, image);
      assert.ok(tested.includes(match[1] as string), `the image runs Node ${match[1]}, which CI does not test (${tested.join(', ')})`);
    }
  });

  it('leaves the demo-only embedded database out of the production image; a demo target adds it', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; optionalDependencies: Record<string, string> };
    assert.deepEqual(Object.keys(pkg.optionalDependencies).sort(), ['@electric-sql/pglite', '@electric-sql/pglite-socket', 'oidc-provider']);
    assert.ok(!Object.keys(pkg.dependencies).some((name) => name.startsWith('@electric-sql/')));
    const install = runtime.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))?.args ?? '';
    assert.match(install, /--omit=optional/);
    assert.ok(!runtime.some((i) => i.op === 'COPY' && i.args.includes('demo')), 'no demo config in the production image');
    const demoIndex = all.findIndex((i) => i.op === 'FROM' && /\bAS demo$/i.test(i.args));
    assert.ok(demoIndex > 0, 'a demo stage');
    const demo = all.slice(demoIndex, fromIndexes.find((index) => index > demoIndex));
    assert.doesNotMatch(demo.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))?.args ?? '', /--omit=optional/);
    assert.deepEqual(json(demo.find((i) => i.op === 'CMD')), ['serve', '--config', '/app/demo/airlock.yaml']);
  });

  it('installs production dependencies only in the runtime stage and copies only dist/ from the build', () => {
    const installs = runtime.filter((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
    assert.equal(installs.length, 1);
    assert.match(installs[0]?.args ?? '', /\bnpm ci\b.*--omit=dev/);
    const fromBuild = runtime.filter((i) => i.op === 'COPY' && i.args.includes('--from='));
    assert.deepEqual(fromBuild.map((i) => i.args), ['--from=build /src/dist ./dist']);
    const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args);
    assert.ok(env.includes('NODE_ENV=production'));
  });

  it('never copies the whole context, secrets, keys or env files', () => {
    for (const ins of all.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      assert.equal(ins.op, 'COPY', 'ADD fetches and unpacks; COPY only copies');
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const sources = parts.slice(0, -1);
      for (const source of sources) {
        assert.notEqual(source, '.', 'COPY . copies whatever is in the context');
        assert.doesNotMatch(source, /\.env|\.pem$|\.key$|secret|\.airlock|\*/i, source);
        if (!ins.args.includes('--from=')) assert.ok(existsSync(source), `${source} exists in the repository`);
      }
    }
  });

  it('runs as a numeric non-root user, exposes 6432 and 8080, and checks /healthz with node', () => {
    const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    assert.match(user, /^\d+(:\d+)?$/);
    assert.notEqual(Number(user.split(':')[0]), 0);
    assert.equal(user.split(':')[0], '10001', 'the uid the manifests run as');
    const exposed = runtime.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    assert.ok(exposed.includes('6432') && exposed.includes('8080'));
    const healthcheck = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    assert.match(healthcheck, /CMD \["node",/);
    assert.match(healthcheck, /\/healthz/);
    assert.doesNotMatch(healthcheck, /curl|wget/);
  });

  it('starts node directly (it handles SIGTERM itself, no tini) with the command the manifests use', () => {
    assert.deepEqual(json(runtime.find((i) => i.op === 'ENTRYPOINT')), ['node', 'dist/cmd/airlock.js']);
    assert.deepEqual(json(runtime.find((i) => i.op === 'CMD')), [...AIRLOCK_ARGS]);
    assert.ok(!all.some((i) => /tini|dumb-init/.test(i.args)));
    assert.ok(!runtime.some((i) => i.op === 'STOPSIGNAL'), 'SIGTERM is what Kubernetes sends and what Airlock drains on');
  });

  it('matches how the project builds: tsc emits cmd/airlock.ts to dist/cmd/airlock.js', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    assert.equal(pkg.bin['airlock'], 'dist/cmd/airlock.js');
    assert.match(pkg.scripts['build'] ?? '', /tsconfig\.build\.json/);
    const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    assert.equal(tsconfig.compilerOptions.rootDir, '.');
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    assert.ok(existsSync('cmd/airlock.ts'));
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('starts from nothing and re-excludes secrets after the allow-list', () => {
    assert.ok(lines[0] === '*' || lines[0] === '**', 'an allow-list: everything is excluded first');
    const lastAllow = lines.map((l) => l.startsWith('!')).lastIndexOf(true);
    const tail = lines.slice(lastAllow + 1);
    for (const pattern of ['**/.env', '**/*.pem', '**/*.key', '**/node_modules', '**/.airlock']) {
      assert.ok(tail.includes(pattern), `${pattern} is excluded after every ! rule`);
    }
  });

  it('lets in every path the Dockerfile copies from the context', () => {
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, '').replace(/\/$/, ''));
    for (const ins of all.filter((i) => i.op === 'COPY' && !i.args.includes('--from='))) {
      const sources = ins.args.split(/\s+/).filter((p) => !p.startsWith('--')).slice(0, -1);
      for (const source of sources) assert.ok(allowed.includes(source), `${source} is allowed by .dockerignore`);
    }
  });
});
