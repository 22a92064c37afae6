import type { RiskConfig } from '../config/sections/risk.js';
import { RevokedError, SourceBlockedError, StoreUnavailableError } from '../errors.js';
import type { AdmissionCheck } from '../gate/admission-check.js';
import type { AuthenticationRequest } from '../gate/gate.js';
import type { Principal } from '../model/principal.js';
import type { Store } from '../store/store.js';
import { describeRevocation, type Revocations } from './revocations.js';
import type { ActiveBlock } from './signal-snapshot.js';
import { sourceNetwork } from './source-network.js';
import { riskKeys } from './store-keys.js';

export interface RiskAdmissionOptions {
  readonly store: Store;
  readonly revocations: Revocations;
  /** Read on every call, so a config reload changes the network prefix at once. */
  readonly config: () => RiskConfig;
}

/** What a client is told when its login cannot be checked (fail closed). */
const STORE_DOWN = 'new connections are refused while the approval store is unavailable (revocations and blocked networks cannot be checked); retry shortly';

/**
 * Decides at connect: blocked source networks are refused before the token
 * is read, revoked subjects, devices and tokens once it is verified. Connect
 * is not the per-statement path, so this reads the store (the shared truth)
 * every time, and fails closed.
 */
export class RiskAdmission implements AdmissionCheck {
  constructor(private readonly options: RiskAdmissionOptions) {}

  async admitSource(request: Omit<AuthenticationRequest, 'token'>): Promise<void> {
    const config = this.options.config();
    const network = sourceNetwork(request.source, config.network_prefix_v4, config.network_prefix_v6);
    if (network === null) return;
    let blockText: string | null;
    try {
      blockText = await this.options.store.getValue(riskKeys.block(network));
    } catch (err) {
      throw new StoreUnavailableError(STORE_DOWN, { cause: err });
    }
    if (blockText === null) return;
    let reason = `too many failed logins from ${network}`;
    try {
      reason = (JSON.parse(blockText) as ActiveBlock).reason;
    } catch {
      // keep the generic reason
    }
    throw new SourceBlockedError(reason);
  }

  async admit(principal: Principal): Promise<void> {
    let revoked: Awaited<ReturnType<Revocations['isRevoked']>>;
    try {
      revoked = await this.options.revocations.isRevoked(principal);
    } catch (err) {
      throw new StoreUnavailableError(STORE_DOWN, { cause: err });
    }
    if (revoked) throw new RevokedError(describeRevocation(revoked));
  }
}
