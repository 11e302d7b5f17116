import { actUnsharedWasmBase64, actWasmBase64 } from './actWasm';
import { AdamModule, type AdamExports } from './adamKernel';
import { adamUnsharedWasmBase64, adamWasmBase64 } from './adamWasm';
import { DenseKernel, type ActExports, type DenseExports } from './denseKernel';
import { denseUnsharedWasmBase64, denseWasmBase64 } from './denseWasm';
import { gemmUnsharedWasmBase64, gemmWasmBase64 } from './gemmWasm';
import { compileKernel, instantiateKernel, sharedKernelMemory, type WasmMemory } from './instantiate';
import { KernelPool } from './kernelThreads';
import { KernelMemory } from './kernelMemory';
import { KlKernel, type KlExports } from './klKernel';
import { MatmulKernel, type GemmExports } from './matmulKernel';
import { MedianKernel, type MedianExports } from './medianKernel';
import { RandomKernel, type RandomExports } from './randomKernel';
import { randomUnsharedWasmBase64, randomWasmBase64 } from './randomWasm';
import { medianUnsharedWasmBase64, medianWasmBase64 } from './medianWasm';
import { PosteriorKernel, type PosteriorExports } from './posteriorKernel';
import { posteriorUnsharedWasmBase64, posteriorWasmBase64 } from './posteriorWasm';
import { klUnsharedWasmBase64, klWasmBase64 } from './klWasm';

/**
 * The process's WebAssembly SIMD kernels: matmul (gemm.wat), the dense layer (dense.wat + act.wat),
 * the KL (kl.wat), the posterior σ pass (posterior.wat), the Adam step (adam.wat; each
 * optimizer's arrays are regions of the same memory), the diagnostics' medians (median.wat) and the
 * frozen noise's normals (random.wat) on one {@link KernelMemory} (unshared, or
 * shared while helper threads are in use, see {@link KernelPool}).
 */
export interface WasmKernels {
  readonly memory: KernelMemory;
  /** The helper threads the matmul, dense, posterior, KL and Adam kernels split large calls over (see {@link KernelPool}). */
  readonly pool: KernelPool;
  readonly matmul: MatmulKernel;
  readonly dense: DenseKernel;
  readonly kl: KlKernel;
  readonly posterior: PosteriorKernel;
  /** The Adam kernel: optimizers' arrays live in the same memory (`adam.arrays()`). */
  readonly adam: AdamModule;
  /** Exact medians of ranges of the memory (the posterior diagnostics). */
  readonly median: MedianKernel;
  /** randomNormalArray's normals (the frozen weight noise). */
  readonly random: RandomKernel;
}

/** The kernel functions helper threads run (parts of one call each). */
const WORKER_FUNCTIONS = ['gemm.bgemmrows', 'gemm.copy2d', 'gemm.packa', 'dense.effw', 'dense.mul3', 'dense.sumcols', 'act.tanh', 'act.relu', 'act.tanhgrad', 'act.relugrad', 'posterior.sigma', 'posterior.blocksums', 'kl.klfwd', 'kl.klbwd', 'adam.adamk', 'adam.addsqb', 'adam.sumsqb', 'median.medians', 'random.jobs'] as const;

let kernels: WasmKernels | null | undefined;

/** The kernels, instantiated on first use; null when this runtime cannot compile them (no WebAssembly SIMD). */
export function wasmKernels(): WasmKernels | null {
  if (kernels === undefined) kernels = instantiateAll();
  return kernels;
}

/** The kernel memory's maximum: 65,536 pages of 64 KiB (4 GiB of address space). */
const MAX_PAGES = 65536;

/** The modules that work on the kernel memory, instantiated on one memory. */
interface OnMemory {
  readonly gemm: GemmExports;
  readonly dense: DenseExports;
  readonly act: ActExports;
  readonly kl: KlExports;
  readonly posterior: PosteriorExports;
  readonly adam: AdamExports;
  readonly median: MedianExports;
  readonly random: RandomExports;
}

/**
 * gemm, dense, act, kl, posterior, adam, median and random on `memory`: the builds that import it shared when `shared`, else the
 * unshared builds (the same code; `tools/wasm/build.mjs` embeds both). Null if one does not compile.
 */
function instantiateOn(memory: WasmMemory, shared: boolean): OnMemory | null {
  const imports = { env: { memory } };
  const gemm = instantiateKernel<GemmExports>(shared ? gemmWasmBase64 : gemmUnsharedWasmBase64, imports);
  const dense = instantiateKernel<DenseExports>(shared ? denseWasmBase64 : denseUnsharedWasmBase64, imports);
  const act = instantiateKernel<ActExports>(shared ? actWasmBase64 : actUnsharedWasmBase64, imports);
  const kl = instantiateKernel<KlExports>(shared ? klWasmBase64 : klUnsharedWasmBase64, imports);
  const posterior = instantiateKernel<PosteriorExports>(shared ? posteriorWasmBase64 : posteriorUnsharedWasmBase64, imports);
  const adam = instantiateKernel<AdamExports>(shared ? adamWasmBase64 : adamUnsharedWasmBase64, imports);
  const median = instantiateKernel<MedianExports>(shared ? medianWasmBase64 : medianUnsharedWasmBase64, imports);
  const random = instantiateKernel<RandomExports>(shared ? randomWasmBase64 : randomUnsharedWasmBase64, imports);
  return gemm && dense && act && kl && posterior && adam && median && random ? { gemm, dense, act, kl, posterior, adam, median, random } : null;
}

/**
 * The kernels start on an unshared memory: V8 copies to and from a SharedArrayBuffer up to ~2×
 * slower (measured: `slice` of 4 MB 0.95 → 1.7–2.0 ms; a cartpole-mt update's operand copies +5–10 %),
 * and only helper threads need sharing. {@link KernelPool.set} with more than one thread moves them
 * — every byte, so resident regions keep their offsets — onto a shared memory, and back with one.
 */
function instantiateAll(): WasmKernels | null {
  const api = (globalThis as unknown as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly;
  if (!api) return null;
  const unshared = new api.Memory({ initial: 1, maximum: MAX_PAGES });
  const on = instantiateOn(unshared, false);
  if (!on) return null;
  const memory = new KernelMemory(unshared);
  let matmul: MatmulKernel | null = null;
  let dense: DenseKernel | null = null;
  let kl: KlKernel | null = null;
  let posterior: PosteriorKernel | null = null;
  let adam: AdamModule | null = null;
  let median: MedianKernel | null = null;
  let random: RandomKernel | null = null;
  const moveTo = (shared: boolean): WasmMemory => {
    const target = shared ? sharedKernelMemory(1, MAX_PAGES) : new api.Memory({ initial: 1, maximum: MAX_PAGES });
    if (!target) throw new Error('setKernelThreads: this runtime has no shared WebAssembly memory (SharedArrayBuffer), so the kernels run on one thread');
    const next = instantiateOn(target, shared);
    if (!next) throw new Error('setKernelThreads: the kernels did not compile for a shared memory');
    memory.moveTo(target);
    matmul?.rebind(next.gemm);
    dense?.rebind(next.dense, next.act);
    kl?.rebind(next.kl);
    posterior?.rebind(next.posterior);
    adam?.rebind(next.adam);
    median?.rebind(next.median);
    random?.rebind(next.random);
    return target;
  };
  const workerModules = () => ({ gemm: compileKernel(gemmWasmBase64) as object, dense: compileKernel(denseWasmBase64) as object, act: compileKernel(actWasmBase64) as object, posterior: compileKernel(posteriorWasmBase64) as object, kl: compileKernel(klWasmBase64) as object, adam: compileKernel(adamWasmBase64) as object, median: compileKernel(medianWasmBase64) as object, random: compileKernel(randomWasmBase64) as object });
  const pool = new KernelPool(moveTo, workerModules, WORKER_FUNCTIONS);
  matmul = new MatmulKernel(on.gemm, memory, pool);
  dense = new DenseKernel(on.dense, on.act, memory, matmul, pool);
  kl = new KlKernel(on.kl, memory, pool);
  posterior = new PosteriorKernel(on.posterior, memory, pool);
  adam = new AdamModule(on.adam, memory, pool);
  median = new MedianKernel(on.median, memory, pool);
  random = new RandomKernel(on.random, memory, pool);
  return { memory, pool, matmul, dense, kl, posterior, adam, median, random };
}
