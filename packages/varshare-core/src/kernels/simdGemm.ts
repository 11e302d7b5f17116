import { gemmWasmBase64 } from './gemmWasm';
import { instantiateKernel, type WasmMemory } from './instantiate';

interface GemmExports {
  readonly memory: WasmMemory;
  bgemm(a: number, b: number, c: number, T: number, n: number, k: number, m: number): void;
  copy2d(src: number, dst: number, T: number, rows: number, cols: number, sRow: number, sCol: number, sBatch: number, dRow: number, dBatch: number): void;
}

const ceilTo = (x: number, q: number): number => Math.ceil(x / q) * q;

/**
 * Batched float32 matrix products on a small hand-written WebAssembly SIMD kernel (`gemm.wat`):
 * C_t = op(A_t) · op(B_t) for t < T, op(A_t) `[n, k]`, op(B_t) `[k, m]`, where op is the identity
 * or, when the operand is flagged transposed, the transpose of how it is stored (A_t stored
 * `[k, n]`, B_t stored `[m, k]`). Operands are copied (and transposed, and padded to the kernel's
 * 4-row × 8-column tile) into the kernel's own memory, so inputs may be views of another wasm heap.
 *
 * Each output entry is Σ_p a[i,p]·b[p,j] accumulated in increasing p in float32, one rounding per
 * multiply and per add, so results do not depend on T, on padding or on the other rows.
 *
 * The tfjs-wasm batched matmul runs a generic loop (2–4 GFLOP/s measured); this kernel is what the
 * VarShare layers' per-task products use on that backend (see `groupedMatMul`).
 */
export class SimdGemm {
  private static shared: SimdGemm | null | undefined;
  private readonly exports: GemmExports;
  private f32: Float32Array;

  private constructor(exports: GemmExports) {
    this.exports = exports;
    this.f32 = new Float32Array(exports.memory.buffer);
  }

  /** The process-wide instance, or null when this runtime has no WebAssembly SIMD. */
  static get(): SimdGemm | null {
    if (SimdGemm.shared === undefined) {
      const exports = instantiateKernel<GemmExports>(gemmWasmBase64);
      SimdGemm.shared = exports ? new SimdGemm(exports) : null;
    }
    return SimdGemm.shared;
  }

  /** Makes the kernel memory at least `floats` float32 long. */
  private reserve(floats: number): Float32Array {
    const bytes = floats * 4;
    const mem = this.exports.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer || this.f32.length * 4 !== mem.buffer.byteLength) this.f32 = new Float32Array(mem.buffer);
    return this.f32;
  }

  /**
   * C = op(A) · op(B), batched over T.
   * @param a T blocks, each `[n, k]` (or `[k, n]` when `transA`)
   * @param b T blocks, each `[k, m]` (or `[m, k]` when `transB`)
   * @returns a new array with T blocks `[n, m]`
   */
  bmm(a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, T: number, n: number, k: number, m: number): Float32Array {
    for (const [field, v] of [['T', T], ['n', n], ['k', k], ['m', m]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`SimdGemm.bmm: ${field} must be a positive integer, got ${v}`);
    }
    if (a.length !== T * n * k) throw new Error(`SimdGemm.bmm: a has ${a.length} values, expected T·n·k = ${T * n * k}`);
    if (b.length !== T * k * m) throw new Error(`SimdGemm.bmm: b has ${b.length} values, expected T·k·m = ${T * k * m}`);
    const np = ceilTo(n, 4);
    const mp = ceilTo(m, 8);
    const packA = transA || np !== n;
    const packB = transB || mp !== m;
    const unpackC = np !== n || mp !== m;
    // Regions (floats): raw A, raw B, packed A, packed B, C, unpadded C.
    const aRaw = 0;
    const bRaw = aRaw + T * n * k;
    const aPack = bRaw + T * k * m;
    const bPack = aPack + (packA ? T * np * k : 0);
    const cOff = bPack + (packB ? T * k * mp : 0);
    const outOff = cOff + T * np * mp;
    const mem = this.reserve(outOff + (unpackC ? T * n * m : 0));
    const x = this.exports;
    mem.set(a, aRaw);
    mem.set(b, bRaw);
    // Pad rows/columns are left as they are: they only reach C's pad rows/columns, never read.
    // op(A)[i, p] is raw[p·n + i] when transposed, raw[i·k + p] otherwise; likewise for B.
    if (packA) x.copy2d(aRaw * 4, aPack * 4, T, n, k, transA ? 1 : k, transA ? n : 1, n * k, k, np * k);
    if (packB) x.copy2d(bRaw * 4, bPack * 4, T, k, m, transB ? 1 : m, transB ? k : 1, k * m, mp, k * mp);
    x.bgemm((packA ? aPack : aRaw) * 4, (packB ? bPack : bRaw) * 4, cOff * 4, T, np, k, mp);
    if (!unpackC) return mem.slice(cOff, cOff + T * n * m);
    x.copy2d(cOff * 4, outOff * 4, T, n, m, mp, 1, np * mp, m, n * m);
    return mem.slice(outOff, outOff + T * n * m);
  }
}
