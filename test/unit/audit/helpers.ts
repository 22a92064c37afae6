import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AirlockEvent } from '../../../src/audit/events.js';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function verdictEvent(n: number, extra: Partial<AirlockEvent> = {}): AirlockEvent {
  return {
    type: 'verdict',
    at: Date.UTC(2026, 0, 1, 12, 0, n),
    subject: `user${n}@example.com`,
    protocol: 'postgres',
    target: 'prod',
    sessionId: `s${n}`,
    rules: ['drop-needs-approval'],
    reason: 'approved by bob',
    data: { allowed: true, risk: 'high', requirement: 'approval', path: 'approval', command: `DROP TABLE t${n}`, hash: 'ab'.repeat(32) },
    ...extra,
  };
}
