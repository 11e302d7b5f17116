import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { wasmKernels } from './wasmKernels';

describe('KlKernel (kl.wat: the KL of a constant or scalar prior on the shared kernel memory)', () => {
  it('forward and backward equal the float64 formulas, per task, with a length that is not a multiple of 4', () => {
    const k = wasmKernels()!;
    const [T, size] = [3, 15];
    const rng = new Rng(9);
    const mu = Float32Array.from({ length: T * size }, () => rng.normal() * 0.3);
    const rho = Float32Array.from({ length: T * size }, () => -3 + rng.normal());
    const p = k.posterior.compute(rho);
    const sigmaPrior = [0.5, 1, 2];
    const iv = sigmaPrior.map((s) => 1 / (s * s));
    const sums = k.kl.forward(mu, p.sigma, iv, T, size);
    const d = Float32Array.from([1, -2, 0.5]);
    const g = k.kl.backward(mu, p.sigma, p.dSigma, d, iv, T, size);
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

  it('a resident operand gives the same result as the array it holds; sizes are checked', () => {
    const k = wasmKernels()!;
    const mu = Float32Array.from({ length: 2 * 6 }, (_, i) => Math.sin(i));
    const sigma = Float32Array.from({ length: 2 * 6 }, (_, i) => 0.1 + 0.01 * i);
    const r = k.memory.resident(mu.length);
    k.memory.write(r, mu);
    expect(k.kl.forward(r, sigma, [1, 4], 2, 6)).toEqual(k.kl.forward(mu, sigma, [1, 4], 2, 6));
    k.memory.release(r);
    expect(() => k.kl.forward(r, sigma, [1, 4], 2, 6)).toThrow(/released resident buffer/);
    expect(() => k.kl.forward(mu, sigma, [1, 4, 9], 2, 6)).toThrow(/3 prior variances for 2 tasks/);
    expect(() => k.kl.backward(mu, sigma, sigma, new Float32Array(3), [1, 4], 2, 6)).toThrow(/d has 3 values, expected T = 2/);
  });
});
