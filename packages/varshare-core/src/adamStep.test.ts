import { describe, expect, it } from 'vitest';
import { SUM_SQUARES_BLOCK, adamStepConstants, adamStepReference, sumSquaresReference } from './adamStep';

describe('adamStepReference, adamStepConstants, sumSquaresReference (reference of the Adam step)', () => {
  it('first step moves each entry by −lr·g/(|g| + ε) (m̂ = g, v̂ = g²), in float32', () => {
    const p = Float32Array.from([1, -2, 0.5]);
    const g = Float32Array.from([0.3, -1, 0]);
    const [m, v] = [new Float32Array(3), new Float32Array(3)];
    adamStepReference(p, g, m, v, adamStepConstants(0.01, 0.9, 0.999, 1e-5, 1, 1));
    expect(p[0]).toBeCloseTo(1 - 0.01 * (0.3 / 0.30001), 6);
    expect(p[1]).toBeCloseTo(-2 + 0.01 * (1 / 1.00001), 6);
    expect(p[2]).toBe(0.5);
    // m = 0.1·g, v = 0.001·g², rounded to float32
    const f = Math.fround;
    expect(Array.from(m)).toEqual([f(f(0.1) * f(0.3)), f(-0.1), 0]);
    expect(v[1]).toBe(f(f(0.001) * 1));
  });

  it('clip scale multiplies the gradient first; the constants are float32 and bias-corrected', () => {
    const k = adamStepConstants(0.1, 0.9, 0.999, 1e-8, 2, 0.5);
    expect(k.negStep).toBe(Math.fround(-0.1 / (1 - 0.81)));
    expect(k.bc2sqrt).toBe(Math.fround(Math.sqrt(1 - 0.999 ** 2)));
    expect(k.c1).toBe(Math.fround(0.1));
    const [a, b] = [Float32Array.from([1]), Float32Array.from([1])];
    const [ma, va, mb, vb] = [new Float32Array(1), new Float32Array(1), new Float32Array(1), new Float32Array(1)];
    adamStepReference(a, Float32Array.from([4]), ma, va, k);
    adamStepReference(b, Float32Array.from([2]), mb, vb, { ...k, scale: 1 });
    expect([a[0], ma[0], va[0]]).toEqual([b[0], mb[0], vb[0]]);
  });

  it('Σ g² sums even and odd entries apart, then adds them (and a last odd entry)', () => {
    expect(sumSquaresReference(Float32Array.from([3, 0, 4]))).toBe(25);
    expect(sumSquaresReference(new Float32Array(0))).toBe(0);
    // Squares 1, 2^−54 (three odd entries), 0: summed in order each 2^−54 is lost against 1, but the
    // odd lane first collects 3·2^−54, which rounds 1 + 3·2^−54 up to 1 + 2^−52.
    const tiny = 2 ** -27;
    expect(sumSquaresReference(Float32Array.from([1, tiny, 0, tiny, 0, tiny]))).toBe(1 + 2 ** -52);
  });

  it('Σ g² of a longer array is its blocks’ sums added in block order (a last short block; the lanes restart per block)', () => {
    const B = SUM_SQUARES_BLOCK;
    expect(B % 2).toBe(0);
    // 1 at the start of block 0, then 2^−54 squares at odd entries: within one lane they round
    // 1 + 3·2^−54 up to 1 + 2^−52; blocks 1 and 2 sum on their own (1 and 2^-54 + 2^-54 + 2^-54)
    const tiny = 2 ** -27;
    const g = new Float32Array(2 * B + 5);
    g.set([1, tiny, 0, tiny, 0, tiny]);
    g[B] = 1;
    g.set([tiny, tiny, tiny], 2 * B + 1);
    const block = (a: number, b: number) => sumSquaresReference(g.subarray(a, b));
    expect(sumSquaresReference(g)).toBe(0 + block(0, B) + block(B, 2 * B) + block(2 * B, 2 * B + 5));
    expect(block(0, B)).toBe(1 + 2 ** -52);
    expect(block(2 * B, 2 * B + 5)).toBe(3 * 2 ** -54);
    // one running pair of lanes over the whole array would give another number
    let even = 0;
    let odd = 0;
    for (let i = 0; i + 1 < g.length; i += 2) {
      even += (g[i] as number) ** 2;
      odd += (g[i + 1] as number) ** 2;
    }
    expect(even + odd + (g[g.length - 1] as number) ** 2).not.toBe(sumSquaresReference(g));
  });
});
