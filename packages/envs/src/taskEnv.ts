/**
 * `TaskEnv`: the shared machinery of every multi-task env in this package — seeding, the
 * reset/step contract, the time limit, task switching, state capture — so that a suite only writes
 * its physics (`resetCore`, `stepCore`, `writeObservation`, `getCoreState`, `setCoreState`).
 *
 * It also offers an allocation-free path (`resetInto`, `stepInto`, `last*` getters) that
 * `MultiTaskVectorEnv` uses: observations are written straight into the caller's batch buffer and
 * actions are read from the caller's batch buffer at an offset.
 */
import { Rng, foldEnvSeed, type RngState } from '@varshare/base';
import type { Action, Env, EnvInfo, JsonObject, ResetOptions, ResetResult, StepResult } from './env';
import { actionSlots, boxSize } from './spaces';
import type { Box, Space } from './spaces';

/** Static description every {@link TaskEnv} passes to its base constructor. */
export interface TaskEnvConfig {
  /** Env family id stored in states, e.g. `'cartpole-mt'`; `setState` rejects other ids. */
  readonly id: string;
  readonly taskNames: readonly string[];
  /** Initial task. */
  readonly taskIndex: number;
  /** Time limit in steps (≥ 1). */
  readonly maxEpisodeSteps: number;
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  /** Seed used until `reset({ seed })` provides one. */
  readonly seed: number;
  /** When true, reaching the time limit counts as success (CartPole's definition). */
  readonly successAtTimeLimit: boolean;
}

/** Where an env is in its episode cycle. */
export type EpisodeStatus = 'needs-reset' | 'running' | 'done';

const STATE_VERSION = 1;

/**
 * Base class of the suites' envs. One instance can run any task of its suite: {@link setTask}
 * selects the task used from the next reset on (the physics of a running episode never changes).
 */
export abstract class TaskEnv implements Env {
  readonly id: string;
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  readonly taskNames: readonly string[];
  readonly numTasks: number;
  /** Float32 slots of one observation. */
  readonly observationSize: number;
  /** Slots of one action in a flat batch buffer (1 for discrete). */
  readonly actionSize: number;

  /** The env's generator; suites draw every random number from it. */
  protected readonly rng: Rng;
  /** Set by `stepCore`: reward of the step. */
  protected coreReward = 0;
  /** Set by `stepCore`: the MDP reached a terminal state. */
  protected coreTerminated = false;
  /** Set by `stepCore`: the task was completed on this step. */
  protected coreSuccess = false;

  private readonly successAtTimeLimit: boolean;
  private current: number;
  private next: number;
  private elapsed = 0;
  private status: EpisodeStatus = 'needs-reset';
  private truncatedFlag = false;
  private successFlag = false;
  private readonly scratchAction = new Float64Array(1);

  protected constructor(config: TaskEnvConfig) {
    this.id = config.id;
    this.taskNames = Object.freeze([...config.taskNames]);
    this.numTasks = config.taskNames.length;
    this.observationSpace = config.observationSpace;
    this.actionSpace = config.actionSpace;
    this.observationSize = boxSize(config.observationSpace);
    this.actionSize = actionSlots(config.actionSpace);
    if (!Number.isInteger(config.maxEpisodeSteps) || config.maxEpisodeSteps < 1) {
      throw new RangeError(`${config.id}: maxEpisodeSteps must be a positive integer, got ${String(config.maxEpisodeSteps)}`);
    }
    this.maxEpisodeSteps = config.maxEpisodeSteps;
    this.successAtTimeLimit = config.successAtTimeLimit;
    this.checkTask(config.taskIndex);
    this.current = config.taskIndex;
    this.next = config.taskIndex;
    this.rng = new Rng(foldEnvSeed(config.seed));
  }

  // ---- physics supplied by each suite -------------------------------------------------------

  /** Starts an episode of task `this.taskIndex`, drawing randomness from `this.rng`. */
  protected abstract resetCore(): void;
  /** Advances one step; reads the action at `actions[offset …]`; sets `core*` fields. */
  protected abstract stepCore(actions: ArrayLike<number>, offset: number): void;
  /** Writes the current observation at `out[offset … offset + observationSize)`. */
  abstract writeObservation(out: Float32Array, offset: number): void;
  /** JSON snapshot of the running episode (everything `stepCore` depends on besides `rng`). */
  protected abstract getCoreState(): JsonObject;
  /**
   * Restores {@link getCoreState}'s snapshot. Called with `this.rng` already set to the saved
   * generator state and the task index restored.
   */
  protected abstract setCoreState(core: JsonObject, savedRng: RngState): void;

  // ---- task selection -------------------------------------------------------------------------

  /** Task of the running (or last) episode. */
  get taskIndex(): number {
    return this.current;
  }

  /** Name of {@link taskIndex}. */
  get taskName(): string {
    return this.taskNames[this.current] ?? '';
  }

  /** Selects the task for the next `reset` (the running episode keeps its physics). */
  setTask(taskIndex: number): void {
    this.checkTask(taskIndex);
    this.next = taskIndex;
  }

  // ---- episode bookkeeping --------------------------------------------------------------------

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  /** `'needs-reset'` before the first reset, `'running'`, or `'done'` after an episode ended. */
  get episodeStatus(): EpisodeStatus {
    return this.status;
  }

  /** Reward of the last `step`/`stepInto`. */
  get lastReward(): number {
    return this.coreReward;
  }

  /** `terminated` of the last step. */
  get lastTerminated(): boolean {
    return this.coreTerminated;
  }

  /** `truncated` of the last step (never true together with `lastTerminated`). */
  get lastTruncated(): boolean {
    return this.truncatedFlag;
  }

  /** `info.success` of the last step. */
  get lastSuccess(): boolean {
    return this.successFlag;
  }

  // ---- Gymnasium-style API --------------------------------------------------------------------

  /** Starts an episode; `seed` re-seeds the env's generator. */
  reset(options?: ResetOptions): ResetResult {
    const observation = new Float32Array(this.observationSize);
    this.resetInto(observation, 0, options?.seed);
    return { observation, info: this.makeInfo() };
  }

  /** Advances one step. Throws when no episode is running or the action is invalid. */
  step(action: Action): StepResult {
    let actions: ArrayLike<number>;
    if (typeof action === 'number') {
      if (this.actionSpace.kind !== 'discrete') {
        throw new TypeError(`${this.id}: continuous action must be a Float32Array of length ${this.actionSize}, got a number`);
      }
      this.scratchAction[0] = action;
      actions = this.scratchAction;
    } else {
      if (this.actionSpace.kind === 'discrete') {
        throw new TypeError(`${this.id}: discrete action must be an integer in [0, ${this.actionSpace.n}), got an array`);
      }
      if (action.length !== this.actionSize) {
        throw new RangeError(`${this.id}: action must have length ${this.actionSize}, got ${action.length}`);
      }
      actions = action;
    }
    const observation = new Float32Array(this.observationSize);
    this.stepInto(actions, 0, observation, 0);
    return {
      observation,
      reward: this.coreReward,
      terminated: this.coreTerminated,
      truncated: this.truncatedFlag,
      info: this.makeInfo(),
    };
  }

  /** Allocation-free reset: writes the first observation at `out[offset…]`. */
  resetInto(out: Float32Array, offset: number, seed?: number): void {
    if (seed !== undefined) this.rng.reseed(foldEnvSeed(seed));
    this.current = this.next;
    this.elapsed = 0;
    this.status = 'running';
    this.coreReward = 0;
    this.coreTerminated = false;
    this.coreSuccess = false;
    this.truncatedFlag = false;
    this.successFlag = false;
    this.resetCore();
    this.writeObservation(out, offset);
  }

  /**
   * Allocation-free step: reads the action from `actions[actionOffset …]`, writes the observation
   * at `out[outOffset…]`; results are in `lastReward`, `lastTerminated`, `lastTruncated`, `lastSuccess`.
   */
  stepInto(actions: ArrayLike<number>, actionOffset: number, out: Float32Array, outOffset: number): void {
    if (this.status !== 'running') {
      throw new Error(
        this.status === 'done'
          ? `${this.id}: step() called after the episode ended (terminated or truncated); call reset() first`
          : `${this.id}: step() called before reset()`,
      );
    }
    this.checkAction(actions, actionOffset);
    this.coreSuccess = false;
    this.stepCore(actions, actionOffset);
    this.elapsed += 1;
    // Gymnasium's TimeLimit may report both flags; here termination wins so they are exclusive.
    this.truncatedFlag = !this.coreTerminated && this.elapsed >= this.maxEpisodeSteps;
    this.successFlag = this.coreSuccess || (this.successAtTimeLimit && this.truncatedFlag);
    if (this.coreTerminated || this.truncatedFlag) this.status = 'done';
    this.writeObservation(out, outOffset);
  }

  /** Plain-JSON snapshot: task, step counter, episode status, generator and physics state. */
  getState(): JsonObject {
    return {
      env: this.id,
      version: STATE_VERSION,
      taskIndex: this.current,
      nextTaskIndex: this.next,
      elapsedSteps: this.elapsed,
      status: this.status,
      rng: this.rng.getState() as unknown as JsonObject,
      core: this.status === 'needs-reset' ? null : this.getCoreState(),
    };
  }

  /** Restores a {@link getState} snapshot (from this or any other instance of the same env id). */
  setState(state: JsonObject): void {
    if (state.env !== this.id) throw new TypeError(`${this.id}: setState got a state of env ${String(state.env)}`);
    if (state.version !== STATE_VERSION) throw new TypeError(`${this.id}: unsupported state version ${String(state.version)}`);
    const taskIndex = state.taskIndex;
    const nextTaskIndex = state.nextTaskIndex;
    const elapsed = state.elapsedSteps;
    const status = state.status;
    if (typeof taskIndex !== 'number' || typeof nextTaskIndex !== 'number') throw new TypeError(`${this.id}: setState: bad task index`);
    this.checkTask(taskIndex);
    this.checkTask(nextTaskIndex);
    if (typeof elapsed !== 'number' || !Number.isInteger(elapsed) || elapsed < 0) throw new TypeError(`${this.id}: setState: bad elapsedSteps`);
    if (status !== 'needs-reset' && status !== 'running' && status !== 'done') throw new TypeError(`${this.id}: setState: bad status`);
    const savedRng = state.rng as unknown as RngState;
    this.current = taskIndex;
    this.next = nextTaskIndex;
    this.rng.setState(savedRng);
    if (status !== 'needs-reset') {
      const core = state.core;
      if (core === null || typeof core !== 'object' || Array.isArray(core)) throw new TypeError(`${this.id}: setState: missing core state`);
      this.setCoreState(core as JsonObject, savedRng);
    }
    this.rng.setState(savedRng);
    this.elapsed = elapsed;
    this.status = status;
    this.truncatedFlag = status === 'done' && !this.coreTerminated && elapsed >= this.maxEpisodeSteps;
    this.successFlag = this.coreSuccess || (this.successAtTimeLimit && this.truncatedFlag);
  }

  /** Releases resources; the env must not be used afterwards. */
  close(): void {
    this.status = 'needs-reset';
  }

  private makeInfo(): EnvInfo {
    return { success: this.successFlag, taskIndex: this.current, taskName: this.taskName };
  }

  private checkTask(taskIndex: number): void {
    if (!Number.isInteger(taskIndex) || taskIndex < 0 || taskIndex >= this.taskNames.length) {
      throw new RangeError(`${this.id}: task index must be an integer in [0, ${this.taskNames.length}), got ${String(taskIndex)}`);
    }
  }

  private checkAction(actions: ArrayLike<number>, offset: number): void {
    const space = this.actionSpace;
    if (space.kind === 'discrete') {
      const a = actions[offset];
      if (a === undefined || !Number.isInteger(a) || a < 0 || a >= space.n) {
        throw new RangeError(`${this.id}: discrete action must be an integer in [0, ${space.n}), got ${String(a)}`);
      }
      return;
    }
    for (let i = 0; i < this.actionSize; i++) {
      const a = actions[offset + i];
      if (a === undefined || Number.isNaN(a)) throw new RangeError(`${this.id}: continuous action component ${i} is ${String(a)}`);
    }
  }
}
