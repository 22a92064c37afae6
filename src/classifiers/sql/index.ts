export { createSqlClassifier, sqlDetails, type SqlClassifier, type SqlClassifierOptions, type SqlDetails, type SqlStatementDetail } from './sql-classifier.js';
export type { PrepareDetail, SettingDetail } from './statement-facts.js';
export { MAX_CACHED_TEXT_LENGTH } from './classification-cache.js';
