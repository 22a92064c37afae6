import { isAcceptedClientEncoding } from '../../classifiers/sql/lexer-settings.js';

/**
 * The backstop for settings that change how the server reads statements:
 * PostgreSQL reports both of these (GUC_REPORT) at startup and whenever they
 * change. A value the classifier does not assume means some path Airlock did
 * not see changed it, and the session cannot be gated any more.
 */
export function unpinnedParameter(name: string, value: string): string | null {
  switch (name.toLowerCase()) {
    case 'standard_conforming_strings':
      return value.toLowerCase() === 'on' ? null : `standard_conforming_strings is ${value}`;
    case 'client_encoding':
      return isAcceptedClientEncoding(value) ? null : `client_encoding is ${value}`;
    default:
      return null;
  }
}
