/** Counters the proxy keeps; plain numbers so the hot path only increments. */
export class ProxyCounters {
  connectionsAccepted = 0;
  connectionsRejected = 0;
  authenticationFailures = 0;
  upstreamFailures = 0;
  statementsForwarded = 0;
  /** Writes run inside a savepoint to count their rows before they could commit. */
  writesMeasured = 0;
  statementsHeld = 0;
  statementsRejected = 0;
  cancelRequests = 0;
  protocolErrors = 0;
}

export interface PostgresProxyStats {
  readonly activeConnections: number;
  readonly activeSessions: number;
  readonly connectionsAccepted: number;
  readonly connectionsRejected: number;
  readonly authenticationFailures: number;
  readonly upstreamFailures: number;
  readonly statementsForwarded: number;
  readonly writesMeasured: number;
  readonly statementsHeld: number;
  readonly statementsRejected: number;
  readonly cancelRequests: number;
  readonly protocolErrors: number;
}
