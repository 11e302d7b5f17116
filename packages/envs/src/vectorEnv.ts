/**
 * `VectorEnv`: the batched multi-task interface that `createSuite` returns and the PPO trainer
 * uses. Implemented in-process by `MultiTaskVectorEnv` and across a process boundary by
 * `GymBridgeVectorEnv` (Python Gymnasium envs).
 */
import type { TaskSampling } from './config';
import type { JsonObject } from './env';
import type { VectorResetResult, VectorStepResult } from './multiTaskVectorEnv';
import type { ActionKind, Box, Space } from './spaces';

/**
 * M tasks × N rows stepped in lockstep with Gymnasium's same-step autoreset (see
 * `MultiTaskVectorEnv` for the exact semantics; every implementation follows them). Returned typed
 * arrays are owned by the env and overwritten by the next call.
 */
export interface VectorEnv {
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
  /** Seeds every row (from `seed`, or the construction seed) and starts new episodes. */
  reset(options?: { readonly seed?: number }): VectorResetResult;
  /** discrete: `Int32Array [rows]`; continuous: `Float32Array [rows × actionSize]`. */
  step(actions: Int32Array | Float32Array): VectorStepResult;
  /** Plain-JSON snapshot (exact for in-process suites; see each implementation). */
  getState(): JsonObject;
  /** Restores a {@link getState} snapshot into an env of the same shape. */
  setState(state: JsonObject): void;
  /** Releases resources (MuJoCo objects, Python processes). */
  close(): void;
}
