/**
 * Options owned by `@varshare/metrics` (HOUSE-STYLE §3): the trainer composes this schema into its
 * config and parses once at the edge; the report uses the bootstrap fields.
 */
import { z } from 'zod';

/** Logging and statistics options. */
export const MetricsConfigSchema = z.object({
  tensorboard: z.boolean().default(true).describe('also write events.out.tfevents.* files for TensorBoard'),
  fsyncEachAppend: z
    .boolean()
    .default(false)
    .describe('fsync metrics.jsonl/eval.jsonl after every line (slow); otherwise they are synced before each checkpoint'),
  bootstrapReps: z.number().int().min(100).max(1_000_000).default(2000).describe('bootstrap replications for confidence intervals'),
  ciAlpha: z.number().gt(0).lt(0.5).default(0.05).describe('1 − confidence level of the intervals (0.05 → 95 % CI)'),
  bootstrapSeed: z.number().int().min(0).max(0xffffffff).default(0).describe('seed of the bootstrap RNG, so reports are reproducible'),
});

/** Parsed metrics options. */
export type MetricsConfig = z.infer<typeof MetricsConfigSchema>;
