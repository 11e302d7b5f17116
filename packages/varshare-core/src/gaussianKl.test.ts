import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { gaussianKl } from './gaussianKl';
import { Rng } from './rng';
import { SigmaPrior } from './sigmaPrior';

beforeAll(async () => {
  await initBackend('wasm');
});

const klOf = (mu: number, sigma: number, sp: number): number =>
  tf.tidy(() => gaussianKl(tf.scalar(mu), tf.scalar(sigma), sp).dataSync()[0] as number);

describe('gaussianKl', () => {
  it('matches hand-worked values', () => {
    // μ=0, σ=1, σp=1: 0 − 0 + (1+0)/2 − ½ = 0
    expect(klOf(0, 1, 1)).toBeCloseTo(0, 6);
    // μ=1, σ=1, σp=1: (1+1)/2 − ½ = 0.5
    expect(klOf(1, 1, 1)).toBeCloseTo(0.5, 6);
    // μ=0.5, σ=0.1, σp=1: log(1/0.1) + (0.01+0.25)/2 − ½ = 2.302585 + 0.13 − 0.5 = 1.932585
    expect(klOf(0.5, 0.1, 1)).toBeCloseTo(1.932585, 5);
    // μ=0.02, σ=0.005, σp=0.01: log(2) + (2.5e-5 + 4e-4)/(2e-4) − ½ = 0.693147 + 2.125 − 0.5 = 2.318147
    expect(klOf(0.02, 0.005, 0.01)).toBeCloseTo(2.318147, 4);
  });

  it('is zero at μ = 0, σ = σ_prior for any σ_prior', () => {
    for (const sp of [0.01, 0.1, 0.3, 1, 3]) expect(Math.abs(klOf(0, sp, sp))).toBeLessThan(1e-6);
  });

  it('uses σ_prior in both the log term and the denominator', () => {
    // Only the log term: log(σp/σ) moves by log(0.1) when σp goes 1 → 0.1 at μ = 0, σ = σp.
    // With σ = 0.1: σp = 1 gives log 10 + 0.005 − 0.5; σp = 0.1 gives 0 + 0.5 − 0.5 = 0.
    expect(klOf(0, 0.1, 1)).toBeCloseTo(Math.log(10) + 0.005 - 0.5, 5);
    expect(klOf(0, 0.1, 0.1)).toBeCloseTo(0, 6);
    // The μ² term scales as 1/σp²: difference between μ=0.1 and μ=0 is μ²/(2σp²).
    expect(klOf(0.1, 0.1, 0.5) - klOf(0, 0.1, 0.5)).toBeCloseTo(0.01 / (2 * 0.25), 5);
    expect(klOf(0.1, 0.1, 0.05) - klOf(0, 0.1, 0.05)).toBeCloseTo(0.01 / (2 * 0.0025), 3);
  });

  it('agrees with a Monte-Carlo estimate', () => {
    const rng = new Rng(7);
    const [mu, sigma, sp] = [0.3, 0.2, 0.5];
    const n = 200_000;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const x = mu + sigma * rng.normal();
      const logq = -Math.log(sigma) - ((x - mu) ** 2) / (2 * sigma ** 2);
      const logp = -Math.log(sp) - (x ** 2) / (2 * sp ** 2);
      acc += logq - logp;
    }
    // closed form: log(2.5) + (0.04 + 0.09)/0.5 − 0.5 = 0.916291 + 0.26 − 0.5 = 0.676291
    expect(klOf(mu, sigma, sp)).toBeCloseTo(0.676291, 5);
    expect(Math.abs(acc / n - 0.676291)).toBeLessThan(0.01);
  });

  it('broadcasts a per-task σ_prior over [numTasks, rows, cols]', () => {
    const out = tf.tidy(() => {
      const mu = tf.zeros([2, 1, 3]);
      const sigma = tf.fill([2, 1, 3], 0.1);
      return Array.from(gaussianKl(mu, sigma, tf.tensor3d([0.1, 1], [2, 1, 1])).dataSync());
    });
    expect(out.slice(0, 3).every((v) => Math.abs(v) < 1e-6)).toBe(true);
    for (const v of out.slice(3)) expect(v).toBeCloseTo(Math.log(10) + 0.005 - 0.5, 5);
  });

  it('has gradients w.r.t. μ, ρ and log σ_prior that match finite differences', () => {
    const f = (mu: number, rho: number, logSp: number): number =>
      tf.tidy(() => gaussianKl(tf.scalar(mu), tf.softplus(tf.scalar(rho)), tf.exp(tf.scalar(logSp))).dataSync()[0] as number);
    const [mu0, rho0, ls0] = [0.3, -1.2, Math.log(0.4)];
    const grads = tf.tidy(() => {
      const g = tf.grads((m: tf.Tensor, r: tf.Tensor, l: tf.Tensor) => gaussianKl(m, tf.softplus(r), tf.exp(l)));
      return g([tf.scalar(mu0), tf.scalar(rho0), tf.scalar(ls0)]).map((t) => t.dataSync()[0] as number);
    });
    const h = 1e-2; // float32: central differences with a moderate step
    const fd = [
      (f(mu0 + h, rho0, ls0) - f(mu0 - h, rho0, ls0)) / (2 * h),
      (f(mu0, rho0 + h, ls0) - f(mu0, rho0 - h, ls0)) / (2 * h),
      (f(mu0, rho0, ls0 + h) - f(mu0, rho0, ls0 - h)) / (2 * h),
    ];
    // analytic: dKL/dμ = μ/σp² = 0.3/0.16 = 1.875
    expect(grads[0]).toBeCloseTo(1.875, 4);
    grads.forEach((g, i) => expect(Math.abs((g as number) - (fd[i] as number))).toBeLessThan(2e-3 * Math.max(1, Math.abs(g as number))));
  });

  it('detachSigmaForPrior removes σ² from the σ_prior gradient only', () => {
    const run = (detach: boolean) =>
      tf.tidy(() => {
        const g = tf.grads((m: tf.Tensor, s: tf.Tensor, l: tf.Tensor) =>
          gaussianKl(m, s, tf.exp(l), { detachSigmaForPrior: detach }),
        );
        return g([tf.scalar(0.2), tf.scalar(0.3), tf.scalar(Math.log(0.5))]).map((t) => t.dataSync()[0] as number);
      });
    const full = run(false);
    const detached = run(true);
    // d/dℓ with σp = e^ℓ: 1 − (σ²+μ²)/σp² = 1 − (0.09+0.04)/0.25 = 0.48; detached: 1 − 0.04/0.25 = 0.84
    expect(full[2]).toBeCloseTo(0.48, 5);
    expect(detached[2]).toBeCloseTo(0.84, 5);
    expect(detached[0]).toBeCloseTo(full[0] as number, 6);
    expect(detached[1]).toBeCloseTo(full[1] as number, 6);
    const value = (d: boolean) => tf.tidy(() => gaussianKl(tf.scalar(0.2), tf.scalar(0.3), 0.5, { detachSigmaForPrior: d }).dataSync()[0]);
    expect(value(true)).toBeCloseTo(value(false) as number, 6);
  });

  it('gives +∞ for σ = 0 and NaN for a NaN input (no silent finite value)', () => {
    expect(klOf(0, 0, 1)).toBe(Infinity);
    expect(Number.isNaN(klOf(Number.NaN, 0.1, 1))).toBe(true);
  });

  it('SigmaPrior is the one source: global, per task, learned per layer', () => {
    const g = SigmaPrior.global(0.01);
    expect(g.forLayer('actor.0', 3)).toBe(0.01);
    const pt = SigmaPrior.perTask([0.1, 0.2]);
    const v = pt.forLayer('x', 2) as tf.Tensor;
    expect(v.shape).toEqual([2, 1, 1]);
    expect(Array.from(v.dataSync())).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.2, 6)]);
    v.dispose();
    pt.setPerTask([0.3, 0.4]);
    expect(pt.getState()).toEqual({ kind: 'per-task', values: [0.3, 0.4] });
    expect(() => pt.forLayer('x', 3)).toThrow(/2 per-task values for 3 tasks/);
    expect(() => SigmaPrior.global(0)).toThrow(/sigmaPrior must be a finite number > 0/);
    const learned = SigmaPrior.learnedPerLayer(['a.0', 'a.1'], 0.1, true);
    expect(learned.trainableVariables()).toHaveLength(2);
    const s = learned.getState();
    expect(s.kind === 'learned-per-layer' && s.logSigma['a.0']).toBeCloseTo(Math.log(0.1), 6);
    learned.dispose();
  });
});
