import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { randomNormalArray } from './randomNormal';
import { tfSeed } from './rng';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('randomNormalArray', () => {
  it("gives tf.randomNormal's values bit for bit (odd and even counts, small and 32-bit seeds)", () => {
    for (const [n, seed] of [
      [1, 1],
      [2, 7],
      [3, tfSeed(0)],
      [1001, 123456789],
      [4096, 4294967295],
      [65537, 42],
    ] as const) {
      const want = tf.tidy(() => tf.randomNormal([n], 0, 1, 'float32', seed).dataSync().slice());
      expect(randomNormalArray(n, seed), `n ${n}, seed ${seed}`).toEqual(want);
    }
  });

  it('is a normal sample (mean ≈ 0, variance ≈ 1) and rejects seed 0 (tfjs would draw a random one)', () => {
    const x = randomNormalArray(100_000, 3);
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let v2 = 0;
    for (const v of x) v2 += (v - m) ** 2;
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v2 / x.length - 1)).toBeLessThan(0.02);
    expect(() => randomNormalArray(4, 0)).toThrow(/seed must be non-zero/);
  });
});
