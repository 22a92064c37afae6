// Start-up time to ready: from spawn until /readyz answers 200 and the
// PostgreSQL port accepts, with the bench config (dev key and TLS certificate already on disk).
import { join } from 'node:path';
import { airlockCli, writeBenchAirlockConfig, type ServiceContext } from './services.js';
import { httpStatus, portAccepts, startProcess } from './processes.js';
import { median } from './stats.js';

export interface StartupResult {
  readonly runsMs: readonly number[];
  readonly medianMs: number;
}

export async function measureStartup(ctx: ServiceContext, runs: number): Promise<StartupResult> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { pgPort, controlPort, configFile } = await writeBenchAirlockConfig(ctx, `airlock-startup-${i}`);
    const t0 = performance.now();
    const managed = startProcess(`airlock-startup-${i}`, process.execPath, [airlockCli(ctx), 'serve', '--config', configFile], join(ctx.workDir, `airlock-startup-${i}.log`), { cwd: ctx.workDir });
    try {
      let controlReady = false;
      for (;;) {
        if (managed.child.exitCode !== null) throw new Error(`airlock exited during start-up (see ${ctx.workDir}/airlock-startup-${i}.log)`);
        controlReady ||= (await httpStatus(`http://127.0.0.1:${controlPort}/readyz`, 200)) === 200;
        if (controlReady && (await portAccepts('127.0.0.1', pgPort, 200))) break;
        if (performance.now() - t0 > 60_000) throw new Error('airlock not ready within 60 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(performance.now() - t0);
    } finally {
      await managed.stop();
    }
  }
  return { runsMs: times, medianMs: median(times) };
}
