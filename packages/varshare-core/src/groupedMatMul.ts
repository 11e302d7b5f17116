import { tf } from './backend';

/** The wasm backend's zero-copy view of a tensor's memory (an internal of tfjs-backend-wasm 4.x). */
interface HeapBackend {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

function heapBackend(): HeapBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof be.typedArrayFromHeap === 'function' ? (be as HeapBackend) : null;
}

/**
 * `[T, n, k] × [T, k, m]` as T plain 2D matmuls. On wasm, BatchMatMul with a batch dimension runs
 * a generic loop at ~2–4 GFLOP/s, while a 2D matmul goes to XNNPACK (~20–40 GFLOP/s on one core);
 * the wasm Slice kernel copies its whole input per call, so the per-task blocks are copied here
 * straight from the tensors' memory instead.
 */
function splitMatMul(be: HeapBackend, a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [T, n, k] = a.shape;
  const m = b.shape[2];
  return tf.tidy(() => {
    // Copy out of the heap before creating tensors: a new tensor may grow (and detach) the heap.
    const aBlocks: Float32Array[] = [];
    const bBlocks: Float32Array[] = [];
    const aHeap = be.typedArrayFromHeap(a);
    for (let t = 0; t < T; t++) aBlocks.push(aHeap.slice(t * n * k, (t + 1) * n * k));
    const bHeap = be.typedArrayFromHeap(b);
    for (let t = 0; t < T; t++) bBlocks.push(bHeap.slice(t * k * m, (t + 1) * k * m));
    const outs = aBlocks.map((ab, t) => tf.matMul(tf.tensor2d(ab, [n, k]), tf.tensor2d(bBlocks[t] as Float32Array, [k, m])));
    return tf.reshape(tf.concat(outs, 0), [T, n, m]) as tf.Tensor3D;
  });
}

/** Smallest per-task product `n·k·m` for which {@link groupedMatMul} splits into 2D matmuls on wasm. */
export const SPLIT_MIN_MACS = 2 ** 18;

/**
 * Batched matmul of task-major blocks: `a` `[T, n, k]`, `b` `[T, k, m]` → `[T, n, m]`, row block t
 * of `a` times matrix t of `b`. Equal to `tf.matMul(a, b)`; on wasm it runs as T XNNPACK 2D matmuls
 * (forward and both gradients), elsewhere it is `tf.matMul`.
 */
export function groupedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const be = heapBackend();
  // For small per-task products the per-call costs (XNNPACK packs fresh weights on every call)
  // outweigh the faster kernel: measured on wasm, 32×64×64 per task is faster batched, 26×400×400
  // and 26×39×400 split.
  const small = (a.shape[1] as number) * (b.shape[1] as number) * (b.shape[2] as number) < SPLIT_MIN_MACS;
  if (!be || small || a.shape[0] !== b.shape[0] || a.shape[0] === 1) return tf.matMul(a, b);
  const op = tf.customGrad(((x: tf.Tensor3D, w: tf.Tensor3D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: splitMatMul(be, x, w),
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor3D, tf.Tensor3D];
        // dX_t = dY_t W_tᵀ, dW_t = X_tᵀ dY_t, with explicit transposes (transposed matmuls are slow on wasm).
        const dx = splitMatMul(be, dy, tf.transpose(ws, [0, 2, 1]));
        const dw = splitMatMul(be, tf.transpose(xs, [0, 2, 1]), dy);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(a, b) as tf.Tensor3D;
}
