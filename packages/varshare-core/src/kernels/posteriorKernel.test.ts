import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../backend';
import { SigmaCache } from '../posteriorOps';
import { PosteriorKernel } from './posteriorKernel';
import { SimdGemm } from './simdGemm';
import { Rng } from '../rng';

beforeAll(async () => {
  await initBackend('wasm');
});

/** float64 values of what the kernel computes, ρ clamped at −87 as documented. */
function reference(rho: number) {
  const r = Math.max(rho, -87);
  const sigma = Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r)));
  return { sigma, dSigma: 1 / (1 + Math.exp(-r)), logSigma: Math.log(sigma) };
}

describe('PosteriorKernel (softplus, sigmoid, log σ in one SIMD pass)', () => {
  it('is within a few float32 ulp of float64 over ρ ∈ [−86, 30], at the branch points and for odd lengths', () => {
    const kernel = PosteriorKernel.get();
    expect(kernel).not.toBeNull();
    const grid = Array.from({ length: 50001 }, (_, i) => -86 + (116 * i) / 50000);
    const special = [-6.9067547786, -1e-8, 0, 1e-8, 15.9, 16.1, 17, 20, 87, 88, 1e-30, -1e-30, 0.5413];
    const rho = Float32Array.from([...grid, ...special]);
    const got = kernel!.compute(rho);
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
    const got = PosteriorKernel.get()!.compute(rho, true, 7);
    expect(got.logSigmaSums.length).toBe(3);
    for (let b = 0; b < 3; b++) {
      let ref = 0;
      for (let i = 7 * b; i < 7 * (b + 1); i++) ref += got.logSigma[i]!;
      expect(got.logSigmaSums[b]! / ref).toBeCloseTo(1, 9);
    }
    expect(() => PosteriorKernel.get()!.compute(rho, true, 5)).toThrow(/block 5 does not divide 21/);
  });

  it('clamps ρ below −87 and propagates NaN', () => {
    const got = PosteriorKernel.get()!.compute(Float32Array.from([-87, -200, Number.NaN]));
    expect(got.sigma[1]).toBe(got.sigma[0]);
    expect(got.sigma[0]).toBeGreaterThan(1e-38);
    expect(Number.isNaN(got.sigma[2])).toBe(true);
  });

  it('SigmaCache serves the kernel values, recomputes when ρ is assigned, and matches tfjs softplus', () => {
    const rho = tf.variable(tf.randomNormal([3, 7, 5], -4, 2, 'float32', 7));
    const cache = new SigmaCache(rho);
    const check = () => {
      const r = rho.dataSync();
      const parts = { sigma: cache.sigma, dSigma: cache.dSigma, logSigma: cache.logSigma };
      for (const [key, t] of Object.entries(parts)) {
        const v = t.dataSync();
        for (let i = 0; i < r.length; i++) {
          const ref = reference(r[i]!)[key as keyof ReturnType<typeof reference>];
          expect(Math.abs(v[i]! - ref)).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(ref)));
        }
      }
      // Σ log σ per task
      const logS = parts.logSigma.dataSync();
      cache.logSigmaSums.forEach((v, t) => {
        let ref = 0;
        for (let i = t * 35; i < (t + 1) * 35; i++) ref += logS[i]!;
        expect(v / ref).toBeCloseTo(1, 6);
      });
      const softplus = tf.softplus(rho);
      expect(tf.max(tf.abs(tf.sub(tf.div(cache.sigma, softplus), 1))).dataSync()[0]).toBeLessThan(1e-6);
      softplus.dispose();
    };
    check();
    const before = cache.sigma.dataSync()[0];
    rho.assign(tf.add(rho, 1));
    check();
    expect(cache.sigma.dataSync()[0]).not.toBe(before);
    cache.dispose();
  });
});

describe('SimdGemm.klForward / klBackward (the constant-prior KL on the kernel)', () => {
  it('equal the float64 formulas, per task, with a length that is not a multiple of 4', () => {
    const gemm = SimdGemm.get()!;
    const [T, size] = [3, 15];
    const rng = new Rng(9);
    const mu = Float32Array.from({ length: T * size }, () => rng.normal() * 0.3);
    const rho = Float32Array.from({ length: T * size }, () => -3 + rng.normal());
    const p = PosteriorKernel.get()!.compute(rho);
    const sigmaPrior = [0.5, 1, 2];
    const iv = sigmaPrior.map((s) => 1 / (s * s));
    const sums = gemm.klForward(mu, p.sigma, iv, T, size);
    const d = Float32Array.from([1, -2, 0.5]);
    const g = gemm.klBackward(mu, p.sigma, p.dSigma, d, iv, T, size);
    for (let t = 0; t < T; t++) {
      let ref = 0;
      let refMu = 0;
      for (let i = t * size; i < (t + 1) * size; i++) {
        const s = p.sigma[i]!;
        ref += ((s * s + mu[i]! * mu[i]!) * iv[t]!) / 2;
        refMu += (mu[i]! * mu[i]! * iv[t]!) / 2;
        expect(g.dMu[i]).toBeCloseTo(d[t]! * mu[i]! * iv[t]!, 6);
        expect(g.dRho[i]! / (d[t]! * (s * iv[t]! - 1 / s) * p.dSigma[i]!)).toBeCloseTo(1, 5);
      }
      expect(sums.quad[t]! / ref).toBeCloseTo(1, 6);
      expect(sums.muQuad[t]! / refMu).toBeCloseTo(1, 6);
    }
  });
});
