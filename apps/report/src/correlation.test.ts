import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from './correlation';

describe('averageRanks', () => {
  it('gives tied values the mean of the ranks they span', () => {
    // sorted: 10 (rank 1), 20, 20 (ranks 2 and 3 → 2.5), 30 (rank 4)
    expect(averageRanks([20, 10, 30, 20])).toEqual([2.5, 1, 4, 2.5]);
    expect(averageRanks([5, 5, 5])).toEqual([2, 2, 2]);
    expect(averageRanks([])).toEqual([]);
  });
});

describe('pearson', () => {
  it('matches a hand-worked value', () => {
    // x = [1, 2, 3], y = [1, 3, 2]: means 2, 2; dx = [-1, 0, 1], dy = [-1, 1, 0]
    // sxy = 1 + 0 + 0 = 1, sxx = 2, syy = 2 → r = 1 / 2 = 0.5
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12);
  });
  it('matches a plain-loop reference', () => {
    const x = [0.3, 1.7, -2.2, 4.1, 0.9, 3.3];
    const y = [1.1, 0.2, -1.5, 2.8, 2.0, 1.9];
    const n = x.length;
    const mx = x.reduce((a, b) => a + b) / n;
    const my = y.reduce((a, b) => a + b) / n;
    let num = 0;
    let dx2 = 0;
    let dy2 = 0;
    for (let i = 0; i < n; i++) {
      num += (x[i]! - mx) * (y[i]! - my);
      dx2 += (x[i]! - mx) ** 2;
      dy2 += (y[i]! - my) ** 2;
    }
    expect(pearson(x, y)).toBeCloseTo(num / Math.sqrt(dx2 * dy2), 12);
  });
  it('is NaN for constant input, fewer than 2 points or a length mismatch', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(pearson([1, 2], [1, 2, 3])).toBeNaN();
  });
});

describe('spearman', () => {
  it('is ±1 for monotone relations, whatever their shape', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [10, 5, 1, 0.5])).toBeCloseTo(-1, 12);
  });
  it('handles ties like scipy.stats.spearmanr (hand-worked)', () => {
    // x = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4]; y = [1, 2, 3, 4] → ranks [1, 2, 3, 4]
    // means 2.5, 2.5; dx = [-1.5, 0, 0, 1.5], dy = [-1.5, -0.5, 0.5, 1.5]
    // sxy = 2.25 + 0 + 0 + 2.25 = 4.5, sxx = 4.5, syy = 5 → ρ = 4.5 / sqrt(22.5) = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 12);
  });
  it('is NaN with NaN input', () => {
    expect(spearman([1, Number.NaN, 3], [1, 2, 3])).toBeNaN();
  });
});
