import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation, radixMedian } from './median';
import { Rng } from './rng';

describe('median', () => {
  it('matches hand values and a sort-based reference', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(median(new Float32Array([0.5, -1, 10, 2, 7]))).toBe(2);
    expect(median([-0.3, -0.1])).toBeCloseTo(-0.2, 15);
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

describe('median: input, NaN, empty', () => {
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('NaN propagates on both paths, empty input is NaN, infinities are ordered', () => {
    expect(median([1, Number.NaN, 3])).toBeNaN();
    expect(median(Float32Array.from([Number.NaN, 1, 2, 3]))).toBeNaN();
    expect(median([])).toBeNaN();
    expect(median([Number.NEGATIVE_INFINITY, 0, Number.POSITIVE_INFINITY])).toBe(0);
  });

  it('agrees with a sort-based reference on pseudo-random data (fixed LCG)', () => {
    let s = 12345;
    const next = () => ((s = (1103515245 * s + 12345) % 2 ** 31) / 2 ** 31) * 10 - 5;
    for (let n = 1; n <= 40; n++) {
      const xs = Array.from({ length: n }, next);
      const sorted = [...xs].sort((a, b) => a - b);
      const ref = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      expect(median(xs)).toBe(ref);
    }
  });
});

describe('medianAbsoluteDeviation (unscaled)', () => {
  it('hand-worked', () => {
    // [1, 2, 3, 4, 10]: median 3, |x − 3| = [2, 1, 0, 1, 7] → sorted [0, 1, 1, 2, 7] → MAD = 1 (no 1.4826).
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 10])).toBe(1);
    // [1, 1, 1]: MAD 0.
    expect(medianAbsoluteDeviation([1, 1, 1])).toBe(0);
    // [0, 4]: median 2, deviations [2, 2] → 2.
    expect(medianAbsoluteDeviation([0, 4])).toBe(2);
    expect(medianAbsoluteDeviation([1, Number.NaN])).toBeNaN();
  });
});
