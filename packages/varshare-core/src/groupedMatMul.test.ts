import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { groupedMatMul } from './groupedMatMul';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

describe('groupedMatMul', () => {
  it('equals the batched matmul, values and both gradients, for blocks large enough to split (wasm)', () => {
    const [T, n, k, m] = [3, 16, 160, 130]; // n·k·m = 332800 ≥ 2¹⁸ ⇒ split path
    const a = tf.randomNormal([T, n, k], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([T, k, m], 0, 0.1, 'float32', 2) as tf.Tensor3D;
    const w = tf.randomNormal([T, n, m], 0, 1, 'float32', 3);
    expect(maxAbs(groupedMatMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-4);
    const loss = (f: (x: tf.Tensor3D, y: tf.Tensor3D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, f(x as tf.Tensor3D, y as tf.Tensor3D))));
    const [ga, gb] = loss(groupedMatMul)([a, b]);
    const [ra, rb] = loss((x, y) => tf.matMul(x, y))([a, b]);
    expect(maxAbs(ga as tf.Tensor, ra as tf.Tensor)).toBeLessThan(1e-4);
    expect(maxAbs(gb as tf.Tensor, rb as tf.Tensor)).toBeLessThan(1e-4);
    // block t of the output depends only on block t of a and matrix t of b: a hand check of one entry
    const av = a.arraySync();
    const bv = b.arraySync();
    let ref = 0;
    for (let i = 0; i < k; i++) ref += av[2]![4]![i]! * bv[2]![i]![7]!;
    expect(groupedMatMul(a, b).arraySync()[2]![4]![7]).toBeCloseTo(ref, 4);
  });

  it('falls back to the batched kernel for small blocks and a single task', () => {
    const a = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4) as tf.Tensor3D;
    const b = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 5) as tf.Tensor3D;
    expect(maxAbs(groupedMatMul(a, b), tf.matMul(a, b))).toBe(0);
  });
});
