import { describe, expect, it } from 'vitest';
import { betaSchedule } from './betaSchedule';

// T = 1000, β1 = 0.01, β2 = 2β1 = 0.02, T_warm = 100, T_ramp_start = 800.
const params = { beta1: 0.01, beta2: 0.02, warmFrac: 0.1, rampStartFrac: 0.8 };
const T = 1000;

/** Plain piecewise reference written straight from the spec's three phase formulas. */
function reference(t: number): number {
  if (t <= 100) return 0.01 * (t / 100);
  if (t <= 800) return 0.01;
  return 0.01 + (0.02 - 0.01) * ((t - 800) / (1000 - 800));
}

describe('betaSchedule', () => {
  it.each([
    [0, 0], //                     warm-up start: 0.01·0/100
    [50, 0.005], //                0.05T: 0.01·50/100
    [100, 0.01], //                0.1T: end of warm-up, β1
    [500, 0.01], //                0.5T: hold
    [800, 0.01], //                0.8T: last hold point (phase B is (T_warm, T_ramp_start])
    [900, 0.015], //               0.9T: 0.01 + 0.01·100/200
    [1000, 0.02], //               T: β2
  ])('β(%d) = %f for T = 1000, β1 = 0.01', (t, expected) => {
    expect(betaSchedule(t, T, params)).toBeCloseTo(expected, 12);
  });

  it('matches the plain piecewise reference on every update and is monotone non-decreasing', () => {
    let prev = -Infinity;
    for (let t = 0; t <= T; t++) {
      const b = betaSchedule(t, T, params);
      expect(b).toBeCloseTo(reference(t), 12);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
  });

  it('is continuous at the phase boundaries', () => {
    // Just past T_warm the hold value; just past T_ramp_start barely above β1: 0.01 + 0.01·0.001/200.
    expect(betaSchedule(100.001, T, params)).toBe(0.01);
    expect(betaSchedule(800.001, T, params)).toBeCloseTo(0.01 + 0.01 * (0.001 / 200), 15);
  });

  it('clamps t > T to β2 and handles empty phases without dividing by zero', () => {
    expect(betaSchedule(5000, T, params)).toBeCloseTo(0.02, 12);
    // warmFrac = 0: no warm-up, β1 from t = 0.
    expect(betaSchedule(0, T, { ...params, warmFrac: 0 })).toBe(0.01);
    // rampStartFrac = 1: no ramp, β1 up to and beyond T.
    expect(betaSchedule(1000, T, { ...params, rampStartFrac: 1 })).toBe(0.01);
    expect(betaSchedule(2000, T, { ...params, rampStartFrac: 1 })).toBe(0.01);
    // warmFrac = rampStartFrac = 0.5: warm-up straight into the ramp. t = 750 → 0.01 + 0.01·250/500.
    expect(betaSchedule(750, T, { ...params, warmFrac: 0.5, rampStartFrac: 0.5 })).toBeCloseTo(0.015, 12);
  });

  it('works for non-integer T_warm (T = 7: T_warm = 0.7, T_ramp_start = 5.6)', () => {
    // t = 0.35 → 0.01·0.35/0.7 = 0.005; t = 6 → 0.01 + 0.01·(6 − 5.6)/(7 − 5.6) = 0.01 + 0.01·0.2857142857
    expect(betaSchedule(0.35, 7, params)).toBeCloseTo(0.005, 12);
    expect(betaSchedule(6, 7, params)).toBeCloseTo(0.012857142857142857, 12);
  });

  it('rejects negative or non-finite t and non-positive T', () => {
    expect(() => betaSchedule(-1, T, params)).toThrow(/t must be/);
    expect(() => betaSchedule(Number.NaN, T, params)).toThrow(/t must be/);
    expect(() => betaSchedule(0, 0, params)).toThrow(/T must be/);
    expect(() => betaSchedule(0, Number.POSITIVE_INFINITY, params)).toThrow(/T must be/);
  });
});
