import type { AddedSums, AdamStepConstants } from '../adamStep';
import { adamWasmBase64 } from './adamWasm';
import { instantiateKernel, type WasmMemory } from './instantiate';

interface AdamExports {
  readonly memory: WasmMemory;
  adam(p: number, g: number, m: number, v: number, n: number, c1: number, b2: number, c2: number, negStep: number, bc2sqrt: number, eps: number, scale: number): void;
  sumsq(g: number, n: number): number;
  addsq(g: number, x: number, n: number, out: number): void;
}

/**
 * One optimizer's arrays (parameters, gradients, moments) in the memory of its own instance of
 * the Adam kernel (`adam.wat`, four float32 lanes), which computes `adamStepReference` bit for bit
 * and the gradients' Σ g² in `sumSquaresReference`'s order. The memory is sized once, so the views
 * {@link alloc} returns stay valid.
 */
export class AdamKernel {
  private next = 0;

  /** Byte offset of the two float64 sums {@link addInto} reads back, after the arrays (8-byte aligned). */
  private readonly sumsOffset: number;

  private constructor(
    private readonly x: AdamExports,
    private readonly floats: number,
  ) {
    this.sumsOffset = Math.ceil((4 * floats) / 8) * 8;
  }

  /**
   * A kernel instance with room for `floats` float32 values, or null when this runtime cannot
   * compile the kernel (no WebAssembly SIMD).
   */
  static create(floats: number): AdamKernel | null {
    if (!Number.isInteger(floats) || floats < 0) throw new Error(`AdamKernel.create: floats must be a non-negative integer, got ${floats}`);
    const x = instantiateKernel<AdamExports>(adamWasmBase64);
    if (!x) return null;
    const bytes = Math.ceil((4 * floats) / 8) * 8 + 16;
    if (bytes > x.memory.buffer.byteLength) x.memory.grow(Math.ceil((bytes - x.memory.buffer.byteLength) / 65536));
    return new AdamKernel(x, floats);
  }

  /** The next `n` floats of the memory, zero-initialised. */
  alloc(n: number): Float32Array {
    if (this.next + n > this.floats) throw new Error(`AdamKernel.alloc: ${n} floats requested, ${this.floats - this.next} left`);
    const a = new Float32Array(this.x.memory.buffer, this.next * 4, n);
    this.next += n;
    return a;
  }

  /** One Adam step in place on arrays from {@link alloc} (same length). */
  step(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: AdamStepConstants): void {
    // The kernel reads byte offsets of its own memory: an array from elsewhere would be misread.
    const buffer = this.x.memory.buffer;
    if (p.buffer !== buffer || g.buffer !== buffer || m.buffer !== buffer || v.buffer !== buffer) throw new Error('AdamKernel.step: arrays must come from alloc');
    if (g.length !== p.length || m.length !== p.length || v.length !== p.length) throw new Error('AdamKernel.step: arrays of different lengths');
    this.x.adam(p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, p.length, k.c1, k.b2, k.c2, k.negStep, k.bc2sqrt, k.eps, k.scale);
  }

  /**
   * g ← g + x in float32 for arrays from {@link alloc} (same length), in one pass that also gives
   * Σ x² and the new Σ g², each as {@link sumSquares} computes it.
   */
  addInto(g: Float32Array, x: Float32Array): AddedSums {
    const buffer = this.x.memory.buffer;
    if (g.buffer !== buffer || x.buffer !== buffer) throw new Error('AdamKernel.addInto: arrays must come from alloc');
    if (g.length !== x.length) throw new Error('AdamKernel.addInto: arrays of different lengths');
    this.x.addsq(g.byteOffset, x.byteOffset, g.length, this.sumsOffset);
    const sums = new Float64Array(buffer, this.sumsOffset, 2);
    return { added: sums[0] as number, total: sums[1] as number };
  }

  /** Σ g² of an array from {@link alloc}, float64. */
  sumSquares(g: Float32Array): number {
    if (g.buffer !== this.x.memory.buffer) throw new Error('AdamKernel.sumSquares: the array must come from alloc');
    return this.x.sumsq(g.byteOffset, g.length);
  }
}
