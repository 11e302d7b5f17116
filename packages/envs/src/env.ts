/**
 * The single-environment contract, following Gymnasium's `Env` (`reset({seed}) → {observation,
 * info}`, `step(action) → {observation, reward, terminated, truncated, info}`), plus exact
 * state capture for checkpoints.
 */
import type { JsonObject } from '@varshare/base';
import type { Box, Space } from './spaces';

/** JSON values (every `getState()` result is a `JsonObject`), owned by `@varshare/base`. */
export type { JsonObject, JsonValue } from '@varshare/base';

/** Action accepted by {@link Env.step}: an integer for discrete spaces, a `Float32Array` for boxes. */
export type Action = number | Float32Array;

/** Options of {@link Env.reset}. */
export interface ResetOptions {
  /** Re-seeds the env's generator. Omitted: the generator continues from where it is. */
  readonly seed?: number;
}

/** Per-call diagnostics. `success` is present on every env whose task defines success. */
export interface EnvInfo {
  /** True on the step that completes the task (see the suite's success definition). */
  readonly success?: boolean;
  /** Index of the task the env is running. */
  readonly taskIndex?: number;
  /** Name of that task. */
  readonly taskName?: string;
  readonly [key: string]: unknown;
}

/** Result of {@link Env.reset}. */
export interface ResetResult {
  /** A fresh `Float32Array` of length `product(observationSpace.shape)`. */
  readonly observation: Float32Array;
  readonly info: EnvInfo;
}

/** Result of {@link Env.step}. `terminated` and `truncated` are never both true. */
export interface StepResult {
  /** A fresh `Float32Array` of length `product(observationSpace.shape)`. */
  readonly observation: Float32Array;
  readonly reward: number;
  /** The MDP reached a terminal state (do not bootstrap). */
  readonly terminated: boolean;
  /** The episode was cut by the time limit (bootstrap from `observation`). */
  readonly truncated: boolean;
  readonly info: EnvInfo;
}

/**
 * One environment. Contract (checked by `checkEnv`):
 * - call `reset` before the first `step` and after an episode ends (stepping a finished episode throws);
 * - same seed and same actions ⇒ bit-identical observations, rewards and flags;
 * - `getState()` returns plain JSON; `setState(getState())` on any instance of the same env
 *   continues bit-identically.
 */
export interface Env {
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  /** Time limit in steps (`truncated` becomes true on that step), or undefined when unlimited. */
  readonly maxEpisodeSteps: number | undefined;
  reset(options?: ResetOptions): ResetResult;
  step(action: Action): StepResult;
  getState(): JsonObject;
  setState(state: JsonObject): void;
  close(): void;
}
