import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@varshare/core';
import { categoricalLogProbEntropy, gaussianLogProbEntropy, sampleCategorical, sampleGaussian } from './distributions';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('distributions', () => {
  it('categorical: sampling frequencies follow softmax, log-probs agree with tf', () => {
    const logits = Float32Array.of(Math.log(0.2), Math.log(0.8));
    const rng = new Rng(1);
    let ones = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) ones += sampleCategorical(logits, 1, 2, rng, false).actions[0] as number;
    expect(Math.abs(ones / n - 0.8)).toBeLessThan(0.01);
    const { actions, logProbs } = sampleCategorical(Float32Array.of(1, 2, 0.5, 0.1, 3, -1), 2, 3, rng, true);
    expect(Array.from(actions)).toEqual([1, 1]);
    const tfOut = tf.tidy(() => Array.from(categoricalLogProbEntropy(tf.tensor2d([[1, 2, 0.5], [0.1, 3, -1]]), tf.tensor1d([1, 1], 'int32')).logProb.dataSync()));
    tfOut.forEach((v, i) => expect(v).toBeCloseTo(logProbs[i] as number, 5));
    // entropy of a uniform 2-way categorical is log 2
    const ent = tf.tidy(() => categoricalLogProbEntropy(tf.tensor2d([[0, 0]]), tf.tensor1d([0], 'int32')).entropy.dataSync()[0]);
    expect(ent).toBeCloseTo(Math.log(2), 6);
  });

  it('gaussian: log-probs and entropy agree with the closed form', () => {
    const rng = new Rng(2);
    const { actions, logProbs } = sampleGaussian(Float32Array.of(0.5, -1), Float32Array.of(Math.log(0.3), 0), 1, 2, rng, false);
    const a0 = actions[0] as number;
    const a1 = actions[1] as number;
    const expected = -0.5 * ((a0 - 0.5) / 0.3) ** 2 - Math.log(0.3) - 0.5 * ((a1 + 1) / 1) ** 2 - Math.log(2 * Math.PI);
    expect(logProbs[0]).toBeCloseTo(expected, 4);
    const tfOut = tf.tidy(() => {
      const r = gaussianLogProbEntropy(tf.tensor2d([[0.5, -1]]), tf.tensor2d([[Math.log(0.3), 0]]), tf.tensor2d([[a0, a1]]));
      return [r.logProb.dataSync()[0] as number, r.entropy.dataSync()[0] as number];
    });
    expect(tfOut[0]).toBeCloseTo(expected, 4);
    // entropy = Σ (log σ + ½ log(2πe))
    expect(tfOut[1]).toBeCloseTo(Math.log(0.3) + Math.log(2 * Math.PI * Math.E), 4);
    const greedy = sampleGaussian(Float32Array.of(0.5, -1), Float32Array.of(0, 0), 1, 2, rng, true);
    expect(Array.from(greedy.actions)).toEqual([0.5, -1]);
  });
});
