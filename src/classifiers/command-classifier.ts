import type { Classification, Protocol } from '../model/action.js';

/**
 * Turns one command of a protocol into facts and an intrinsic risk. Never
 * throws: a command it cannot analyse is classified `critical` with the
 * `unparseable` flag (fail closed), and the adapter decides how to reject it.
 */
export interface CommandClassifier {
  readonly protocol: Protocol;
  classify(command: string): Classification;
}
