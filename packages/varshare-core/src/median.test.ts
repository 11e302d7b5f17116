import { describe, expect, it } from 'vitest';
import { median, radixMedian } from './median';
import { Rng, deriveSeed } from './rng';

describe('median', () => {
  it('matches hand values and a sort-based reference', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(Number.isNaN(median([]))).toBe(true);
    const rng = new Rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.nextInt(200);
      const xs = Array.from({ length: n }, () => Math.round(rng.normal() * 5)); // many ties
      const s = [...xs].sort((a, b) => a - b);
      const ref = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
      expect(median(xs) + 0).toBe(ref + 0); // +0 folds −0 from Math.round
      // float32 input takes the radix path: the same answer on the same (float32) values
      const f = Float32Array.from(xs.map((x) => x * 0.37 - 1e-3));
      const fs = Array.from(f).sort((a, b) => a - b);
      const fref = n % 2 ? fs[(n - 1) / 2]! : (fs[n / 2 - 1]! + fs[n / 2]!) / 2;
      expect(median(f)).toBe(fref);
      expect(radixMedian(f)).toBe(fref);
      expect(median(Array.from(f))).toBe(fref);
    }
  });

  it('float32 radix path: signs, zeros, extremes, ties across buckets, NaN, and no change to the input', () => {
    const cases: number[][] = [
      [-3, -1, -2],
      [0, -0, 1, -1],
      [3.4e38, -3.4e38, 1e-45, -1e-45, 7],
      [Infinity, -Infinity, 2, 1],
      [1, 1.0000001, 1.0000002, 0.9999999],
    ];
    for (const c of cases) {
      const f = Float32Array.from(c);
      const before = Array.from(f);
      const s = Array.from(f).sort((a, b) => a - b);
      const n = s.length;
      const ref = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
      expect(radixMedian(f) + 0).toBe(ref + 0);
      expect(Array.from(f)).toEqual(before);
    }
    expect(Number.isNaN(radixMedian(Float32Array.from([1, Number.NaN, 2])))).toBe(true);
    // a subarray view (non-zero byteOffset) reads only its own values
    const big = Float32Array.from([100, 5, 1, 3, 100]);
    expect(radixMedian(big.subarray(1, 4))).toBe(3);
    // and median() takes the radix path for large float32 inputs
    const rng = new Rng(5);
    const large = Float32Array.from({ length: (1 << 17) + 1 }, () => rng.normal());
    expect(median(large)).toBe(median(Array.from(large)));
  });
});

describe('Rng', () => {
  it('is reproducible, restorable and roughly standard normal', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(Array.from({ length: 5 }, () => b.nextUint32()));
    a.normal();
    const st = a.getState();
    const next = [a.normal(), a.normal(), a.nextFloat()];
    const c = new Rng(0);
    c.setState(JSON.parse(JSON.stringify(st)));
    expect([c.normal(), c.normal(), c.nextFloat()]).toEqual(next);
    const r = new Rng(9);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.04);
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
  });
});
