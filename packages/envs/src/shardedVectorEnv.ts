/**
 * `ShardedVectorEnv`: a suite's vector env stepped by several threads. The rows are cut into
 * contiguous shards; the calling thread steps the first shard while worker threads step the others
 * (`envShardWorker.ts`, synchronous request/reply through `@varshare/base`'s `WorkerLink`). Every
 * row keeps its global index for its task, seeds and task stream, and rows are independent, so the
 * outputs, episode records and `getState()` equal `createSuite`'s env row for row, for any number of
 * shards (tested) — a checkpoint written with one thread count restores under another.
 *
 * It pays where stepping the envs costs far more than a ~25 µs round trip per step (the planck and
 * MuJoCo suites: ~0.1–0.5 ms per row step); cartpole's rows step in microseconds.
 */
import { WorkerLink, siblingModule } from '@varshare/base';
import type { SuiteOptionsInput, TaskSampling } from './config';
import type { JsonObject } from './env';
import type { ShardRequest, ShardStep } from './envShardWorker';
import type { MultiTaskVectorEnv } from './multiTaskVectorEnv';
import { createSuiteRows, prepareSuite } from './registry';
import type { ActionKind, Box, Space } from './spaces';
import type { EpisodeRecord, VectorEnv, VectorResetResult, VectorStepResult } from './vectorEnv';

interface Shard {
  readonly start: number;
  readonly count: number;
  /** null for the shard stepped by the calling thread. */
  readonly link: WorkerLink | null;
}

/** Contiguous row ranges of `rows` rows over `shards` shards, as even as possible, in row order. */
export function shardRanges(rows: number, shards: number): { start: number; count: number }[] {
  const n = Math.max(1, Math.min(shards, rows));
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let s = 0; s < n; s++) {
    const count = Math.floor(rows / n) + (s < rows % n ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}

export class ShardedVectorEnv implements VectorEnv {
  readonly numTasks: number;
  readonly rowsPerTask: number;
  readonly numRows: number;
  readonly taskNames: readonly string[];
  readonly taskSampling: TaskSampling;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly actionKind: ActionKind;
  readonly observationSize: number;
  readonly actionSize: number;
  private readonly local: MultiTaskVectorEnv;
  private readonly shards: readonly Shard[];
  private readonly out: {
    observations: Float32Array;
    rewards: Float32Array;
    terminated: Uint8Array;
    truncated: Uint8Array;
    success: Uint8Array;
    finalObservations: Float32Array;
    hasFinalObservation: Uint8Array;
    taskIds: Int32Array;
  };

  private constructor(local: MultiTaskVectorEnv, shards: readonly Shard[], numRows: number) {
    this.local = local;
    this.shards = shards;
    this.numTasks = local.numTasks;
    this.rowsPerTask = local.rowsPerTask;
    this.numRows = numRows;
    this.taskNames = local.taskNames;
    this.taskSampling = local.taskSampling;
    this.singleObservationSpace = local.singleObservationSpace;
    this.singleActionSpace = local.singleActionSpace;
    this.actionKind = local.actionKind;
    this.observationSize = local.observationSize;
    this.actionSize = local.actionSize;
    const D = this.observationSize;
    this.out = {
      observations: new Float32Array(numRows * D),
      rewards: new Float32Array(numRows),
      terminated: new Uint8Array(numRows),
      truncated: new Uint8Array(numRows),
      success: new Uint8Array(numRows),
      finalObservations: new Float32Array(numRows * D),
      hasFinalObservation: new Uint8Array(numRows),
      taskIds: new Int32Array(numRows),
    };
  }

  /**
   * A suite's vector env over `threads` threads (the caller's and `threads − 1` workers). Shardable
   * suites only (see `suiteIsShardable`); with `threads` 1 it is one shard in the calling thread.
   */
  static async create(suite: string, options: SuiteOptionsInput, threads: number): Promise<ShardedVectorEnv> {
    await prepareSuite(suite);
    const full = createSuiteRows(suite, options, { start: 0, count: 1 });
    const rows = full.numTasks * full.rowsPerTask;
    full.close();
    const ranges = shardRanges(rows, threads);
    const [first, ...rest] = ranges as [{ start: number; count: number }, ...{ start: number; count: number }[]];
    const links = rest.map(() => new WorkerLink(siblingModule(import.meta.url, 'envShardWorker')));
    rest.forEach((r, i) => (links[i] as WorkerLink).post({ op: 'init', suite, options, start: r.start, count: r.count } satisfies ShardRequest));
    const local = createSuiteRows(suite, options, first);
    try {
      for (const link of links) link.wait();
    } catch (err) {
      local.close();
      await Promise.all(links.map((l) => l.close()));
      throw err;
    }
    return new ShardedVectorEnv(local, [{ ...first, link: null }, ...rest.map((r, i) => ({ ...r, link: links[i] as WorkerLink }))], rows);
  }

  /** Number of shards (threads stepping the rows). */
  get threads(): number {
    return this.shards.length;
  }

  reset(options?: { readonly seed?: number }): VectorResetResult {
    const req: ShardRequest = { op: 'reset', ...(options?.seed !== undefined ? { seed: options.seed } : {}) };
    for (const s of this.shards) s.link?.post(req);
    const D = this.observationSize;
    const mine = this.local.reset(options);
    this.out.observations.set(mine.observations, 0);
    this.out.taskIds.set(mine.taskIds, 0);
    for (const s of this.shards) {
      if (!s.link) continue;
      const r = s.link.wait<{ observations: Float32Array; taskIds: Int32Array }>();
      this.out.observations.set(r.observations, s.start * D);
      this.out.taskIds.set(r.taskIds, s.start);
    }
    for (const a of [this.out.rewards, this.out.terminated, this.out.truncated, this.out.success, this.out.hasFinalObservation, this.out.finalObservations]) a.fill(0);
    return { observations: this.out.observations, taskIds: this.out.taskIds };
  }

  step(actions: Int32Array | Float32Array, active?: Uint8Array): VectorStepResult {
    const A = this.actionSize;
    if (actions.length !== this.numRows * A) throw new RangeError(`ShardedVectorEnv: expected ${this.numRows * A} actions, got ${actions.length}`);
    if (active !== undefined && active.length !== this.numRows) throw new RangeError(`ShardedVectorEnv: expected ${this.numRows} active flags, got ${active.length}`);
    // slice(): a view would send its whole underlying buffer to the worker
    for (const s of this.shards) {
      if (s.link) s.link.post({ op: 'step', actions: actions.slice(s.start * A, (s.start + s.count) * A), ...(active ? { active: active.slice(s.start, s.start + s.count) } : {}) } satisfies ShardRequest);
    }
    const first = this.shards[0] as Shard;
    const mine = this.local.step(actions.subarray(0, first.count * A), active?.subarray(0, first.count));
    let episodes: EpisodeRecord[] | null = mine.episodes.length > 0 ? [...mine.episodes] : null;
    this.merge(mine, 0);
    for (const s of this.shards) {
      if (!s.link) continue;
      const r = s.link.wait<ShardStep>();
      this.merge(r, s.start);
      if (r.episodes.length > 0) (episodes ??= []).push(...r.episodes.map((e) => ({ ...e, row: e.row + s.start })));
    }
    const o = this.out;
    return { ...o, episodes: episodes ?? [] };
  }

  private merge(r: Omit<ShardStep, 'episodes'>, start: number): void {
    const o = this.out;
    const D = this.observationSize;
    o.observations.set(r.observations, start * D);
    o.finalObservations.set(r.finalObservations, start * D);
    o.rewards.set(r.rewards, start);
    o.terminated.set(r.terminated, start);
    o.truncated.set(r.truncated, start);
    o.success.set(r.success, start);
    o.hasFinalObservation.set(r.hasFinalObservation, start);
    o.taskIds.set(r.taskIds, start);
  }

  /** The full env's state: the shards' rows concatenated in row order (the same JSON as one thread's). */
  getState(): JsonObject {
    for (const s of this.shards) s.link?.post({ op: 'getState' } satisfies ShardRequest);
    const mine = this.local.getState();
    const rows = [...(mine.rows as JsonObject[])];
    for (const s of this.shards) if (s.link) rows.push(...((s.link.wait<JsonObject>().rows as JsonObject[]) ?? []));
    return { ...mine, rows };
  }

  /** Restores a state of the full env (written with any number of threads). */
  setState(state: JsonObject): void {
    const rows = state.rows;
    if (!Array.isArray(rows) || rows.length !== this.numRows) throw new TypeError(`ShardedVectorEnv.setState: expected ${this.numRows} rows`);
    for (const s of this.shards) s.link?.post({ op: 'setState', state: { ...state, rows: rows.slice(s.start, s.start + s.count) } } satisfies ShardRequest);
    const first = this.shards[0] as Shard;
    let failure: unknown = null;
    try {
      this.local.setState({ ...state, rows: rows.slice(0, first.count) });
    } catch (err) {
      failure = err;
    }
    // Every worker's reply is collected before a failure is thrown, so the links stay in step.
    const D = this.observationSize;
    for (const s of this.shards) {
      if (!s.link) continue;
      try {
        const r = s.link.wait<{ observations: Float32Array; taskIds: Int32Array }>();
        this.out.observations.set(r.observations, s.start * D);
        this.out.taskIds.set(r.taskIds, s.start);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
    this.out.observations.set(this.local.observations, 0);
    this.out.taskIds.set(this.local.taskIds, 0);
  }

  close(): void {
    for (const s of this.shards) s.link?.post({ op: 'close' } satisfies ShardRequest);
    this.local.close();
    for (const s of this.shards) {
      if (!s.link) continue;
      s.link.wait();
      void s.link.close();
    }
  }
}
