import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers all of them
// (TOOLCHAIN-NOTES.md). We use nothing else from tfjs-layers.
import '@tensorflow/tfjs-layers';

export { tf };

/** Backends `initBackend` can select. `tensorflow` is tfjs-node, used only when it is installed. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let batchMatMulGradPatched = false;

/** Swaps the last two axes of a rank-3 tensor without a transposed matmul. */
function swapInner(t: tf.Tensor): tf.Tensor {
  return tf.transpose(t, [0, 2, 1]);
}

/**
 * Re-registers the BatchMatMul gradient so that it never asks the backend for a matmul with
 * `transposeA`/`transposeB`: on wasm those run ~15x slower than an explicit transpose followed by a
 * plain matmul (TOOLCHAIN-NOTES.md: 56–63 ms vs 3.8 ms at 256x400x400). Mathematically identical to
 * the stock gradient; tested against the cpu backend.
 */
export function registerFastBatchMatMulGrad(): void {
  if (batchMatMulGradPatched) return;
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy;
      // Inputs to the kernel are rank 3 with equal batch sizes in every use inside this project; the
      // stock broadcasting case (batch 1 vs batch n) reduces over the batch axis below.
      const reduceTo = (grad: tf.Tensor, like: tf.Tensor): tf.Tensor =>
        grad.shape[0] === like.shape[0] ? grad : tf.sum(grad, 0, true);
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D);
      if (!transposeA && !transposeB) {
        return { a: () => reduceTo(mm(g, swapInner(b)), a), b: () => reduceTo(mm(swapInner(a), g), b) };
      }
      if (!transposeA && transposeB) {
        return { a: () => reduceTo(mm(g, b), a), b: () => reduceTo(mm(swapInner(g), a), b) };
      }
      if (transposeA && !transposeB) {
        return { a: () => reduceTo(mm(b, swapInner(g)), a), b: () => reduceTo(mm(a, g), b) };
      }
      return {
        a: () => reduceTo(mm(swapInner(b), swapInner(g)), a),
        b: () => reduceTo(mm(swapInner(g), swapInner(a)), b),
      };
    },
  });
  batchMatMulGradPatched = true;
}

async function tryImportTfjsNode(): Promise<boolean> {
  try {
    // Optional: present only on machines where tfjs-node could be installed. The specifier is kept in
    // a variable so bundlers and type checks do not require it.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
    return tf.findBackendFactory('tensorflow') !== null;
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the TensorFlow.js backend for the whole process, registers gradients and
 * the fast BatchMatMul gradient.
 *
 * Without `name`: `tensorflow` (tfjs-node) when installed, else `wasm` (SIMD in Node, 1 thread), else
 * `cpu`. With `name`, that backend or an Error naming it. `tf.setBackend` reports failure by returning
 * false and silently keeping the old backend, so the result is verified with `tf.getBackend()`.
 *
 * @returns the backend name in use.
 */
export async function initBackend(name?: BackendName): Promise<BackendName> {
  registerFastBatchMatMulGrad();
  const candidates: BackendName[] = name ? [name] : ['tensorflow', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const candidate of candidates) {
    if (candidate === 'tensorflow' && !(await tryImportTfjsNode())) {
      failures.push('tensorflow: @tensorflow/tfjs-node is not installed');
      continue;
    }
    if (tf.getBackend() === candidate) return candidate;
    let ok = false;
    try {
      ok = await tf.setBackend(candidate);
      await tf.ready();
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message}`);
      continue;
    }
    if (ok && tf.getBackend() === candidate) return candidate;
    failures.push(`${candidate}: setBackend returned ${ok}, active backend is ${tf.getBackend()}`);
  }
  throw new Error(`initBackend: no usable backend (${failures.join('; ')})`);
}
