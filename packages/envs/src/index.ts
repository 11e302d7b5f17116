/**
 * `@varshare/envs` — multi-task environments with Gymnasium conventions.
 *
 * ```ts
 * import { createSuite, listSuites, createTaskEnv, checkEnv } from '@varshare/envs';
 * const venv = createSuite('cartpole-mt', { seed: 1, rowsPerTask: 4 });  // 10 tasks × 4 rows
 * const { observations, taskIds } = venv.reset();                       // [40 × 4], [40]
 * const out = venv.step(new Int32Array(venv.numRows));                  // same-step autoreset
 * ```
 */
export { box, discrete, boxSize, actionSlots, actionKindOf, describeSpaceProblem, spaceContains, sampleSpace } from './spaces';
export type { Box, Discrete, Space, ActionKind } from './spaces';

export type { Env, Action, EnvInfo, ResetOptions, ResetResult, StepResult, JsonObject, JsonValue } from './env';

export { TaskEnv } from './taskEnv';
export type { TaskEnvConfig, EpisodeStatus } from './taskEnv';

export { CartPoleEnv, CARTPOLE_TASKS, CARTPOLE_TAU, CARTPOLE_MAX_EPISODE_STEPS } from './cartPole';
export type { CartPoleTaskSpec, CartPoleEnvOptions } from './cartPole';

export { LunarLanderEnv, LUNARLANDER_TASKS, LUNARLANDER_MAX_EPISODE_STEPS } from './lunarLander';
export type { LunarLanderTaskSpec, LunarLanderEnvOptions } from './lunarLander';

export { MultiTaskVectorEnv } from './multiTaskVectorEnv';
export type { VectorEnv, VectorEnvShape } from './vectorEnv';

export { ArmMt10Env, ARM_MT10_TASKS, ARM_MT10_MAX_EPISODE_STEPS, ARM_MT10_SUCCESS_THRESHOLDS, ARM_MT10_FRAME_SKIP, ARM_MT10_ACTION_SCALE, ARM_MT10_WORKSPACE, ARM_MT10_HAND_INIT, ARM_MT10_MJCF, armMt10ObservationSpace } from './armMt10';
export type { ArmMt10EnvOptions } from './armMt10';
export { armMt10ScriptedPolicy } from './armMt10Policies';
export { loadMujoco, isMujocoLoaded, requireMujoco, mujocoHeapBytes } from './mujoco';
export type { MujocoModule } from './mujoco';

export { GymBridgeVectorEnv, GYM_SERVER_SCRIPT } from './gymBridge';
export type { GymBridgeOptions } from './gymBridge';
export type { EpisodeRecord, VectorResetResult, VectorStepResult, MultiTaskVectorEnvOptions } from './multiTaskVectorEnv';

export { createSuite, createSuiteRows, createTaskEnv, listSuites, prepareSuite, registerSuite, suiteIsShardable, suiteNames, suiteStepsAreHeavy, suiteTaskNames } from './registry';
export { ShardedVectorEnv, shardRanges } from './shardedVectorEnv';
export type { SuiteFactory, SuiteSummary } from './registry';

export { checkEnv, EnvCheckError } from './checkEnv';
export type { CheckEnvOptions, CheckEnvReport } from './checkEnv';

export { SuiteOptionsSchema, TaskEnvOptionsSchema, TaskSamplingSchema } from './config';
export type { SuiteOptions, SuiteOptionsInput, TaskEnvOptions, TaskEnvOptionsInput, TaskSampling } from './config';
