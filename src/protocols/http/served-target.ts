import type { HttpTargetConfig } from '../../config/schema.js';

/** An HTTP target whose upstream address is known (an embedded demo API already started). */
export type ServedHttpTarget = HttpTargetConfig & { readonly upstream: HttpTargetConfig['upstream'] & { readonly url: string } };
