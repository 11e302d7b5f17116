import type { Rng } from '@varshare/base';
import type { PpoHyperparams } from './config';
import { groupRows } from './runningStats';

/** Fisher–Yates shuffle with the run's generator. */
export function shuffleInPlace(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
}

/**
 * Deals a rollout batch's rows into minibatches, one epoch at a time (`ppo.minibatchSampling`):
 * - `uniform` (CleanRL): one permutation of all rows, reshuffled in place every epoch, cut into
 *   `numMinibatches` slices of ⌊B / numMinibatches⌋ rows;
 * - `stratified-by-task`: each task's rows shuffled in place, minibatch k taking the k-th slice of
 *   every task, task-major — equal rows per task, so routing needs no gather and no padding.
 */
export class MinibatchDealer {
  private readonly indices: Int32Array;
  private readonly stratified: Int32Array[] | null;
  private readonly perTask: number;

  /**
   * @param taskIds the batch's task id per row, `[B]`
   * @param minibatchSize ⌊B / numMinibatches⌋
   */
  constructor(
    taskIds: Int32Array,
    numTasks: number,
    private readonly minibatchSize: number,
    sampling: PpoHyperparams['minibatchSampling'],
  ) {
    const B = taskIds.length;
    this.indices = Int32Array.from({ length: B }, (_, i) => i);
    this.stratified = sampling === 'stratified-by-task' ? groupRows(taskIds, numTasks) : null;
    this.perTask = this.stratified ? Math.floor(minibatchSize / numTasks) : 0;
    const s = this.stratified;
    if (s && (this.perTask < 1 || s.some((rows) => rows.length !== (s[0] as Int32Array).length || rows.length < this.perTask * Math.floor(B / minibatchSize)))) {
      throw new Error("ppo.minibatchSampling 'stratified-by-task' needs every task to hold the same number of rows in the batch (round-robin task sampling) and at least one row per task per minibatch");
    }
  }

  /** The minibatches of the next epoch: row indices into the batch (views, valid until the next call). */
  epoch(rng: Rng): Int32Array[] {
    const B = this.indices.length;
    const s = this.stratified;
    if (s) {
      for (const rows of s) shuffleInPlace(rows, rng);
      let o = 0;
      for (let k = 0; k < Math.floor(B / this.minibatchSize); k++) {
        for (const rows of s) {
          this.indices.set(rows.subarray(k * this.perTask, (k + 1) * this.perTask), o);
          o += this.perTask;
        }
      }
    } else {
      shuffleInPlace(this.indices, rng);
    }
    const mbSize = s ? this.perTask * s.length : this.minibatchSize;
    const dealt = s ? mbSize * Math.floor(B / this.minibatchSize) : B;
    const out: Int32Array[] = [];
    for (let start = 0; start + mbSize <= dealt; start += mbSize) out.push(this.indices.subarray(start, start + mbSize));
    return out;
  }
}
