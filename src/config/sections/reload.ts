import { z } from 'zod';

export const reloadSchema = z
  .strictObject({
    allow_removals: z
      .boolean()
      .default(false)
      .describe('Let a reload of this file remove targets, listeners or policy rules that the running configuration has (refused otherwise, so a truncated file cannot drop them).'),
  })
  .prefault({});
