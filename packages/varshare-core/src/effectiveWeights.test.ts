import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { effectiveWeights, sampledResidual } from './effectiveWeights';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('effectiveWeights, sampledResidual (references of W_m and the sampled φ_m)', () => {
  it('W_m = θ + φ_m per task, with φ = μ + σ⊙ε (hand-worked)', () => {
    const theta = tf.tensor2d([[1, 2]]);
    const mu = tf.tensor3d([[[0.1, -0.2]], [[0, 0.5]]]);
    const sigma = tf.tensor3d([[[0.5, 0.5]], [[2, 0.1]]]);
    const eps = tf.tensor3d([[[2, -1]], [[0.25, 10]]]);
    // φ_0 = [0.1 + 1, −0.2 − 0.5] = [1.1, −0.7]; φ_1 = [0 + 0.5, 0.5 + 1] = [0.5, 1.5]
    const phi = sampledResidual(mu, sigma, eps);
    expect(Array.from(phi.dataSync())).toEqual([expect.closeTo(1.1, 6), expect.closeTo(-0.7, 6), expect.closeTo(0.5, 6), expect.closeTo(1.5, 6)]);
    // W_0 = [2.1, 1.3], W_1 = [1.5, 3.5]
    const w = effectiveWeights(theta, phi);
    expect(w.shape).toEqual([2, 1, 2]);
    expect(Array.from(w.dataSync())).toEqual([expect.closeTo(2.1, 6), expect.closeTo(1.3, 6), expect.closeTo(1.5, 6), expect.closeTo(3.5, 6)]);
    // posterior-mean weights: θ + μ; shared weights: θ itself
    expect(Array.from(effectiveWeights(theta, mu).dataSync())).toEqual([expect.closeTo(1.1, 6), expect.closeTo(1.8, 6), 1, 2.5]);
    expect(effectiveWeights(theta, null)).toBe(theta);
    tf.dispose([theta, mu, sigma, eps, phi, w]);
  });
});
