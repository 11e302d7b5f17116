import { actWasmBase64 } from './actWasm';
import { adamWasmBase64 } from './adamWasm';
import { DenseKernel, type ActExports, type DenseExports } from './denseKernel';
import { denseWasmBase64 } from './denseWasm';
import { gemmWasmBase64 } from './gemmWasm';
import { compileKernel, instantiateKernel, sharedKernelMemory } from './instantiate';
import { KernelPool } from './kernelThreads';
import { KernelMemory } from './kernelMemory';
import { KlKernel, type KlExports } from './klKernel';
import { MatmulKernel, type GemmExports } from './matmulKernel';
import { PosteriorKernel } from './posteriorKernel';
import { klWasmBase64 } from './klWasm';

/**
 * The process's WebAssembly SIMD kernels: matmul (gemm.wat), the dense layer (dense.wat + act.wat)
 * and the KL (kl.wat) on one shared {@link KernelMemory}; the posterior σ pass (posterior.wat) on
 * its own memory. The Adam kernel (adam.wat) is instantiated per optimizer (`AdamKernel.create`);
 * it is compiled here once so that its availability is part of this one check.
 */
export interface WasmKernels {
  readonly memory: KernelMemory;
  /** The helper threads the matmul and dense kernels split large calls over (see {@link KernelPool}). */
  readonly pool: KernelPool;
  readonly matmul: MatmulKernel;
  readonly dense: DenseKernel;
  readonly kl: KlKernel;
  readonly posterior: PosteriorKernel;
}

/** The kernel functions helper threads run (parts of one call each). */
const WORKER_FUNCTIONS = ['gemm.bgemm', 'gemm.copy2d', 'dense.effw', 'dense.mul3'] as const;

let kernels: WasmKernels | null | undefined;

/** The kernels, instantiated on first use; null when this runtime cannot compile them (no WebAssembly SIMD). */
export function wasmKernels(): WasmKernels | null {
  if (kernels === undefined) kernels = instantiateAll();
  return kernels;
}

/** The shared kernel memory's maximum: 65,536 pages of 64 KiB (4 GiB of address space, reserved, not allocated). */
const MAX_PAGES = 65536;

function instantiateAll(): WasmKernels | null {
  const shared = sharedKernelMemory(1, MAX_PAGES);
  if (!shared) return null;
  const imports = { env: { memory: shared } };
  const gemm = instantiateKernel<GemmExports>(gemmWasmBase64, imports);
  if (!gemm) return null;
  const dense = instantiateKernel<DenseExports>(denseWasmBase64, imports);
  const act = instantiateKernel<ActExports>(actWasmBase64, imports);
  const kl = instantiateKernel<KlExports>(klWasmBase64, imports);
  const posterior = PosteriorKernel.create();
  const adam = instantiateKernel<object>(adamWasmBase64);
  if (!dense || !act || !kl || !posterior || !adam) return null;
  const memory = new KernelMemory(shared);
  const modules = { gemm: compileKernel(gemmWasmBase64) as object, dense: compileKernel(denseWasmBase64) as object };
  const pool = new KernelPool(shared, modules, WORKER_FUNCTIONS);
  const matmul = new MatmulKernel(gemm, memory, pool);
  return { memory, pool, matmul, dense: new DenseKernel(dense, act, memory, matmul, pool), kl: new KlKernel(kl, memory), posterior };
}
