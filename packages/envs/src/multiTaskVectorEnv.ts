/**
 * `MultiTaskVectorEnv`: M tasks × N rows per task, stepped in lockstep with batched typed arrays and
 * Gymnasium's same-step autoreset, plus per-episode statistics (like RecordEpisodeStatistics).
 *
 * Buffer ownership: every typed array returned by `reset` and `step` (and the `observations`,
 * `taskIds` getters) is owned by the vector env and overwritten in place by the next `reset`/`step`/
 * `setState`. Copy what you need to keep. This keeps the hot path free of per-step allocations
 * (only the `episodes` list is allocated, and only on steps where an episode ends).
 */
import { Rng, deriveEnvSeed, foldEnvSeed, type RngState } from '@varshare/base';
import type { TaskSampling } from './config';
import type { JsonObject } from './env';
import type { TaskEnv } from './taskEnv';
import { VectorBuffers, checkRowsPerTask, checkVectorActions, vectorEnvShape } from './vectorBuffers';
import type { EpisodeRecord, VectorEnv, VectorEnvShape, VectorResetResult, VectorStepResult } from './vectorEnv';

export type { EpisodeRecord, VectorResetResult, VectorStepResult } from './vectorEnv';

/** Options of {@link MultiTaskVectorEnv}. */
export interface MultiTaskVectorEnvOptions {
  /** Root seed. Defaults to 0. */
  readonly seed?: number;
  /** N, rows per task. Defaults to 1. */
  readonly rowsPerTask?: number;
  /** Defaults to `'round-robin'`. */
  readonly taskSampling?: TaskSampling;
  /**
   * Only rows `start … start + count − 1` of the full `numTasks × rowsPerTask` layout (a shard of a
   * vector env stepped by several threads): every row keeps its global index for its task, its
   * seeds and its task stream, so the shards together equal the whole env row for row. `numRows`,
   * the buffers, actions, `EpisodeRecord.row` and the state's `rows` are local to the shard.
   * Defaults to all rows.
   */
  readonly rows?: { readonly start: number; readonly count: number };
}

const STATE_KIND = 'MultiTaskVectorEnv';

/** The shape fields (numTasks … actionSize) are declared once, in `VectorEnvShape`, and merged into the class below. */
export interface MultiTaskVectorEnv extends VectorEnvShape {}

/**
 * Rows: `rows = numTasks × rowsPerTask`.
 * - `'round-robin'`: row r always runs task `r mod numTasks` (tasks are dealt in turn, so each task
 *   has exactly `rowsPerTask` rows).
 * - `'uniform'`: at every episode start (including the first), row r draws its task uniformly from
 *   its own generator, seeded with `deriveEnvSeed(deriveEnvSeed(seed, 1), r)`. The k-th episode of row r
 *   therefore always gets the same task for a given seed, whatever the policy — identical across
 *   variants that share a seed.
 *
 * Row r's env is seeded with `deriveEnvSeed(deriveEnvSeed(seed, 0), r)` at the seeded reset and then runs
 * its generator on across autoresets (as Gymnasium's vector envs do).
 *
 * Autoreset (Gymnasium ≥ 1.0 "same-step"): when a row's episode ends on `step`, the env is reset
 * within that same call; `observations` holds the new episode's first observation and
 * `finalObservations` the ended episode's last one, so PPO can bootstrap V(final) on truncation.
 */
export class MultiTaskVectorEnv implements VectorEnv {
  private readonly envs: readonly TaskEnv[];
  private readonly taskRngs: readonly Rng[];
  private seedValue: number;
  private started = false;
  private readonly buffers: VectorBuffers;
  /** Global index of local row 0 (0 unless the env is a shard). */
  private readonly rowStart: number;

  /**
   * @param createEnv makes the env of one row, initially running `taskIndex` (it must be able to
   *   switch to any task via `setTask`); called `numTasks × rowsPerTask` times
   * @param options   seed, rowsPerTask, taskSampling
   */
  constructor(createEnv: (taskIndex: number, row: number) => TaskEnv, options: MultiTaskVectorEnvOptions = {}) {
    const rowsPerTask = options.rowsPerTask ?? 1;
    checkRowsPerTask('MultiTaskVectorEnv', rowsPerTask);
    this.seedValue = options.seed ?? 0;
    deriveEnvSeed(this.seedValue, 0); // validates the seed
    const taskSampling = options.taskSampling ?? 'round-robin';
    if (taskSampling !== 'round-robin' && taskSampling !== 'uniform') {
      throw new RangeError(`MultiTaskVectorEnv: taskSampling must be 'round-robin' or 'uniform', got ${String(taskSampling)}`);
    }
    const start = options.rows?.start ?? 0;
    let first = createEnv(0, start);
    // A shard's first row may run another task: build it for that task, as the full env would.
    if (start % first.numTasks !== 0) {
      first.close();
      first = createEnv(start % first.numTasks, start);
    }
    const shape = vectorEnvShape('MultiTaskVectorEnv', first.taskNames, rowsPerTask, taskSampling, first.observationSpace, first.actionSpace);
    const count = options.rows?.count ?? shape.numRows;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > shape.numRows) {
      throw new RangeError(`MultiTaskVectorEnv: rows ${start} … ${start + count - 1} are not within the ${shape.numRows} rows`);
    }
    Object.assign(this, shape, { numRows: count });
    this.rowStart = start;
    const envs: TaskEnv[] = [first];
    for (let r = 1; r < this.numRows; r++) {
      const env = createEnv(this.initialTask(r), start + r);
      if (env.numTasks !== this.numTasks || env.observationSize !== this.observationSize || env.actionSize !== this.actionSize || env.id !== first.id) {
        throw new TypeError(`MultiTaskVectorEnv: row ${r} env (${env.id}) does not match row 0 env (${first.id})`);
      }
      envs.push(env);
    }
    this.envs = envs;
    this.taskRngs = envs.map(() => new Rng(foldEnvSeed(0)));
    this.buffers = new VectorBuffers(this.numRows, this.observationSize);
    for (let r = 0; r < this.numRows; r++) this.buffers.taskIds[r] = this.envAt(r).taskIndex;
  }

  /** Current observations `[rows × observationSize]` (same buffer `step` returns). */
  get observations(): Float32Array {
    return this.buffers.observations;
  }

  /** Current task of each row `[rows]` (same buffer `step` returns). */
  get taskIds(): Int32Array {
    return this.buffers.taskIds;
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
      deriveEnvSeed(options.seed, 0);
      this.seedValue = options.seed;
    }
    const envSeedRoot = deriveEnvSeed(this.seedValue, 0);
    const taskSeedRoot = deriveEnvSeed(this.seedValue, 1);
    const buffers = this.buffers;
    for (let r = 0; r < this.numRows; r++) {
      const env = this.envAt(r);
      const taskRng = this.taskRngs[r] as Rng;
      taskRng.reseed(foldEnvSeed(deriveEnvSeed(taskSeedRoot, this.rowStart + r)));
      env.setTask(this.taskSampling === 'uniform' ? taskRng.nextIntUnbiased(this.numTasks) : this.initialTask(r));
      env.resetInto(buffers.observations, r * this.observationSize, deriveEnvSeed(envSeedRoot, this.rowStart + r));
      buffers.taskIds[r] = env.taskIndex;
      buffers.startEpisode(r);
    }
    buffers.clearStepOutputs();
    this.started = true;
    return buffers.resetResult();
  }

  /**
   * Steps every row once (every active row, with `active`: see `VectorEnv.step`; an inactive row
   * keeps its observation and episode state).
   * @param actions discrete: `Int32Array [rows]`; continuous: `Float32Array [rows × actionSize]`
   * @param active optional `[rows]`: 0 leaves the row unstepped
   */
  step(actions: Int32Array | Float32Array, active?: Uint8Array): VectorStepResult {
    if (!this.started) throw new Error('MultiTaskVectorEnv: step() called before reset()');
    checkVectorActions('MultiTaskVectorEnv', this, actions);
    const { observationSize: obsSize, actionSize, numRows, buffers, envs } = this;
    if (active !== undefined && active.length !== numRows) throw new RangeError(`MultiTaskVectorEnv: expected ${numRows} active flags, got ${active.length}`);
    let episodes: EpisodeRecord[] | null = null;
    for (let r = 0; r < numRows; r++) {
      buffers.clearFinal(r);
      if (active !== undefined && active[r] === 0) {
        buffers.recordIdle(r);
        continue;
      }
      const env = envs[r] as TaskEnv;
      env.stepInto(actions, r * actionSize, buffers.observations, r * obsSize);
      const terminated = env.lastTerminated;
      buffers.recordStep(r, env.lastReward, terminated, env.lastTruncated, env.lastSuccess);
      if (terminated || env.lastTruncated) {
        buffers.copyFinalFromCurrent(r);
        (episodes ??= []).push(buffers.endEpisode(r, env.taskIndex, env.taskName, terminated));
        if (this.taskSampling === 'uniform') env.setTask((this.taskRngs[r] as Rng).nextIntUnbiased(this.numTasks));
        env.resetInto(buffers.observations, r * obsSize);
        buffers.taskIds[r] = env.taskIndex;
      }
    }
    return buffers.stepResult(episodes);
  }

  /** Plain-JSON snapshot of every row (env, task stream, running episode statistics). */
  getState(): JsonObject {
    const rows: JsonObject[] = [];
    for (let r = 0; r < this.numRows; r++) {
      rows.push({
        env: this.envAt(r).getState(),
        taskRng: (this.taskRngs[r] as Rng).getState() as unknown as JsonObject,
        ...this.buffers.episodeState(r),
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
      const buffers = this.buffers;
      if (!buffers.setEpisodeState(r, row)) throw new TypeError(`MultiTaskVectorEnv.setState: row ${r} has bad episode statistics`);
      buffers.taskIds[r] = env.taskIndex;
      if (env.episodeStatus === 'needs-reset') buffers.observations.fill(0, r * this.observationSize, (r + 1) * this.observationSize);
      else env.writeObservation(buffers.observations, r * this.observationSize);
    }
    this.seedValue = state.seed;
    this.started = state.started;
    this.buffers.clearStepOutputs();
  }

  /** Closes every row's env. */
  close(): void {
    for (const env of this.envs) env.close();
    this.started = false;
  }

  /** Task of local row `row` under round-robin: its global index mod numTasks. */
  private initialTask(row: number): number {
    return (this.rowStart + row) % this.numTasks;
  }
}
