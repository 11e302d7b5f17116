import { tf } from './backend';

/** A hidden activation applied to a layer's output (`none` for the output layer). */
export type LayerActivation = 'tanh' | 'relu' | 'none';

/** tanh(x) as 2·sigmoid(2x) − 1: the same function, but wasm's sigmoid is ~8× faster than its tanh. */
export function fastTanh<T extends tf.Tensor>(x: T): T {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) as T;
}

/** Applies a {@link LayerActivation} with tensor ops (tanh as {@link fastTanh}). */
export function applyActivation<T extends tf.Tensor>(h: T, activation: LayerActivation): T {
  if (activation === 'tanh') return fastTanh(h);
  if (activation === 'relu') return tf.relu(h);
  return h;
}

/**
 * A dense layer's output for task-major rows: Y_t = act(X_t W_t + b), each task's rows times its
 * effective weights (spec: a VarShare layer computes x W_m + b for a row of task m). Differentiable
 * in every input (its gradients are the reference of the dense kernel's backward).
 * The reference of the dense layer: `HotOps.dense` / `denseWithWeights` use it (tfjs
 * implementation) or the wasm kernels `gemm.wat` + `dense.wat` + `act.wat`.
 * @param xg rows per task, `[T, n, in]`
 * @param w W_t `[T, in, out]` (see `effectiveWeights`), or one `[in, out]` for every task
 * @param bias b, `[out]`
 * @param activation Defaults to `none`.
 * @returns `[T, n, out]`
 */
export function denseLayer(xg: tf.Tensor3D, w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation = 'none'): tf.Tensor3D {
  return tf.tidy(() => {
    const [T, n, d] = xg.shape;
    const out = w.shape[w.rank - 1] as number;
    // Shared weights: one [T·n, in]·[in, out] product rather than a broadcast batched matmul.
    const y = w.rank === 2 ? tf.reshape(tf.matMul(tf.reshape(xg, [T * n, d]) as tf.Tensor2D, w as tf.Tensor2D), [T, n, out]) : tf.matMul(xg, w as tf.Tensor3D);
    return applyActivation(tf.add(y, bias) as tf.Tensor3D, activation);
  });
}
