import type { CommandClassifier } from '../../src/classifiers/command-classifier.js';
import type { Classification } from '../../src/model/action.js';

const STAND_IN: Classification = { risk: 'low', facts: { kinds: ['select'], objects: [], flags: [] } };

/**
 * The SQL classifier the proxy tests use: the real one when it loads, else a
 * stand-in that calls everything a low-risk SELECT (tests that need risk then
 * fail and say so).
 */
export async function createTestClassifier(): Promise<CommandClassifier & { readonly real: boolean }> {
  try {
    const { createSqlClassifier } = await import('../../src/classifiers/sql/index.js');
    const classifier = await createSqlClassifier({ cacheSize: 1000 });
    return { protocol: 'postgres', real: true, classify: (sql: string) => classifier.classify(sql) };
  } catch {
    return { protocol: 'postgres', real: false, classify: () => STAND_IN };
  }
}
