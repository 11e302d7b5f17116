/**
 * Options of `varshare-report` (HOUSE-STYLE §3): one zod schema with a default and a description per
 * field. The CLI parses once at the edge (`parseArgs`); inner code takes the typed object.
 */
import { z } from 'zod';

/** Which per-task score the headline aggregates use. */
export const ScoreModeSchema = z
  .enum(['raw', 'minmax'])
  .describe(
    "'raw': final eval return as logged (right when all tasks share a scale, e.g. cartpole-mt's 0–500); " +
      "'minmax': (x − min_task) / (max_task − min_task) with min/max taken per task over every eval record of the suite.",
  );
/** `raw` | `minmax`. */
export type ScoreMode = z.infer<typeof ScoreModeSchema>;

/** Report options. */
export const ReportOptionsSchema = z.object({
  runsDir: z.string().min(1).describe('Root of the run directories, laid out RUNS_DIR/<suite>/<variant>/seed-<N>/.'),
  outDir: z.string().min(1).describe('Report directory to create (replaced atomically).'),
  score: ScoreModeSchema.default('raw').describe('Score of the headline tables and curves. Defaults to raw.'),
  baseline: z.string().min(1).default('baseline').describe('Variant that the others are compared against. Defaults to "baseline".'),
  bootstrapReps: z.number().int().min(100).max(200_000).default(2000).describe('Bootstrap replications of the final-score CIs. Defaults to 2000.'),
  curveReps: z.number().int().min(100).max(200_000).default(500).describe('Bootstrap replications per point of the sample-efficiency curves. Defaults to 500.'),
  ciAlpha: z.number().gt(0).lt(0.5).default(0.05).describe('1 − confidence level (0.05 → 95 % CI). Defaults to 0.05.'),
  bootstrapSeed: z.number().int().min(0).max(0xffffffff).default(0).describe('Seed of every bootstrap, so the report is reproducible. Defaults to 0.'),
  profilePoints: z.number().int().min(2).max(1000).default(41).describe('Thresholds τ of each performance profile. Defaults to 41.'),
  maxSeriesPoints: z.number().int().min(10).max(10_000).default(150).describe('Updates kept per diagnostic time series (evenly spaced, last kept). Defaults to 150.'),
  sigmaDriftThreshold: z
    .number()
    .positive()
    .default(0.5)
    .describe('A layer whose final posterior σ median is ≥ this is flagged as "drifting toward ~1" (spec Exp1/Note 4). Defaults to 0.5.'),
  includeRunning: z.boolean().default(false).describe('Also read runs whose summary says "running" (progress view). Defaults to false.'),
});
/** Parsed report options. */
export type ReportOptions = z.infer<typeof ReportOptionsSchema>;
