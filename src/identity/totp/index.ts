export { AttemptLimiter, type Admission, type AttemptKey, type AttemptLimits, type AttemptScope } from './attempt-limiter.js';
export { loadTotpEncryptionKey, TOTP_KEY_FILE } from './encryption-key.js';
export { SecretCipher, SecretDecryptionError, ENCRYPTION_KEY_BYTES } from './secret-cipher.js';
export { generateTotpSecret, isWellFormedCode, matchTotpCode, secretBytesFor, totpUri, type TotpAlgorithm, type TotpParameters } from './totp-code.js';
export { createTotpRoutes, type TotpRoutes } from './totp-routes.js';
export { TotpService, type CodeAttempt, type EnrollmentStart, type StepUpConfig, type TotpServiceOptions } from './totp-service.js';
