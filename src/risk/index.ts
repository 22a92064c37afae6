export { BypassRules, type BypassRulesOptions } from './bypass-rules.js';
export { Revocations, REVOCATION_KINDS, type Revocation, type RevocationKind, type RevocationsOptions, type RevokeInput } from './revocations.js';
export { RiskAdmission, type RiskAdmissionOptions } from './risk-admission.js';
export { sourceReport, subjectReport, type RiskReportDeps } from './risk-report.js';
export { RiskSignals, type RiskSignalsOptions } from './risk-signals.js';
export { APPROVAL_DENIALS_RULE, AUTH_FAILURES_RULE, MFA_FAILURES_RULE, NEW_DEVICE_RULE } from './signal-snapshot.js';
export { parseSourceAddress, sourceNetwork } from './source-network.js';
