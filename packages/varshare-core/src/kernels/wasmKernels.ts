import { actWasmBase64 } from './actWasm';
import { adamWasmBase64 } from './adamWasm';
import { DenseKernel, type ActExports, type DenseExports } from './denseKernel';
import { denseWasmBase64 } from './denseWasm';
import { gemmWasmBase64 } from './gemmWasm';
import { instantiateKernel, type WasmMemory } from './instantiate';
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
  readonly matmul: MatmulKernel;
  readonly dense: DenseKernel;
  readonly kl: KlKernel;
  readonly posterior: PosteriorKernel;
}

let shared: WasmKernels | null | undefined;

/** The kernels, instantiated on first use; null when this runtime cannot compile them (no WebAssembly SIMD). */
export function wasmKernels(): WasmKernels | null {
  if (shared === undefined) shared = instantiateAll();
  return shared;
}

function instantiateAll(): WasmKernels | null {
  const gemm = instantiateKernel<GemmExports & { readonly memory: WasmMemory }>(gemmWasmBase64);
  if (!gemm) return null;
  const imports = { env: { memory: gemm.memory } };
  const dense = instantiateKernel<DenseExports>(denseWasmBase64, imports);
  const act = instantiateKernel<ActExports>(actWasmBase64, imports);
  const kl = instantiateKernel<KlExports>(klWasmBase64, imports);
  const posterior = PosteriorKernel.create();
  const adam = instantiateKernel<object>(adamWasmBase64);
  if (!dense || !act || !kl || !posterior || !adam) return null;
  const memory = new KernelMemory(gemm.memory);
  const matmul = new MatmulKernel(gemm, memory);
  return { memory, matmul, dense: new DenseKernel(gemm, dense, act, memory, matmul), kl: new KlKernel(kl, memory), posterior };
}
