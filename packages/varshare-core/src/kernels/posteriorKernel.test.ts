import { describe, expect, it } from 'vitest';
import { PosteriorKernel } from './posteriorKernel';
import { wasmKernels } from './wasmKernels';

const kernel = (): PosteriorKernel => wasmKernels()!.posterior;

/** float64 values of what the kernel computes, ρ clamped at −87 as documented. */
function reference(rho: number) {
  const r = Math.max(rho, -87);
  const sigma = Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r)));
  return { sigma, dSigma: 1 / (1 + Math.exp(-r)), logSigma: Math.log(sigma) };
}

describe('PosteriorKernel (softplus, sigmoid, log σ in one SIMD pass)', () => {
  it('is within a few float32 ulp of float64 over ρ ∈ [−86, 30], at the branch points and for odd lengths', () => {
    expect(wasmKernels()).not.toBeNull();
    const grid = Array.from({ length: 50001 }, (_, i) => -86 + (116 * i) / 50000);
    const special = [-6.9067547786, -1e-8, 0, 1e-8, 15.9, 16.1, 17, 20, 87, 88, 1e-30, -1e-30, 0.5413];
    const rho = Float32Array.from([...grid, ...special]);
    const got = kernel().compute(rho);
    const worst = { sigma: 0, dSigma: 0, logSigma: 0 };
    for (let i = 0; i < rho.length; i++) {
      const ref = reference(rho[i]!);
      for (const key of ['sigma', 'dSigma'] as const) {
        worst[key] = Math.max(worst[key], Math.abs(got[key][i]! - ref[key]) / Math.abs(ref[key]));
      }
      // log σ crosses 0 (σ = 1 at ρ ≈ 0.5413): absolute error there, relative where |log σ| > 1
      worst.logSigma = Math.max(worst.logSigma, Math.abs(got.logSigma[i]! - ref.logSigma) / Math.max(1, Math.abs(ref.logSigma)));
    }
    // float32 ulp is 2^-23 ≈ 1.19e-7 relative: a few ulp
    expect(worst.sigma).toBeLessThan(4e-7);
    expect(worst.dSigma).toBeLessThan(4e-7);
    expect(worst.logSigma).toBeLessThan(4e-7);
    for (const key of ['sigma', 'dSigma', 'logSigma'] as const) expect(got[key].length).toBe(rho.length);
    // one block by default: Σ log σ over everything, in float64
    let sum = 0;
    for (const v of got.logSigma) sum += v;
    expect(got.logSigmaSums.length).toBe(1);
    expect(got.logSigmaSums[0]! / sum).toBeCloseTo(1, 9);
  });

  it('sums log σ per block (per task) in float64, blocks of any length', () => {
    const rho = Float32Array.from({ length: 3 * 7 }, (_, i) => -5 + 0.3 * i);
    const got = kernel().compute(rho, 7);
    expect(got.logSigmaSums.length).toBe(3);
    for (let b = 0; b < 3; b++) {
      let ref = 0;
      for (let i = 7 * b; i < 7 * (b + 1); i++) ref += got.logSigma[i]!;
      expect(got.logSigmaSums[b]! / ref).toBeCloseTo(1, 9);
    }
    expect(() => kernel().compute(rho, 5)).toThrow(/block 5 does not divide 21/);
  });

  it('clamps ρ below −87 and propagates NaN', () => {
    const got = kernel().compute(Float32Array.from([-87, -200, Number.NaN]));
    expect(got.sigma[1]).toBe(got.sigma[0]);
    expect(got.sigma[0]).toBeGreaterThan(1e-38);
    expect(Number.isNaN(got.sigma[2])).toBe(true);
  });
});
