import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { registerChainedOps } from './chainedOps';
import { chooseHotOps } from './ops/hotOps';

// The backends, and tfjs-layers only because tfjs-core's Node bundle registers no gradients and
// tfjs-layers' bundle registers all of them (TOOLCHAIN-NOTES.md; nothing else of it is used). For
// their side effects: loaded with require, as the CommonJS bundles they are — an ES import first
// scans each bundle for its export names, ~0.13–0.25 s of every process's and worker's start here
// (the same module instances either way: Node's ES loader loads CommonJS through require's cache).
const requireCjs = createRequire(import.meta.url);
requireCjs('@tensorflow/tfjs-backend-cpu');
requireCjs('@tensorflow/tfjs-backend-wasm');
requireCjs('@tensorflow/tfjs-layers');

// Nor does tfjs-core register the chained methods (`t.add(u)`): `tf` from here has them.
registerChainedOps();

export { tf };

/** Backends `initBackend` can select. `tensorflow` is tfjs-node, used only when it is installed. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let batchMatMulGradPatched = false;

/** Swaps the last two axes (an explicit transpose, so the following matmul is a plain one). */
function swapInner(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
  return tf.transpose(t, perm);
}

/** Sums a broadcast gradient back to the shape of the input it belongs to. */
function reduceTo(grad: tf.Tensor, like: tf.Tensor): tf.Tensor {
  if (grad.shape.join(',') === like.shape.join(',')) return grad;
  let g = grad;
  while (g.rank > like.rank) g = tf.sum(g, 0);
  const axes = like.shape.slice(0, -2).flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
  if (axes.length > 0) g = tf.sum(g, axes, true);
  return tf.reshape(g, like.shape);
}

/**
 * Re-registers the BatchMatMul gradient so that it never asks the backend for a matmul with
 * `transposeA`/`transposeB`: on wasm those run ~15x slower than an explicit transpose followed by a
 * plain matmul (TOOLCHAIN-NOTES.md: 56–63 ms vs 3.8 ms at 256x400x400). Mathematically identical to
 * the stock gradient, including batch broadcasting; tested against the cpu backend.
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
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D);
      const t = swapInner;
      if (!transposeA && !transposeB) return { a: () => reduceTo(mm(g, t(b)), a), b: () => reduceTo(mm(t(a), g), b) };
      if (!transposeA && transposeB) return { a: () => reduceTo(mm(g, b), a), b: () => reduceTo(mm(t(g), a), b) };
      if (transposeA && !transposeB) return { a: () => reduceTo(mm(b, t(g)), a), b: () => reduceTo(mm(a, g), b) };
      return { a: () => reduceTo(mm(t(b), t(g)), a), b: () => reduceTo(mm(t(g), t(a)), b) };
    },
  });
  batchMatMulGradPatched = true;
}

let wasmCopiesShared = false;

/**
 * Re-registers two wasm kernels that copy a buffer into a new one so that they share it instead
 * (the reference count goes up, as the cpu backend's Identity and every backend's Reshape do):
 * Identity (tfjs clones every tensor an op saves for its gradient, ≈120 clones per PPO minibatch
 * step of cartpole-mt) and a Cast to the tensor's own dtype (the stock gradients of Multiply,
 * Maximum, Square… cast their results to the input's dtype, ≈20 per step). Tensor buffers are never
 * written after creation (a Variable's assign takes a new buffer), so a shared buffer holds the
 * values a copy would: results are bit-identical. Strings and real casts keep the stock kernels.
 */
export function registerSharingWasmKernels(): void {
  if (wasmCopiesShared) return;
  const identity = tf.getKernel('Identity', 'wasm');
  const cast = tf.getKernel('Cast', 'wasm');
  if (!identity || !cast) return;
  const share = (backend: unknown, x: tf.TensorInfo): tf.TensorInfo => {
    (backend as { incRef(id: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  const replace = (stock: tf.KernelConfig, sharable: (args: Parameters<tf.KernelFunc>[0]) => boolean): void => {
    tf.unregisterKernel(stock.kernelName, 'wasm');
    tf.registerKernel({
      kernelName: stock.kernelName,
      backendName: 'wasm',
      kernelFunc: (args) => (sharable(args) ? share(args.backend, args.inputs['x'] as tf.TensorInfo) : stock.kernelFunc(args)),
    });
  };
  replace(identity, (args) => (args.inputs['x'] as tf.TensorInfo).dtype !== 'string');
  replace(cast, (args) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    return x.dtype !== 'string' && (args.attrs as { dtype?: string } | undefined)?.dtype === x.dtype;
  });
  wasmCopiesShared = true;
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
 * Selects and initialises the TensorFlow.js backend for the whole process, registers gradients,
 * the fast BatchMatMul gradient and the wasm kernels that share a buffer instead of copying it
 * ({@link registerSharingWasmKernels}), and chooses the VarShare hot ops for it (`hotOps()`: the
 * wasm SIMD kernels on the wasm backend when the runtime has WebAssembly SIMD, else the tfjs
 * reference implementation).
 *
 * Without `name`: `tensorflow` (tfjs-node) when installed, else `wasm` (SIMD in Node, 1 thread), else
 * `cpu`. With `name`, that backend or an Error naming it. `tf.setBackend` reports failure by returning
 * false and silently keeping the old backend, so the result is verified with `tf.getBackend()`.
 *
 * @returns the backend name in use.
 */
export async function initBackend(name?: BackendName): Promise<BackendName> {
  registerFastBatchMatMulGrad();
  registerSharingWasmKernels();
  const candidates: BackendName[] = name ? [name] : ['tensorflow', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const candidate of candidates) {
    if (candidate === 'tensorflow' && !(await tryImportTfjsNode())) {
      failures.push('tensorflow: @tensorflow/tfjs-node is not installed');
      continue;
    }
    if (tf.getBackend() === candidate) {
      chooseHotOps(candidate);
      return candidate;
    }
    let ok = false;
    try {
      ok = await tf.setBackend(candidate);
      await tf.ready();
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message}`);
      continue;
    }
    if (ok && tf.getBackend() === candidate) {
      chooseHotOps(candidate);
      return candidate;
    }
    failures.push(`${candidate}: setBackend returned ${ok}, active backend is ${tf.getBackend()}`);
  }
  throw new Error(`initBackend: no usable backend (${failures.join('; ')})`);
}
