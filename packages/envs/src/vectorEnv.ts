/**
 * `VectorEnv`: the batched multi-task interface that `createSuite` returns and the PPO trainer
 * uses. Implemented in-process by `MultiTaskVectorEnv` and across a process boundary by
 * `GymBridgeVectorEnv` (Python Gymnasium envs). Both keep their batched outputs and episode
 * statistics in one `VectorBuffers`, so the autoreset records and buffer ownership are the same code.
 */
import type { TaskSampling } from './config';
import type { JsonObject } from './env';
import type { ActionKind, Box, Space } from './spaces';

/** Statistics of one finished episode (Gymnasium's `info["episode"]` plus the task). */
export interface EpisodeRecord {
  /** Row that ran the episode. */
  readonly row: number;
  /** Task of the finished episode (the row's `taskIds` entry may already show the next task). */
  readonly taskId: number;
  readonly taskName: string;
  /** Undiscounted sum of rewards. */
  readonly return: number;
  /** Number of steps. */
  readonly length: number;
  /** Whether any step of the episode reported success. */
  readonly success: boolean;
  /** True when the episode ended by termination, false when truncated by the time limit. */
  readonly terminated: boolean;
}

/** Result of {@link VectorEnv.reset} (buffers owned by the env). */
export interface VectorResetResult {
  /** `[rows × observationSize]` float32, row-major. */
  readonly observations: Float32Array;
  /** `[rows]` task of each row. */
  readonly taskIds: Int32Array;
}

/** Result of {@link VectorEnv.step} (buffers owned by the env, overwritten by the next call). */
export interface VectorStepResult {
  /** `[rows × observationSize]`: next observation; for rows whose episode ended, the first observation of the new episode. */
  readonly observations: Float32Array;
  /** `[rows]` reward of the step. */
  readonly rewards: Float32Array;
  /** `[rows]` 1 when the episode reached a terminal state on this step. */
  readonly terminated: Uint8Array;
  /** `[rows]` 1 when the episode hit the time limit on this step (never together with `terminated`). */
  readonly truncated: Uint8Array;
  /** `[rows]` 1 when the task reported success on this step. */
  readonly success: Uint8Array;
  /** `[rows × observationSize]`: last observation of the ended episode; valid where `hasFinalObservation` is 1, zeros elsewhere. */
  readonly finalObservations: Float32Array;
  /** `[rows]` 1 where the episode ended on this step (= terminated | truncated). */
  readonly hasFinalObservation: Uint8Array;
  /** `[rows]` task of each row's returned observation (after autoreset). */
  readonly taskIds: Int32Array;
  /** Episodes that ended on this step (empty on most steps). */
  readonly episodes: readonly EpisodeRecord[];
}

/** The fixed shape of a vector env: tasks, rows and spaces. */
export interface VectorEnvShape {
  readonly numTasks: number;
  readonly rowsPerTask: number;
  /** `numTasks × rowsPerTask`. */
  readonly numRows: number;
  readonly taskNames: readonly string[];
  readonly taskSampling: TaskSampling;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly actionKind: ActionKind;
  /** Float32 slots per observation. */
  readonly observationSize: number;
  /** Slots per action in the batched action buffer (1 for discrete). */
  readonly actionSize: number;
}

/**
 * M tasks × N rows stepped in lockstep with Gymnasium's same-step autoreset (see
 * `MultiTaskVectorEnv` for the exact semantics; every implementation follows them). Returned typed
 * arrays are owned by the env and overwritten by the next call.
 */
export interface VectorEnv extends VectorEnvShape {
  /** Seeds every row (from `seed`, or the construction seed) and starts new episodes. */
  reset(options?: { readonly seed?: number }): VectorResetResult;
  /**
   * Steps the rows once. discrete: `Int32Array [rows]`; continuous: `Float32Array [rows × actionSize]`.
   * `active` (optional, `[rows]`): a row whose flag is 0 may be left unstepped — its reward,
   * terminated, truncated and success read 0, no episode of it ends, and its observation and
   * episode state are unspecified until the next `reset` (in-process suites keep them as they were;
   * the Python bridge steps every row). Evaluation uses it to stop stepping rows whose one episode is
   * over; rows are independent, so the active rows' outputs are the same with or without it.
   */
  step(actions: Int32Array | Float32Array, active?: Uint8Array): VectorStepResult;
  /** Plain-JSON snapshot (exact for in-process suites; see each implementation). */
  getState(): JsonObject;
  /** Restores a {@link getState} snapshot into an env of the same shape. */
  setState(state: JsonObject): void;
  /** Releases resources (MuJoCo objects, Python processes). */
  close(): void;
}
