/** Plain-JSON state of a {@link RunningMeanStd}. */
export interface RunningMeanStdState {
  readonly mean: number[];
  readonly var: number[];
  readonly count: number;
}

/**
 * Running mean and variance with the parallel (Chan et al.) batch update that Gymnasium's
 * `RunningMeanStd` uses; float64, initial count ε = 1e-4 as there.
 */
export class RunningMeanStd {
  mean: Float64Array;
  var: Float64Array;
  count = 1e-4;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
  }

  /** Folds in `rows` (indices into `data`, each a `dim`-vector at `data[row*dim]`). */
  update(data: ArrayLike<number>, rows: ArrayLike<number>): void {
    const n = rows.length;
    if (n === 0) return;
    const d = this.dim;
    const bMean = new Float64Array(d);
    const bVar = new Float64Array(d);
    for (let k = 0; k < n; k++) {
      const o = (rows[k] as number) * d;
      for (let j = 0; j < d; j++) bMean[j] = (bMean[j] as number) + (data[o + j] as number);
    }
    for (let j = 0; j < d; j++) bMean[j] = (bMean[j] as number) / n;
    for (let k = 0; k < n; k++) {
      const o = (rows[k] as number) * d;
      for (let j = 0; j < d; j++) bVar[j] = (bVar[j] as number) + ((data[o + j] as number) - (bMean[j] as number)) ** 2;
    }
    const total = this.count + n;
    for (let j = 0; j < d; j++) {
      const bv = (bVar[j] as number) / n;
      const delta = (bMean[j] as number) - (this.mean[j] as number);
      const m2 = (this.var[j] as number) * this.count + bv * n + delta * delta * (this.count * n) / total;
      this.mean[j] = (this.mean[j] as number) + (delta * n) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(s: RunningMeanStdState): void {
    if (s.mean.length !== this.dim) throw new Error(`RunningMeanStd: state has dim ${s.mean.length}, expected ${this.dim}`);
    this.mean = Float64Array.from(s.mean);
    this.var = Float64Array.from(s.var);
    this.count = s.count;
  }
}

/** Grouping of normaliser statistics. */
export type NormGrouping = 'per-task' | 'shared' | 'none';

/**
 * Observation normaliser: (o − mean) / sqrt(var + 1e-8), clipped to ±clip; statistics per task or
 * shared (one {@link RunningMeanStd} per group), updated with every observation the agent acts on.
 */
export class ObservationNormalizer {
  private readonly stats: RunningMeanStd[];

  constructor(readonly grouping: NormGrouping, readonly dim: number, numTasks: number, readonly clip: number) {
    const groups = grouping === 'per-task' ? numTasks : grouping === 'shared' ? 1 : 0;
    this.stats = Array.from({ length: groups }, () => new RunningMeanStd(dim));
  }

  /**
   * Normalises `obs` (`[rows, dim]`) into a new array; updates statistics first when `update`.
   * @param taskIds task of each row
   */
  normalize(obs: Float32Array, taskIds: Int32Array, update: boolean): Float32Array {
    if (this.grouping === 'none') return Float32Array.from(obs);
    const rows = taskIds.length;
    if (update) {
      if (this.grouping === 'shared') this.stats[0]!.update(obs, Int32Array.from({ length: rows }, (_, i) => i));
      else {
        const byTask = groupRows(taskIds, this.stats.length);
        byTask.forEach((r, t) => this.stats[t]!.update(obs, r));
      }
    }
    const out = new Float32Array(obs.length);
    const d = this.dim;
    for (let i = 0; i < rows; i++) {
      const s = this.stats[this.grouping === 'shared' ? 0 : (taskIds[i] as number)] as RunningMeanStd;
      for (let j = 0; j < d; j++) {
        const v = ((obs[i * d + j] as number) - (s.mean[j] as number)) / Math.sqrt((s.var[j] as number) + 1e-8);
        out[i * d + j] = Math.max(-this.clip, Math.min(this.clip, v));
      }
    }
    return out;
  }

  getState(): RunningMeanStdState[] {
    return this.stats.map((s) => s.getState());
  }

  setState(states: readonly RunningMeanStdState[]): void {
    if (states.length !== this.stats.length) throw new Error(`ObservationNormalizer: ${states.length} groups in state, expected ${this.stats.length}`);
    states.forEach((s, i) => this.stats[i]!.setState(s));
  }
}

/** Plain-JSON state of a {@link RewardScaler}. */
export interface RewardScalerState {
  readonly stats: RunningMeanStdState[];
  readonly returns: number[];
}

/**
 * Reward scaling as Gymnasium's NormalizeReward: a running discounted return G ← γG + r per env
 * (reset at episode end), its variance tracked per task or shared, rewards divided by
 * sqrt(var + 1e-8) and clipped to ±clip.
 */
export class RewardScaler {
  private readonly stats: RunningMeanStd[];
  private returns: Float64Array;

  constructor(readonly grouping: NormGrouping, numEnvs: number, numTasks: number, readonly gamma: number, readonly clip: number) {
    const groups = grouping === 'per-task' ? numTasks : grouping === 'shared' ? 1 : 0;
    this.stats = Array.from({ length: groups }, () => new RunningMeanStd(1));
    this.returns = new Float64Array(numEnvs);
  }

  /** Scales one step's rewards `[numEnvs]` and advances the discounted returns. */
  scale(rewards: Float32Array, episodeEnds: Uint8Array, taskIds: Int32Array): Float32Array {
    if (this.grouping === 'none') return Float32Array.from(rewards);
    const n = rewards.length;
    for (let i = 0; i < n; i++) this.returns[i] = (this.returns[i] as number) * this.gamma + (rewards[i] as number);
    if (this.grouping === 'shared') this.stats[0]!.update(this.returns, Int32Array.from({ length: n }, (_, i) => i));
    else groupRows(taskIds, this.stats.length).forEach((r, t) => this.stats[t]!.update(this.returns, r));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const s = this.stats[this.grouping === 'shared' ? 0 : (taskIds[i] as number)] as RunningMeanStd;
      const v = (rewards[i] as number) / Math.sqrt((s.var[0] as number) + 1e-8);
      out[i] = Math.max(-this.clip, Math.min(this.clip, v));
      if (episodeEnds[i]) this.returns[i] = 0;
    }
    return out;
  }

  /** The factor a raw reward of task `task` is multiplied by (before clipping). */
  factor(task: number): number {
    if (this.grouping === 'none') return 1;
    const s = this.stats[this.grouping === 'shared' ? 0 : task] as RunningMeanStd;
    return 1 / Math.sqrt((s.var[0] as number) + 1e-8);
  }

  getState(): RewardScalerState {
    return { stats: this.stats.map((s) => s.getState()), returns: Array.from(this.returns) };
  }

  setState(state: RewardScalerState): void {
    state.stats.forEach((s, i) => this.stats[i]!.setState(s));
    this.returns = Float64Array.from(state.returns);
  }
}

/** Row indices of each task. */
export function groupRows(taskIds: Int32Array, numTasks: number): Int32Array[] {
  const counts = new Int32Array(numTasks);
  for (const t of taskIds) counts[t] = (counts[t] as number) + 1;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(numTasks);
  taskIds.forEach((t, i) => {
    (out[t] as Int32Array)[fill[t] as number] = i;
    fill[t] = (fill[t] as number) + 1;
  });
  return out;
}
