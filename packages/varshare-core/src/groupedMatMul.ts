import { tf } from './backend';
import { wasmHeap, type HeapBackend } from './kernels/heap';
import { SimdGemm } from './kernels/simdGemm';

/**
 * `op(a) · op(b)` on the SIMD kernel, as a new tensor (no gradient). `a`/`b` are read straight from
 * the wasm heap (views are taken and copied before anything allocates there).
 */
function simdMatMul(be: HeapBackend, gemm: SimdGemm, a: tf.Tensor3D, transA: boolean, b: tf.Tensor3D, transB: boolean): tf.Tensor3D {
  const T = a.shape[0];
  const [n, k] = transA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
  const m = transB ? b.shape[1] : b.shape[2];
  // A view of the kernel's memory is enough: creating a wasm tensor copies it at once.
  const out = gemm.bmm(be.typedArrayFromHeap(a), transA, be.typedArrayFromHeap(b), transB, T, n, k, m, false);
  return tf.tensor3d(out, [T, n, m]);
}

/**
 * Batched matmul of task-major blocks: `a` `[T, n, k]`, `b` `[T, k, m]` → `[T, n, m]`, row block t
 * of `a` times matrix t of `b`. Equal to `tf.matMul(a, b)` up to float32 summation order.
 *
 * On wasm it runs on {@link SimdGemm} (forward, dA = dY·Bᵀ and dB = Aᵀ·dY, the transposes folded
 * into the kernel's operand copies): tfjs-wasm's BatchMatMul is a generic loop at 2–4 GFLOP/s;
 * the kernel ran 10×[32×64]·[64×64] at ~27 GFLOP/s and 10×[26×400]·[400×400] at ~40 in isolation
 * here, operand copies included. Elsewhere it is `tf.matMul`.
 */
export function groupedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const be = wasmHeap();
  const gemm = be ? SimdGemm.get() : null;
  if (!be || !gemm || a.shape[0] !== b.shape[0] || a.dtype !== 'float32' || b.dtype !== 'float32') return tf.matMul(a, b);
  if (a.shape[2] !== b.shape[1]) throw new Error(`groupedMatMul: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
  const op = tf.customGrad(((x: tf.Tensor3D, w: tf.Tensor3D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: simdMatMul(be, gemm, x, false, w, false),
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor3D, tf.Tensor3D];
        return [simdMatMul(be, gemm, dy, false, ws, true), simdMatMul(be, gemm, xs, true, dy, false)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(a, b) as tf.Tensor3D;
}
