import { describe, expect, it } from 'vitest';
import { adamStepConstants, adamStepReference, addIntoReference, sumSquaresReference } from '../adamStep';
import { Rng } from '../rng';
import { AdamKernel } from './adamKernel';

describe('AdamKernel (adam.wat)', () => {
  it('steps bit-identically to adamStepReference and sums squares in sumSquaresReference’s order, for odd lengths', () => {
    const rng = new Rng(5);
    for (const n of [1, 3, 4, 9, 1001]) {
      const kernel = AdamKernel.create(4 * n)!;
      const [p, g, m, v] = [kernel.alloc(n), kernel.alloc(n), kernel.alloc(n), kernel.alloc(n)];
      expect(Array.from(m).every((x) => x === 0)).toBe(true);
      p.set(Float32Array.from({ length: n }, () => rng.normal()));
      const ref = { p: p.slice(), m: new Float32Array(n), v: new Float32Array(n) };
      for (let t = 1; t <= 4; t++) {
        g.set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(7) - 4)));
        expect(kernel.sumSquares(g)).toBe(sumSquaresReference(g));
        const k = adamStepConstants(1e-3, 0.9, 0.999, 1e-5, t, t === 2 ? 0.5 : 1);
        kernel.step(p, g, m, v, k);
        adamStepReference(ref.p, g, ref.m, ref.v, k);
      }
      expect(Array.from(p)).toEqual(Array.from(ref.p));
      expect(Array.from(m)).toEqual(Array.from(ref.m));
      expect(Array.from(v)).toEqual(Array.from(ref.v));
    }
    // an order the lanes tell apart from a running sum (see adamStep.test.ts): 1 + 2^−52, not 1
    const kernel = AdamKernel.create(6)!;
    const g = kernel.alloc(6);
    g.set([1, 2 ** -27, 0, 2 ** -27, 0, 2 ** -27]);
    expect(kernel.sumSquares(g)).toBe(1 + 2 ** -52);
  });

  it('adds a second term in float32 bit-identically to addIntoReference (Math.fround(g + x)) and returns its Σ x² and the new Σ g²', () => {
    const rng = new Rng(8);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 1001, 1002]) {
      const kernel = AdamKernel.create(2 * n)!;
      const [g, x] = [kernel.alloc(n), kernel.alloc(n)];
      g.set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4)));
      x.set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4)));
      const ref = g.slice();
      const want = addIntoReference(ref, x);
      // the reference is the float32 sum: check it against Math.fround on every element
      expect(Array.from(ref)).toEqual(Array.from(g, (v, i) => Math.fround(v + (x[i] as number))));
      expect(kernel.addInto(g, x)).toEqual(want);
      expect(want.added).toBe(sumSquaresReference(x));
      expect(want.total).toBe(sumSquaresReference(ref));
      expect(Array.from(g)).toEqual(Array.from(ref));
    }
    // the lanes' order, as for sumSquares: 1 + 2^−52 for both sums, not 1
    const k6 = AdamKernel.create(12)!;
    const [g6, x6] = [k6.alloc(6), k6.alloc(6)];
    x6.set([1, 2 ** -27, 0, 2 ** -27, 0, 2 ** -27]);
    expect(k6.addInto(g6, x6)).toEqual({ added: 1 + 2 ** -52, total: 1 + 2 ** -52 });
    const kernel = AdamKernel.create(4)!;
    expect(() => kernel.addInto(kernel.alloc(2), new Float32Array(2))).toThrow(/must come from alloc/);
    expect(() => kernel.addInto(kernel.alloc(1), kernel.alloc(1).subarray(0, 0))).toThrow(/different lengths/);
  });

  it('hands out disjoint views up to its size, and refuses arrays it did not hand out', () => {
    const kernel = AdamKernel.create(10)!;
    const a = kernel.alloc(4);
    const b = kernel.alloc(6);
    a.fill(1);
    expect(Array.from(b).every((x) => x === 0)).toBe(true);
    expect(() => kernel.alloc(1)).toThrow(/1 floats requested, 0 left/);
    expect(() => kernel.sumSquares(new Float32Array(4))).toThrow(/must come from alloc/);
    expect(() => kernel.step(a, new Float32Array(4), a, a, adamStepConstants(1e-3, 0.9, 0.999, 1e-5, 1, 1))).toThrow(/must come from alloc/);
  });
});
