import { instantiateKernel, type WasmMemory } from './instantiate';
import { posteriorWasmBase64 } from './posteriorWasm';

interface PosteriorExports {
  readonly memory: WasmMemory;
  sigma(rho: number, out: number, n: number): void;
  lanes(): number;
  blocksums(src: number, n: number, block: number, out: number): void;
}

/** σ = softplus(ρ) and what the posterior ops derive from it, element by element. */
export interface SigmaParts {
  /** softplus(ρ) */
  readonly sigma: Float32Array;
  /** dσ/dρ = sigmoid(ρ) */
  readonly dSigma: Float32Array;
  /** log σ */
  readonly logSigma: Float32Array;
  /** Σ log σ over each consecutive block of `block` entries (float64), e.g. per task. */
  readonly logSigmaSums: Float64Array;
}

/**
 * One pass over ρ on a WebAssembly SIMD kernel (`posterior.wat`) giving σ = softplus(ρ),
 * sigmoid(ρ) and log σ (with its sums per block, e.g. per task, for the KL) — transcendental maps
 * that tfjs-wasm runs as separate kernels at ~2–10 ns per element each (its Softplus alone is ~10 ns). exp and log are Cephes-style float32
 * polynomials; results are within a few float32 ulp of the float64 values (tested), and ρ below
 * −87 is treated as −87 (σ ≥ 1.6e−38).
 */
export class PosteriorKernel {
  private static shared: PosteriorKernel | null | undefined;
  private f32: Float32Array;

  private constructor(private readonly exports: PosteriorExports) {
    this.f32 = new Float32Array(exports.memory.buffer);
  }

  /** The process-wide instance, or null when this runtime has no WebAssembly SIMD. */
  static get(): PosteriorKernel | null {
    if (PosteriorKernel.shared === undefined) {
      const exports = instantiateKernel<PosteriorExports>(posteriorWasmBase64);
      PosteriorKernel.shared = exports ? new PosteriorKernel(exports) : null;
    }
    return PosteriorKernel.shared;
  }

  /**
   * @param rho ρ values
   * @param copy when false the returned arrays are views of the kernel's memory, valid until the
   *   next call (for callers that copy them at once, e.g. into tensors on the wasm backend)
   * @param block block length of `logSigmaSums` (must divide `rho.length`); defaults to all of ρ
   */
  compute(rho: Float32Array, copy = true, block = rho.length): SigmaParts {
    const n = rho.length;
    if (!Number.isInteger(block) || block < 1 || n % block !== 0) throw new Error(`PosteriorKernel.compute: block ${block} does not divide ${n} values`);
    const lanes = this.exports.lanes();
    const np = Math.ceil(n / lanes) * lanes;
    const sumsOff = 4 * np; // floats; even, so 8-byte aligned for the float64 sums
    const bytes = 4 * (sumsOff + 2 * (n / block));
    const mem = this.exports.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer || this.f32.length * 4 !== mem.buffer.byteLength) this.f32 = new Float32Array(mem.buffer);
    const f32 = this.f32;
    f32.set(rho, 0);
    // Pad lanes get ρ = 0 (finite results, never read).
    f32.fill(0, n, np);
    this.exports.sigma(0, np * 4, np);
    this.exports.blocksums(np * 3 * 4, n, block, sumsOff * 4);
    const part = (k: number): Float32Array => {
      const view = f32.subarray(np * (1 + k), np * (1 + k) + n);
      return copy ? view.slice() : view;
    };
    const sums = new Float64Array(mem.buffer, sumsOff * 4, n / block);
    return { sigma: part(0), dSigma: part(1), logSigma: part(2), logSigmaSums: copy ? sums.slice() : sums };
  }
}
