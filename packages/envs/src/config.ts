/**
 * Options of this package (parsed once at the edge by `createSuite` / `createTaskEnv`, or by the
 * trainer that composes them; inner code takes the parsed, typed objects).
 */
import { z } from 'zod';

/** How rows of a `MultiTaskVectorEnv` are assigned to tasks. */
export const TaskSamplingSchema = z
  .enum(['round-robin', 'uniform'])
  .describe(
    "'round-robin': row r always runs task r mod numTasks (tasks dealt in turn: N fixed copies of each task); " +
      "'uniform': each row redraws its task uniformly at every episode reset from its own seeded stream.",
  );

/** Options of `createSuite` (and of `MultiTaskVectorEnv` built from a suite). */
export const SuiteOptionsSchema = z.object({
  seed: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .default(0)
    .describe('Root seed; per-row env seeds and per-row task-draw streams are derived from it with deriveEnvSeed.'),
  rowsPerTask: z
    .number()
    .int()
    .min(1)
    .max(65536)
    .default(4)
    .describe('N, rows (env copies) per task; the vector env has numTasks × N rows.'),
  taskSampling: TaskSamplingSchema.default('round-robin'),
  continuous: z
    .boolean()
    .default(false)
    .describe('lunarlander-mt: 2-d continuous action in [-1, 1] instead of 4 discrete actions; suites without a continuous variant reject true.'),
  maxEpisodeSteps: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Overrides the suite time limit (cartpole-mt 500, lunarlander-mt 1000, arm-mt10 500; gym:* the env spec).'),
});

/** Parsed {@link SuiteOptionsSchema}. */
export type SuiteOptions = z.infer<typeof SuiteOptionsSchema>;
/** What callers may pass (every field optional). */
export type SuiteOptionsInput = z.input<typeof SuiteOptionsSchema>;

/** Options of `createTaskEnv` (one env). */
export const TaskEnvOptionsSchema = SuiteOptionsSchema.pick({ seed: true, continuous: true, maxEpisodeSteps: true });

/** Parsed {@link TaskEnvOptionsSchema}. */
export type TaskEnvOptions = z.infer<typeof TaskEnvOptionsSchema>;
/** What callers may pass to `createTaskEnv`. */
export type TaskEnvOptionsInput = z.input<typeof TaskEnvOptionsSchema>;

/** Task-assignment mode, see {@link TaskSamplingSchema}. */
export type TaskSampling = z.infer<typeof TaskSamplingSchema>;
