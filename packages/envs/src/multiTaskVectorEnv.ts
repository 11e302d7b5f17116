/**
 * `MultiTaskVectorEnv`: M tasks × N rows per task, stepped in lockstep with batched typed arrays and
 * Gymnasium's same-step autoreset, plus per-episode statistics (like RecordEpisodeStatistics).
 *
 * Buffer ownership: every typed array returned by `reset` and `step` (and the `observations`,
 * `taskIds` getters) is owned by the vector env and overwritten in place by the next `reset`/`step`/
 * `setState`. Copy what you need to keep. This keeps the hot path free of per-step allocations
 * (only the `episodes` list is allocated, and only on steps where an episode ends).
 */
import type { TaskSampling } from './config';
import type { JsonObject } from './env';
import { Rng, deriveSeed } from './rng';
import type { RngState } from './rng';
import type { ActionKind, Box, Space } from './spaces';
import { actionKindOf } from './spaces';
import type { TaskEnv } from './taskEnv';
import type { VectorEnv } from './vectorEnv';

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

/** Result of {@link MultiTaskVectorEnv.reset} (buffers owned by the env). */
export interface VectorResetResult {
  /** `[rows × observationSize]` float32, row-major. */
  readonly observations: Float32Array;
  /** `[rows]` task of each row. */
  readonly taskIds: Int32Array;
}

/** Result of {@link MultiTaskVectorEnv.step} (buffers owned by the env, overwritten by the next call). */
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

/** Options of {@link MultiTaskVectorEnv}. */
export interface MultiTaskVectorEnvOptions {
  /** Root seed. Defaults to 0. */
  readonly seed?: number;
  /** N, rows per task. Defaults to 1. */
  readonly rowsPerTask?: number;
  /** Defaults to `'round-robin'`. */
  readonly taskSampling?: TaskSampling;
}

const NO_EPISODES: readonly EpisodeRecord[] = Object.freeze([]);
const STATE_KIND = 'MultiTaskVectorEnv';

/**
 * Rows: `rows = numTasks × rowsPerTask`.
 * - `'round-robin'`: row r always runs task `r mod numTasks` (tasks are dealt in turn, so each task
 *   has exactly `rowsPerTask` rows).
 * - `'uniform'`: at every episode start (including the first), row r draws its task uniformly from
 *   its own generator, seeded with `deriveSeed(deriveSeed(seed, 1), r)`. The k-th episode of row r
 *   therefore always gets the same task for a given seed, whatever the policy — identical across
 *   variants that share a seed.
 *
 * Row r's env is seeded with `deriveSeed(deriveSeed(seed, 0), r)` at the seeded reset and then runs
 * its generator on across autoresets (as Gymnasium's vector envs do).
 *
 * Autoreset (Gymnasium ≥ 1.0 "same-step"): when a row's episode ends on `step`, the env is reset
 * within that same call; `observations` holds the new episode's first observation and
 * `finalObservations` the ended episode's last one, so PPO can bootstrap V(final) on truncation.
 */
export class MultiTaskVectorEnv implements VectorEnv {
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

  private readonly envs: readonly TaskEnv[];
  private readonly taskRngs: readonly Rng[];
  private seedValue: number;
  private started = false;

  private readonly obsBuf: Float32Array;
  private readonly finalObsBuf: Float32Array;
  private readonly rewardBuf: Float32Array;
  private readonly terminatedBuf: Uint8Array;
  private readonly truncatedBuf: Uint8Array;
  private readonly successBuf: Uint8Array;
  private readonly hasFinalBuf: Uint8Array;
  private readonly taskIdBuf: Int32Array;
  private readonly episodeReturn: Float64Array;
  private readonly episodeLength: Int32Array;
  private readonly episodeSuccess: Uint8Array;

  /**
   * @param createEnv makes the env of one row, initially running `taskIndex` (it must be able to
   *   switch to any task via `setTask`); called `numTasks × rowsPerTask` times
   * @param options   seed, rowsPerTask, taskSampling
   */
  constructor(createEnv: (taskIndex: number, row: number) => TaskEnv, options: MultiTaskVectorEnvOptions = {}) {
    const rowsPerTask = options.rowsPerTask ?? 1;
    if (!Number.isInteger(rowsPerTask) || rowsPerTask < 1) throw new RangeError(`MultiTaskVectorEnv: rowsPerTask must be a positive integer, got ${String(rowsPerTask)}`);
    this.seedValue = options.seed ?? 0;
    deriveSeed(this.seedValue, 0); // validates the seed
    this.taskSampling = options.taskSampling ?? 'round-robin';
    if (this.taskSampling !== 'round-robin' && this.taskSampling !== 'uniform') {
      throw new RangeError(`MultiTaskVectorEnv: taskSampling must be 'round-robin' or 'uniform', got ${String(this.taskSampling)}`);
    }
    const first = createEnv(0, 0);
    this.numTasks = first.numTasks;
    this.rowsPerTask = rowsPerTask;
    this.numRows = this.numTasks * rowsPerTask;
    this.taskNames = first.taskNames;
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.actionKind = actionKindOf(first.actionSpace);
    this.observationSize = first.observationSize;
    this.actionSize = first.actionSize;
    const envs: TaskEnv[] = [first];
    for (let r = 1; r < this.numRows; r++) {
      const env = createEnv(this.initialTask(r), r);
      if (env.numTasks !== this.numTasks || env.observationSize !== this.observationSize || env.actionSize !== this.actionSize || env.id !== first.id) {
        throw new TypeError(`MultiTaskVectorEnv: row ${r} env (${env.id}) does not match row 0 env (${first.id})`);
      }
      envs.push(env);
    }
    this.envs = envs;
    this.taskRngs = envs.map(() => new Rng(0));

    const rows = this.numRows;
    this.obsBuf = new Float32Array(rows * this.observationSize);
    this.finalObsBuf = new Float32Array(rows * this.observationSize);
    this.rewardBuf = new Float32Array(rows);
    this.terminatedBuf = new Uint8Array(rows);
    this.truncatedBuf = new Uint8Array(rows);
    this.successBuf = new Uint8Array(rows);
    this.hasFinalBuf = new Uint8Array(rows);
    this.taskIdBuf = new Int32Array(rows);
    this.episodeReturn = new Float64Array(rows);
    this.episodeLength = new Int32Array(rows);
    this.episodeSuccess = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) this.taskIdBuf[r] = this.envAt(r).taskIndex;
  }

  /** Current observations `[rows × observationSize]` (same buffer `step` returns). */
  get observations(): Float32Array {
    return this.obsBuf;
  }

  /** Current task of each row `[rows]` (same buffer `step` returns). */
  get taskIds(): Int32Array {
    return this.taskIdBuf;
  }

  /** The env of one row (for inspection; stepping it directly desynchronises the vector env). */
  envAt(row: number): TaskEnv {
    const env = this.envs[row];
    if (env === undefined) throw new RangeError(`MultiTaskVectorEnv: no row ${row} (rows = ${this.numRows})`);
    return env;
  }

  /** Seeds every row (from `seed`, or the constructor's seed) and starts new episodes. */
  reset(options?: { readonly seed?: number }): VectorResetResult {
    if (options?.seed !== undefined) {
      deriveSeed(options.seed, 0);
      this.seedValue = options.seed;
    }
    const envSeedRoot = deriveSeed(this.seedValue, 0);
    const taskSeedRoot = deriveSeed(this.seedValue, 1);
    for (let r = 0; r < this.numRows; r++) {
      const env = this.envAt(r);
      const taskRng = this.taskRngs[r] as Rng;
      taskRng.seed(deriveSeed(taskSeedRoot, r));
      env.setTask(this.taskSampling === 'uniform' ? taskRng.nextInt(this.numTasks) : this.initialTask(r));
      env.resetInto(this.obsBuf, r * this.observationSize, deriveSeed(envSeedRoot, r));
      this.taskIdBuf[r] = env.taskIndex;
      this.episodeReturn[r] = 0;
      this.episodeLength[r] = 0;
      this.episodeSuccess[r] = 0;
    }
    this.rewardBuf.fill(0);
    this.terminatedBuf.fill(0);
    this.truncatedBuf.fill(0);
    this.successBuf.fill(0);
    this.hasFinalBuf.fill(0);
    this.finalObsBuf.fill(0);
    this.started = true;
    return { observations: this.obsBuf, taskIds: this.taskIdBuf };
  }

  /**
   * Steps every row once.
   * @param actions discrete: `Int32Array [rows]`; continuous: `Float32Array [rows × actionSize]`
   */
  step(actions: Int32Array | Float32Array): VectorStepResult {
    if (!this.started) throw new Error('MultiTaskVectorEnv: step() called before reset()');
    const expected = this.numRows * this.actionSize;
    if (this.actionKind === 'discrete' ? !(actions instanceof Int32Array) : !(actions instanceof Float32Array)) {
      throw new TypeError(`MultiTaskVectorEnv: ${this.actionKind} actions must be a ${this.actionKind === 'discrete' ? 'Int32Array' : 'Float32Array'} of length ${expected}`);
    }
    if (actions.length !== expected) throw new RangeError(`MultiTaskVectorEnv: expected ${expected} actions, got ${actions.length}`);
    const obsSize = this.observationSize;
    let episodes: EpisodeRecord[] | null = null;
    for (let r = 0; r < this.numRows; r++) {
      if (this.hasFinalBuf[r] === 1) {
        this.finalObsBuf.fill(0, r * obsSize, (r + 1) * obsSize);
        this.hasFinalBuf[r] = 0;
      }
      const env = this.envs[r] as TaskEnv;
      env.stepInto(actions, r * this.actionSize, this.obsBuf, r * obsSize);
      const reward = env.lastReward;
      const terminated = env.lastTerminated;
      const truncated = env.lastTruncated;
      const success = env.lastSuccess;
      this.rewardBuf[r] = reward;
      this.terminatedBuf[r] = terminated ? 1 : 0;
      this.truncatedBuf[r] = truncated ? 1 : 0;
      this.successBuf[r] = success ? 1 : 0;
      this.episodeReturn[r] = (this.episodeReturn[r] ?? 0) + reward;
      this.episodeLength[r] = (this.episodeLength[r] ?? 0) + 1;
      if (success) this.episodeSuccess[r] = 1;
      if (terminated || truncated) {
        for (let i = 0; i < obsSize; i++) this.finalObsBuf[r * obsSize + i] = this.obsBuf[r * obsSize + i] ?? 0;
        this.hasFinalBuf[r] = 1;
        (episodes ??= []).push({
          row: r,
          taskId: env.taskIndex,
          taskName: env.taskName,
          return: this.episodeReturn[r] ?? 0,
          length: this.episodeLength[r] ?? 0,
          success: this.episodeSuccess[r] === 1,
          terminated,
        });
        if (this.taskSampling === 'uniform') env.setTask((this.taskRngs[r] as Rng).nextInt(this.numTasks));
        env.resetInto(this.obsBuf, r * obsSize);
        this.taskIdBuf[r] = env.taskIndex;
        this.episodeReturn[r] = 0;
        this.episodeLength[r] = 0;
        this.episodeSuccess[r] = 0;
      }
    }
    return {
      observations: this.obsBuf,
      rewards: this.rewardBuf,
      terminated: this.terminatedBuf,
      truncated: this.truncatedBuf,
      success: this.successBuf,
      finalObservations: this.finalObsBuf,
      hasFinalObservation: this.hasFinalBuf,
      taskIds: this.taskIdBuf,
      episodes: episodes ?? NO_EPISODES,
    };
  }

  /** Plain-JSON snapshot of every row (env, task stream, running episode statistics). */
  getState(): JsonObject {
    const rows: JsonObject[] = [];
    for (let r = 0; r < this.numRows; r++) {
      rows.push({
        env: this.envAt(r).getState(),
        taskRng: (this.taskRngs[r] as Rng).getState() as unknown as JsonObject,
        episodeReturn: this.episodeReturn[r] ?? 0,
        episodeLength: this.episodeLength[r] ?? 0,
        episodeSuccess: this.episodeSuccess[r] === 1,
      });
    }
    return {
      kind: STATE_KIND,
      version: 1,
      numTasks: this.numTasks,
      rowsPerTask: this.rowsPerTask,
      taskSampling: this.taskSampling,
      seed: this.seedValue,
      started: this.started,
      rows,
    };
  }

  /**
   * Restores a {@link getState} snapshot into a vector env of the same shape; afterwards
   * `observations`/`taskIds` hold the rows' current observations and tasks and the next `step`
   * continues exactly as the saved env would have.
   */
  setState(state: JsonObject): void {
    if (state.kind !== STATE_KIND || state.version !== 1) throw new TypeError('MultiTaskVectorEnv.setState: not a MultiTaskVectorEnv state (version 1)');
    if (state.numTasks !== this.numTasks || state.rowsPerTask !== this.rowsPerTask || state.taskSampling !== this.taskSampling) {
      throw new TypeError(
        `MultiTaskVectorEnv.setState: state has numTasks=${String(state.numTasks)}, rowsPerTask=${String(state.rowsPerTask)}, ` +
          `taskSampling=${String(state.taskSampling)}; this env has ${this.numTasks}, ${this.rowsPerTask}, ${this.taskSampling}`,
      );
    }
    const rows = state.rows;
    if (!Array.isArray(rows) || rows.length !== this.numRows) throw new TypeError(`MultiTaskVectorEnv.setState: expected ${this.numRows} rows`);
    if (typeof state.seed !== 'number' || typeof state.started !== 'boolean') throw new TypeError('MultiTaskVectorEnv.setState: bad seed/started');
    for (let r = 0; r < this.numRows; r++) {
      const row = rows[r] as JsonObject;
      const env = this.envAt(r);
      env.setState(row.env as JsonObject);
      (this.taskRngs[r] as Rng).setState(row.taskRng as unknown as RngState);
      const ret = row.episodeReturn;
      const len = row.episodeLength;
      if (typeof ret !== 'number' || typeof len !== 'number' || typeof row.episodeSuccess !== 'boolean') {
        throw new TypeError(`MultiTaskVectorEnv.setState: row ${r} has bad episode statistics`);
      }
      this.episodeReturn[r] = ret;
      this.episodeLength[r] = len;
      this.episodeSuccess[r] = row.episodeSuccess ? 1 : 0;
      this.taskIdBuf[r] = env.taskIndex;
      if (env.episodeStatus === 'needs-reset') this.obsBuf.fill(0, r * this.observationSize, (r + 1) * this.observationSize);
      else env.writeObservation(this.obsBuf, r * this.observationSize);
    }
    this.seedValue = state.seed;
    this.started = state.started;
    this.rewardBuf.fill(0);
    this.terminatedBuf.fill(0);
    this.truncatedBuf.fill(0);
    this.successBuf.fill(0);
    this.hasFinalBuf.fill(0);
    this.finalObsBuf.fill(0);
  }

  /** Closes every row's env. */
  close(): void {
    for (const env of this.envs) env.close();
    this.started = false;
  }

  private initialTask(row: number): number {
    return row % this.numTasks;
  }
}
