import { describe, expect, it } from 'vitest';
import { median } from './median';
import { noiseToWeightRatio } from './noiseToWeightRatio';

describe('noiseToWeightRatio', () => {
  it('R_raw = median σ / (median |θ| + ε), hand-worked', () => {
    // σ_all = [0.01, 0.02, 0.03] → 0.02; |θ| = [0.1, 0.2, 0.3, 0.4] → 0.25; R = 0.02/(0.25 + 1e-8) ≈ 0.08.
    const sigmaMed = median([0.01, 0.02, 0.03]);
    const thetaMed = median([-0.1, 0.2, -0.3, 0.4].map(Math.abs));
    expect(noiseToWeightRatio(sigmaMed, thetaMed, 1e-8)).toBeCloseTo(0.02 / 0.25000001, 15);
    expect(noiseToWeightRatio(0.02, 0.25)).toBeCloseTo(0.08, 7); // default ε = 1e-8
  });

  it('ε keeps R finite when every θ is 0; NaN propagates; negatives are rejected', () => {
    expect(noiseToWeightRatio(0.01, 0, 1e-8)).toBeCloseTo(1e6, 3);
    expect(noiseToWeightRatio(Number.NaN, 0.1)).toBeNaN();
    expect(() => noiseToWeightRatio(-0.1, 0.1)).toThrow(RangeError);
    expect(() => noiseToWeightRatio(0.1, -0.1)).toThrow(RangeError);
  });
});
