/** What the Gate reports on its hot path; implementations must be cheap. */
export interface GateMetrics {
  verdict(protocol: string, requirement: string, outcome: 'allow' | 'deny', path: string): void;
  holdStarted(): void;
  holdEnded(requirement: string, seconds: number): void;
}
