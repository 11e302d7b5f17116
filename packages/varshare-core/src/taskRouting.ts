import { tf } from './backend';

/**
 * Routes each row of a mixed-task batch to its own task's parameters.
 *
 * Rows are gathered into a task-major layout `[numTasks, groupSize, d]` (groupSize = the largest
 * task count in the batch; shorter groups are padded with copies of row 0 whose outputs are never
 * read, so they receive zero gradient). Every VarShare layer then runs one batched matmul against
 * its `[numTasks, in, out]` weights, and {@link TaskRouting.ungroup} restores the original row order.
 * A batch that is already task-major with equal groups (the vector env's round-robin layout) is
 * reshaped without any gather.
 */
export class TaskRouting {
  /** Task index per row, `[B]`. */
  readonly taskIds: Int32Array;
  /** Rows per task slot in the grouped layout. */
  readonly groupSize: number;
  /** Number of rows in the batch. */
  readonly batchSize: number;
  private readonly gatherIdx: tf.Tensor1D | null;
  private readonly scatterIdx: tf.Tensor1D | null;

  constructor(taskIds: ArrayLike<number>, readonly numTasks: number) {
    const ids = Int32Array.from(taskIds);
    const B = ids.length;
    if (B === 0) throw new Error('TaskRouting: empty batch');
    const counts = new Int32Array(numTasks);
    for (let i = 0; i < B; i++) {
      const t = ids[i] as number;
      if (!(t >= 0 && t < numTasks)) throw new Error(`taskIds[${i}] = ${t} is outside [0, ${numTasks})`);
      counts[t] = (counts[t] as number) + 1;
    }
    let groupSize = 0;
    for (const c of counts) groupSize = Math.max(groupSize, c);
    this.taskIds = ids;
    this.groupSize = groupSize;
    this.batchSize = B;

    let taskMajor = groupSize * numTasks === B;
    for (let i = 0; taskMajor && i < B; i++) if (ids[i] !== Math.floor(i / groupSize)) taskMajor = false;
    if (taskMajor) {
      this.gatherIdx = null;
      this.scatterIdx = null;
      return;
    }
    const gather = new Int32Array(numTasks * groupSize); // pads point at row 0
    const scatter = new Int32Array(B);
    const fill = new Int32Array(numTasks);
    for (let i = 0; i < B; i++) {
      const t = ids[i] as number;
      const slot = t * groupSize + (fill[t] as number);
      fill[t] = (fill[t] as number) + 1;
      gather[slot] = i;
      scatter[i] = slot;
    }
    this.gatherIdx = tf.keep(tf.tensor1d(gather, 'int32'));
    this.scatterIdx = tf.keep(tf.tensor1d(scatter, 'int32'));
  }

  /** `[B, d]` → `[numTasks, groupSize, d]`. */
  group(x: tf.Tensor2D): tf.Tensor3D {
    const d = x.shape[1];
    const rows = this.gatherIdx ? tf.gather(x, this.gatherIdx) : x;
    return tf.reshape(rows, [this.numTasks, this.groupSize, d]);
  }

  /** `[numTasks, groupSize, d]` → `[B, d]` in the original row order. */
  ungroup(y: tf.Tensor3D): tf.Tensor2D {
    const d = y.shape[2];
    const flat = tf.reshape(y, [this.numTasks * this.groupSize, d]) as tf.Tensor2D;
    return this.scatterIdx ? tf.gather(flat, this.scatterIdx) : flat;
  }

  /** Frees the index tensors. */
  dispose(): void {
    this.gatherIdx?.dispose();
    this.scatterIdx?.dispose();
  }
}
