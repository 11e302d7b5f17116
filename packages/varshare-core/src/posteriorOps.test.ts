import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { gaussianKl } from './gaussianKl';
import { SigmaCache, constantPriorKl, sampledParam, scalarPriorKl } from './posteriorOps';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('posterior ops (fused, closed-form gradients)', () => {
  const T = 3;
  const shape: [number, number, number] = [T, 4, 5];
  let mu: tf.Variable;
  let rho: tf.Variable;
  let eps: tf.Tensor;
  let cache: SigmaCache;
  beforeAll(() => {
    mu = tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', 1));
    rho = tf.variable(tf.randomNormal(shape, -2, 1.5, 'float32', 2));
    eps = tf.randomNormal(shape, 0, 1, 'float32', 3);
    cache = new SigmaCache(rho);
  });

  it('μ + softplus(ρ)⊙ε: value and gradients equal autodiff of the plain formula', () => {
    const w = tf.randomNormal(shape, 0, 1, 'float32', 4); // a random linear loss Σ w ⊙ param
    const fused = tf.variableGrads(() => tf.sum(tf.mul(w, sampledParam(mu, rho, eps, cache))) as tf.Scalar, [mu, rho]);
    const plain = tf.variableGrads(() => tf.sum(tf.mul(w, tf.add(mu, tf.mul(tf.softplus(rho), eps)))) as tf.Scalar, [mu, rho]);
    expect(Math.abs((fused.value.dataSync()[0] as number) - (plain.value.dataSync()[0] as number))).toBeLessThan(1e-5);
    // dL/dμ = w exactly; dL/dρ = w ε sigmoid(ρ)
    expect(maxAbs(fused.grads[mu.name] as tf.Tensor, w)).toBe(0);
    expect(maxAbs(fused.grads[rho.name] as tf.Tensor, plain.grads[rho.name] as tf.Tensor)).toBeLessThan(1e-6);
  });

  for (const sp of [1, 0.05, [0.5, 1, 2]] as const) {
    it(`KL per task under constant σ_prior ${JSON.stringify(sp)}: value and gradients equal autodiff of gaussianKl`, () => {
      const spT = () => (typeof sp === 'number' ? sp : tf.tensor3d([...sp], [T, 1, 1]));
      const fused = tf.variableGrads(() => tf.sum(tf.mul(tf.tensor1d([1, -2, 0.5]), constantPriorKl(mu, rho, sp, cache))) as tf.Scalar, [mu, rho]);
      const plain = tf.variableGrads(
        () => tf.sum(tf.mul(tf.tensor1d([1, -2, 0.5]), tf.sum(gaussianKl(mu, tf.softplus(rho), spT()), [1, 2]))) as tf.Scalar,
        [mu, rho],
      );
      const v = fused.value.dataSync()[0] as number;
      expect(Math.abs(v - (plain.value.dataSync()[0] as number))).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
      for (const x of [mu, rho]) {
        const g = plain.grads[x.name] as tf.Tensor;
        const scale = tf.max(tf.abs(g)).dataSync()[0] as number;
        expect(maxAbs(fused.grads[x.name] as tf.Tensor, g)).toBeLessThan(1e-5 * Math.max(1, scale));
      }
    });
  }

  for (const detach of [false, true]) {
    it(`KL under a learned scalar σ_prior = exp(v) (detach σ: ${detach}): value and gradients (μ, ρ, v) equal autodiff of gaussianKl`, () => {
      const v = tf.variable(tf.scalar(Math.log(0.3)));
      const weights = tf.tensor1d([1, -2, 0.5]);
      const fused = tf.variableGrads(() => {
        const kl = scalarPriorKl(mu, rho, tf.exp(v), detach, cache);
        expect(kl).not.toBeNull();
        return tf.sum(tf.mul(weights, kl as tf.Tensor1D)) as tf.Scalar;
      }, [mu, rho, v]);
      const plain = tf.variableGrads(
        () => tf.sum(tf.mul(weights, tf.sum(gaussianKl(mu, tf.softplus(rho), tf.exp(v), { detachSigmaForPrior: detach }), [1, 2]))) as tf.Scalar,
        [mu, rho, v],
      );
      const val = fused.value.dataSync()[0] as number;
      expect(Math.abs(val - (plain.value.dataSync()[0] as number))).toBeLessThan(1e-4 * Math.max(1, Math.abs(val)));
      for (const x of [mu, rho, v]) {
        const g = plain.grads[x.name] as tf.Tensor;
        const scale = tf.max(tf.abs(g)).dataSync()[0] as number;
        expect(maxAbs(fused.grads[x.name] as tf.Tensor, g), x.name).toBeLessThan(1e-5 * Math.max(1, scale));
      }
      // detaching σ changes only σ_prior's gradient
      expect(Math.abs((fused.grads[v.name] as tf.Tensor).dataSync()[0] as number)).toBeGreaterThan(0);
    });
  }

  it('KL is 0 when the posterior equals the prior (μ = 0, σ = σ_prior), per task', () => {
    // σ = softplus(ρ) = 0.5 ⇒ ρ = log(e^0.5 − 1); KL(N(0, 0.25) || N(0, 0.25)) = 0 for every entry.
    const m = tf.variable(tf.zeros([2, 3, 3]));
    const r = tf.variable(tf.fill([2, 3, 3], Math.log(Math.expm1(0.5))));
    const c = new SigmaCache(r);
    const kl = Array.from(constantPriorKl(m, r, 0.5, c).dataSync());
    kl.forEach((k) => expect(Math.abs(k)).toBeLessThan(1e-5));
    c.dispose();
  });

  it('the σ cache follows assignments to ρ', () => {
    const r = tf.variable(tf.zeros([1, 1, 2]));
    const c = new SigmaCache(r);
    expect(Array.from(c.sigma.dataSync())[0]).toBeCloseTo(Math.log(2), 6);
    r.assign(tf.tensor3d([[[5, -5]]]));
    const s = Array.from(c.sigma.dataSync());
    expect(s[0]).toBeCloseTo(Math.log1p(Math.exp(5)), 5);
    expect(s[1]).toBeCloseTo(Math.log1p(Math.exp(-5)), 6);
    expect(Array.from(c.dSigma.dataSync())[1]).toBeCloseTo(1 / (1 + Math.exp(5)), 6);
    c.dispose();
  });
});
