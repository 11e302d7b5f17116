import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { applyActivation, denseLayer, fastTanh } from './denseLayer';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('denseLayer (reference of the dense layer: act(X_t W_t + b) per task)', () => {
  it('matches hand-worked values with per-task and with shared weights', () => {
    // task 0: x = [1, 2], W_0 = [[1], [1]] → 3 + b; task 1: x = [3, −1], W_1 = [[2], [0.5]] → 5.5 + b; b = −0.5
    const xg = tf.tensor3d([[[1, 2]], [[3, -1]]]);
    const w = tf.tensor3d([[[1], [1]], [[2], [0.5]]]);
    const b = tf.tensor1d([-0.5]);
    expect(Array.from(denseLayer(xg, w, b).dataSync())).toEqual([2.5, 5]);
    expect(Array.from(denseLayer(xg, w, b, 'relu').dataSync())).toEqual([2.5, 5]);
    expect(Array.from(denseLayer(xg, w, b, 'tanh').dataSync())).toEqual([expect.closeTo(Math.tanh(2.5), 6), expect.closeTo(Math.tanh(5), 6)]);
    // shared θ = [[1], [−1]] for both tasks: 1 − 2 − 0.5 = −1.5 and 3 + 1 − 0.5 = 3.5; relu → 0, 3.5
    const theta = tf.tensor2d([[1], [-1]]);
    expect(Array.from(denseLayer(xg, theta, b, 'relu').dataSync())).toEqual([0, 3.5]);
    tf.dispose([xg, w, b, theta]);
  });

  it('fastTanh equals tanh (values and gradient) to float32 precision, including large |x|', () => {
    const x = tf.tensor1d([-30, -3, -0.5, -1e-4, 0, 1e-4, 0.5, 3, 30]);
    expect(maxAbs(fastTanh(x), tf.tanh(x))).toBeLessThan(2e-7);
    expect(maxAbs(applyActivation(x, 'tanh'), tf.tanh(x))).toBeLessThan(2e-7);
    const g1 = tf.grad((v: tf.Tensor) => tf.sum(fastTanh(v)))(x);
    const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(v)))(x);
    expect(maxAbs(g1, g2)).toBeLessThan(1e-6);
    expect(Number.isNaN(fastTanh(tf.scalar(Number.NaN)).dataSync()[0])).toBe(true);
  });
});
