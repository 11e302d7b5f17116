import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { logSigmaPerTask, posteriorSigma, posteriorSigmaDerivative } from './posteriorSigma';

beforeAll(async () => {
  await initBackend('wasm');
});

const values = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describe('posteriorSigma, posteriorSigmaDerivative, logSigmaPerTask (references of σ, σ′, Σ log σ)', () => {
  it('match hand-worked values', () => {
    // softplus(0) = log 2 = 0.693147; softplus(log(e^0.5 − 1)) = 0.5; softplus(−4) = log1p(e^−4) = 0.018150
    const rho = tf.tensor1d([0, Math.log(Math.expm1(0.5)), -4]);
    const s = values(posteriorSigma(rho));
    expect(s[0]).toBeCloseTo(0.693147, 6);
    expect(s[1]).toBeCloseTo(0.5, 6);
    expect(s[2]).toBeCloseTo(0.01815, 5);
    // sigmoid(0) = ½; sigmoid(−4) = 1/(1 + e^4) = 0.017986
    const d = values(posteriorSigmaDerivative(rho));
    expect(d[0]).toBeCloseTo(0.5, 7);
    expect(d[2]).toBeCloseTo(0.017986, 6);
    rho.dispose();
  });

  it('σ′ is the gradient of σ', () => {
    const rho = tf.tensor1d([-6, -1, 0.3, 4]);
    const g = values(tf.grad((r: tf.Tensor) => tf.sum(posteriorSigma(r)))(rho));
    const d = values(posteriorSigmaDerivative(rho));
    g.forEach((v, i) => expect(v).toBeCloseTo(d[i]!, 6));
    rho.dispose();
  });

  it('sums log σ over each task’s entries', () => {
    // task 0: σ = 1, 1, e → Σ log σ = 1; task 1: σ = 0.5 ×3 → 3·log 0.5 = −2.079442
    const sigma = tf.tensor3d([1, 1, Math.E, 0.5, 0.5, 0.5], [2, 1, 3]);
    const sums = values(logSigmaPerTask(sigma));
    expect(sums[0]).toBeCloseTo(1, 6);
    expect(sums[1]).toBeCloseTo(-2.079442, 5);
    sigma.dispose();
  });
});
