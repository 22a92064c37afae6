import { ProtocolUnsupportedError } from '../errors.js';
import type { Protocol } from '../gate/action.js';
import type { CommandClassifier } from './command-classifier.js';
import { createSqlClassifier } from './sql/index.js';

/** The classifier of each protocol; the same one the proxy uses is what `explain` uses. */
export async function createClassifier(protocol: Protocol, options: { cacheSize?: number } = {}): Promise<CommandClassifier> {
  switch (protocol) {
    case 'postgres':
      return createSqlClassifier(options);
    case 'http':
    case 'shell':
      throw new ProtocolUnsupportedError(`the ${protocol} protocol is not available in this version of Airlock yet; only postgres can be explained`);
  }
}
