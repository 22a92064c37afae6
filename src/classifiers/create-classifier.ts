import { HttpClassifier, type HttpClassifierOptions } from './http/index.js';
import type { Protocol } from '../model/action.js';
import type { CommandClassifier } from './command-classifier.js';
import { createShellClassifier } from './shell/index.js';
import { createSqlClassifier } from './sql/index.js';

/** The classifier of each protocol; the same one the proxy uses is what `explain` uses. */
export async function createClassifier(protocol: Protocol, options: { cacheSize?: number; http?: HttpClassifierOptions } = {}): Promise<CommandClassifier> {
  switch (protocol) {
    case 'postgres':
      return createSqlClassifier(options);
    case 'shell':
      // `psql -c '...'` in a shell line is judged by the same SQL classifier as the PostgreSQL proxy.
      return createShellClassifier({ sql: await createSqlClassifier({ cacheSize: 0 }) });
    case 'http':
      // The target's profile and method risks, as the proxy builds it for that target.
      return new HttpClassifier({ ...options.http, cacheSize: 0 });
  }
}
