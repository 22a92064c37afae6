// Runs the Airlock container of a rendered kustomization as a real `airlock
// serve` process: each volume mount becomes a temp directory (the ConfigMap's
// airlock.yaml, the Secret's keys as files, fresh emptyDirs on every start),
// the container's env is resolved as the kubelet would (fieldRef, secretKeyRef,
// literal values), and the config keeps everything else exactly as rendered.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { K8sObject } from '../unit/deploy/support/kustomize.js';
import { airlockConfigSource, airlockContainers } from '../unit/deploy/support/manifests.js';
import { accepts } from './airlock-process.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A config path and the value a cluster-less test gives it instead of the rendered one. */
export type Substitution = readonly [path: ReadonlyArray<string | number>, value: unknown];

/** Every leaf path where two parsed YAML values differ. */
export function changedPaths(before: unknown, after: unknown, path: Array<string | number> = []): string[] {
  if (before !== null && after !== null && typeof before === 'object' && typeof after === 'object') {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => changedPaths((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], [...path, k]));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path.join('.')];
}

export interface RenderedSidecarOptions {
  readonly objects: readonly K8sObject[];
  /** Contents of the airlock-secrets Secret, by key. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The pod's metadata.name (fieldRef). */
  readonly podName: string;
  /** What the cluster would provide (addresses, ports, the external services' stand-ins); nothing else changes. */
  readonly substitutions: readonly Substitution[];
  readonly pgPort: number;
  readonly controlPort: number;
}

/** The Airlock container of a rendered pod, run as `airlock serve` on this machine. */
export class RenderedSidecar {
  readonly root: string;
  readonly container: IContainer;
  /** The config file as written (ConfigMap contents, mount paths rewritten, substitutions applied). */
  readonly yaml: string;
  /** The config paths that differ from the rendered ConfigMap (besides mount paths). */
  readonly changed: readonly string[];
  readonly logFile: string;
  private readonly mounts: ReadonlyMap<string, string>;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly exitHook = () => this.child?.kill('SIGKILL');
  private starts = 0;

  constructor(private readonly options: RenderedSidecarOptions) {
    const [found, ...others] = airlockContainers(options.objects);
    if (!found || others.length > 0) throw new Error('expected exactly one Airlock container');
    this.container = found.container;
    this.root = mkdtempSync(join(tmpdir(), 'airlock-rendered-'));
    this.logFile = join(this.root, 'serve.log');
    const volumes = new Map((found.workload.pod.volumes ?? []).map((v) => [v.name, v]));
    const mounts = new Map<string, string>();
    for (const mount of this.container.volumeMounts ?? []) {
      const dir = join(this.root, mount.name);
      mkdirSync(dir);
      mounts.set(mount.mountPath, dir);
      const volume = volumes.get(mount.name);
      if (volume?.configMap?.name === 'airlock-config') continue; // written below, after substitution
      if (volume?.secret) {
        for (const [key, value] of Object.entries(options.secrets)) writeFileSync(join(dir, key), value, { mode: 0o400 });
      }
    }
    this.mounts = mounts;
    const rendered = this.rewriteMountPaths(airlockConfigSource(options.objects));
    const doc = parseDocument(rendered);
    for (const [path, value] of options.substitutions) {
      if (!doc.hasIn(path) && !(isMap(doc.getIn(path.slice(0, -1))) || isSeq(doc.getIn(path.slice(0, -1))))) {
        throw new Error(`substitution ${path.join('.')}: no such section in the rendered config`);
      }
      doc.setIn(path, value);
    }
    this.yaml = String(doc);
    this.changed = changedPaths(parseDocument(rendered).toJS(), parseDocument(this.yaml).toJS());
    const configMount = this.container.volumeMounts?.find((m) => volumes.get(m.name)?.configMap?.name === 'airlock-config');
    if (!configMount) throw new Error('the Airlock container does not mount airlock-config');
    writeFileSync(join(mounts.get(configMount.mountPath) as string, 'airlock.yaml'), this.yaml);
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.controlPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** A path inside the container, mapped to where its volume is on this machine. */
  private rewriteMountPaths(text: string): string {
    // One pass, longest first, whole path segments only: /tmp must not rewrite a directory already mapped under /tmp.
    const paths = [...this.mounts.keys()].sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return text.replace(new RegExp(`(?<![\\w.-])(${paths.join('|')})(?![\\w.-])`, 'g'), (mountPath) => this.mounts.get(mountPath) as string);
  }

  /** The container's env as the kubelet would set it. */
  private env(): NodeJS.ProcessEnv {
    // No AIRLOCK_* from the caller: the manifest alone configures the process.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK_')));
    for (const entry of this.container.env ?? []) {
      const from = entry.valueFrom;
      if (from?.fieldRef?.fieldPath === 'metadata.name') env[entry.name] = this.options.podName;
      else if (from?.secretKeyRef) {
        const value = this.options.secrets[from.secretKeyRef.key];
        if (value === undefined && from.secretKeyRef.optional !== true) throw new Error(`${entry.name}: Secret key ${from.secretKeyRef.key} missing`);
        if (value !== undefined) env[entry.name] = value;
      } else if (from) throw new Error(`${entry.name}: valueFrom ${JSON.stringify(from)} is not modelled here`);
      else if (entry.value !== undefined) env[entry.name] = entry.value;
    }
    return env;
  }

  /**
   * Starts the process as a new pod start would: emptyDir volumes start empty,
   * the ConfigMap and Secret are the same. Waits for /readyz 200 and the proxy port.
   */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error('already running');
    this.starts += 1;
    const volumes = new Map((airlockContainers(this.options.objects)[0]?.workload.pod.volumes ?? []).map((v) => [v.name, v]));
    for (const mount of this.container.volumeMounts ?? []) {
      if (!volumes.get(mount.name)?.emptyDir) continue;
      const dir = this.mounts.get(mount.mountPath) as string;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
    }
    const args = (this.container.args ?? []).map((arg) => this.rewriteMountPaths(arg));
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'cmd', 'airlock.ts'), ...args], {
      cwd: REPO_ROOT,
      env: this.env(),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    process.once('exit', this.exitHook);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (this.child !== child) throw new Error(`airlock serve exited during start ${this.starts}:\n${this.logTail()}`);
      if ((await this.readyz().catch(() => null))?.status === 200 && (await accepts(this.options.pgPort))) return;
      if (Date.now() > deadline) {
        await this.stop(0);
        throw new Error(`airlock serve not ready within ${readyTimeoutMs} ms:\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async readyz(): Promise<{ status: number; body: { status?: string; checks?: Record<string, unknown> } }> {
    const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: (await response.json()) as { status?: string; checks?: Record<string, unknown> } };
  }

  /** SIGTERM (the kubelet's stop), SIGKILL after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(timeoutMs === 0 ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    process.removeListener('exit', this.exitHook);
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
