import { describe, expect, it } from 'vitest';
import { hyperpriorPenalty } from './hyperpriorPenalty';

describe('hyperpriorPenalty', () => {
  it('λ·Σ(log σ − log target)², hand-worked', () => {
    // log σ = [log 0.1, log 0.2, log 0.05], target 0.1: differences [0, ln 2, −ln 2];
    // squares sum = 2·(ln 2)² = 2·0.4804530139 = 0.9609060278; ×λ = 1e-3 → 9.609060278e-4.
    const pen = hyperpriorPenalty([Math.log(0.1), Math.log(0.2), Math.log(0.05)], { hyperLambda: 1e-3, target: 0.1 });
    expect(pen).toBeCloseTo(9.609060278e-4, 12);
  });

  it('is 0 at the target, 0 for λ = 0 and for no layers; accepts Float32Array', () => {
    expect(hyperpriorPenalty([Math.log(0.1), Math.log(0.1)], { hyperLambda: 1e-2, target: 0.1 })).toBe(0);
    expect(hyperpriorPenalty([3, -3], { hyperLambda: 0, target: 0.1 })).toBe(0);
    expect(hyperpriorPenalty([], { hyperLambda: 1, target: 0.1 })).toBe(0);
    // log σ = 0 (σ = 1), target e⁻¹: (0 − (−1))² = 1 → λ = 0.5 gives 0.5.
    expect(hyperpriorPenalty(new Float32Array([0]), { hyperLambda: 0.5, target: Math.exp(-1) })).toBeCloseTo(0.5, 7);
  });

  it('NaN propagates; invalid options throw', () => {
    expect(hyperpriorPenalty([Number.NaN], { hyperLambda: 1e-3, target: 0.1 })).toBeNaN();
    expect(() => hyperpriorPenalty([0], { hyperLambda: 1e-3, target: 0 })).toThrow(RangeError);
    expect(() => hyperpriorPenalty([0], { hyperLambda: -1, target: 0.1 })).toThrow(RangeError);
  });
});
