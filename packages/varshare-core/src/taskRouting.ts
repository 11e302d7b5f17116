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
 *
 * Both directions are gathers, and each has the other as its exact gradient (every real row sits in
 * exactly one slot), so no scatter-add kernel is needed — wasm has no UnsortedSegmentSum, which the
 * stock gather gradient uses. Index tensors are made per op from the typed arrays held here, so a
 * gradient taken after the forward pass never depends on this object's lifetime.
 */
export class TaskRouting {
  /** Task index per row, `[B]`. */
  readonly taskIds: Int32Array;
  /** Rows per task slot in the grouped layout. */
  readonly groupSize: number;
  /** Number of rows in the batch. */
  readonly batchSize: number;
  /** Whether the batch is already task-major with equal groups (no gather needed). */
  readonly isTaskMajor: boolean;
  /** Slot → source row (pads → row 0), `[numTasks·groupSize]`. */
  private readonly gatherIdx: Int32Array;
  /** Row → slot, `[B]`. */
  private readonly scatterIdx: Int32Array;
  /** Slot → row, pads → B (an appended zero row): ungroup's gradient. */
  private readonly gatherZeroPadIdx: Int32Array;

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
    this.isTaskMajor = taskMajor;
    this.gatherIdx = new Int32Array(numTasks * groupSize);
    this.gatherZeroPadIdx = new Int32Array(numTasks * groupSize).fill(B);
    this.scatterIdx = new Int32Array(B);
    const fill = new Int32Array(numTasks);
    for (let i = 0; i < B; i++) {
      const t = ids[i] as number;
      const slot = t * groupSize + (fill[t] as number);
      fill[t] = (fill[t] as number) + 1;
      this.gatherIdx[slot] = i;
      this.gatherZeroPadIdx[slot] = i;
      this.scatterIdx[i] = slot;
    }
  }

  /**
   * The slot of each row in the grouped layout flattened to `[numTasks·groupSize, d]` (`[B]`, a
   * copy): a consumer of grouped outputs reads row i at slot `slotOfRow()[i]` instead of ungrouping.
   */
  slotOfRow(): Int32Array {
    return this.scatterIdx.slice();
  }

  /**
   * {@link group} on the CPU, for inputs that need no gradient (e.g. observations): rows `[B, d]`
   * (row-major) → the grouped layout `[numTasks·groupSize, d]`, pads holding row 0 as in `group`.
   */
  groupArray(rows: Float32Array, d: number): Float32Array {
    if (rows.length !== this.batchSize * d) throw new Error(`TaskRouting.groupArray: ${rows.length} values, expected ${this.batchSize} rows × ${d}`);
    if (this.isTaskMajor) return rows.slice();
    const out = new Float32Array(this.gatherIdx.length * d);
    for (let s = 0; s < this.gatherIdx.length; s++) {
      const r = this.gatherIdx[s] as number;
      out.set(rows.subarray(r * d, r * d + d), s * d);
    }
    return out;
  }

  /** `[B, d]` → `[numTasks, groupSize, d]`. */
  group(x: tf.Tensor2D): tf.Tensor3D {
    const d = x.shape[1];
    const rows = this.isTaskMajor ? x : permuteRows(x, this.gatherIdx, this.scatterIdx, false);
    return tf.reshape(rows, [this.numTasks, this.groupSize, d]);
  }

  /** `[numTasks, groupSize, d]` → `[B, d]` in the original row order. */
  ungroup(y: tf.Tensor3D): tf.Tensor2D {
    const d = y.shape[2];
    const flat = tf.reshape(y, [this.numTasks * this.groupSize, d]) as tf.Tensor2D;
    return this.isTaskMajor ? flat : permuteRows(flat, this.scatterIdx, this.gatherZeroPadIdx, true);
  }

  /** Kept for API symmetry with tensor-holding helpers; the routing holds no tensors. */
  dispose(): void {}
}

/** Gathers rows of `x` by `forward`; the gradient gathers dy's rows by `backward` (with a zero row appended when `padBackward`). */
function permuteRows(x: tf.Tensor2D, forward: Int32Array, backward: Int32Array, padBackward: boolean): tf.Tensor2D {
  const op = tf.customGrad(((input: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.tidy(() => tf.gather(input, tf.tensor1d(forward, 'int32'))),
      gradFunc: (dy: tf.Tensor2D) =>
        tf.tidy(() => {
          const src = padBackward ? tf.concat([dy, tf.zeros([1, dy.shape[1]])], 0) : dy;
          return tf.gather(src, tf.tensor1d(backward, 'int32'));
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as tf.Tensor2D;
}
