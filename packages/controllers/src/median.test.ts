import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation } from './median';

describe('median', () => {
  it('odd and even lengths, unsorted input, typed arrays', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5); // (2 + 3)/2
    expect(median(new Float32Array([0.5, -1, 10, 2, 7]))).toBe(2);
    expect(median([42])).toBe(42);
    expect(median([-0.3, -0.1])).toBeCloseTo(-0.2, 15);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('NaN propagates, empty input throws, infinities are ordered', () => {
    expect(median([1, Number.NaN, 3])).toBeNaN();
    expect(() => median([])).toThrow(RangeError);
    expect(median([Number.NEGATIVE_INFINITY, 0, Number.POSITIVE_INFINITY])).toBe(0);
  });

  it('agrees with a sort-based reference on pseudo-random data (fixed LCG, no Math.random)', () => {
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
  });
});
