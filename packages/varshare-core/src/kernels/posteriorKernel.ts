import { instantiateKernel, type WasmMemory } from './instantiate';
import { posteriorWasmBase64 } from './posteriorWasm';

interface PosteriorExports {
  readonly memory: WasmMemory;
  sigma(rho: number, out: number, n: number): void;
  lanes(): number;
}

/** σ = softplus(ρ) and what the posterior ops derive from it, element by element. */
export interface SigmaParts {
  /** softplus(ρ) */
  readonly sigma: Float32Array;
  /** dσ/dρ = sigmoid(ρ) */
  readonly dSigma: Float32Array;
  /** log σ */
  readonly logSigma: Float32Array;
  /** 1/σ */
  readonly invSigma: Float32Array;
}

/**
 * One pass over ρ on a WebAssembly SIMD kernel (`posterior.wat`) giving σ = softplus(ρ),
 * sigmoid(ρ), log σ and 1/σ — four transcendental maps that tfjs-wasm runs as separate kernels at
 * ~2–10 ns per element each (its Softplus alone is ~10 ns). exp and log are Cephes-style float32
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
   */
  compute(rho: Float32Array, copy = true): SigmaParts {
    const n = rho.length;
    const lanes = this.exports.lanes();
    const np = Math.ceil(n / lanes) * lanes;
    const floats = 5 * np;
    const mem = this.exports.memory;
    if (mem.buffer.byteLength < floats * 4) mem.grow(Math.ceil((floats * 4 - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer || this.f32.length * 4 !== mem.buffer.byteLength) this.f32 = new Float32Array(mem.buffer);
    const f32 = this.f32;
    f32.set(rho, 0);
    // Pad lanes get ρ = 0 (finite results, never read).
    f32.fill(0, n, np);
    this.exports.sigma(0, np * 4, np);
    const part = (k: number): Float32Array => {
      const view = f32.subarray(np * (1 + k), np * (1 + k) + n);
      return copy ? view.slice() : view;
    };
    return { sigma: part(0), dSigma: part(1), logSigma: part(2), invSigma: part(3) };
  }
}
