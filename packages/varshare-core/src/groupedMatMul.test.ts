import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { groupedMatMul } from './groupedMatMul';
import { SimdGemm } from './kernels/simdGemm';
import { Rng } from './rng';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

/** C = op(A)·op(B) in float64, straight from the definition. */
function reference(a: Float32Array, ta: boolean, b: Float32Array, tb: boolean, T: number, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(T * n * m);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a[t * n * k + p * n + i]! : a[t * n * k + i * k + p]!;
          const bv = tb ? b[t * k * m + j * k + p]! : b[t * k * m + p * m + j]!;
          s += av * bv;
        }
        out[t * n * m + i * m + j] = s;
      }
    }
  }
  return out;
}

describe('SimdGemm (wasm SIMD kernel)', () => {
  it('equals the float64 definition for every transpose flag and for shapes that need padding', () => {
    const gemm = SimdGemm.get();
    expect(gemm).not.toBeNull();
    const rng = new Rng(3);
    for (const [T, n, k, m] of [[1, 1, 1, 1], [3, 5, 7, 9], [10, 32, 64, 64], [2, 33, 4, 2], [2, 26, 39, 17], [1, 4, 8, 8]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = Float32Array.from({ length: T * n * k }, () => rng.normal());
          const b = Float32Array.from({ length: T * k * m }, () => rng.normal());
          const got = gemm!.bmm(a, ta, b, tb, T, n, k, m);
          const want = reference(a, ta, b, tb, T, n, k, m);
          expect(got.length).toBe(want.length);
          let worst = 0;
          for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
          expect(worst, `T=${T} n=${n} k=${k} m=${m} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('does not depend on the other blocks of the batch, and rejects inconsistent sizes', () => {
    const gemm = SimdGemm.get()!;
    const rng = new Rng(4);
    const [n, k, m] = [6, 5, 3];
    const a = Float32Array.from({ length: 3 * n * k }, () => rng.normal());
    const b = Float32Array.from({ length: 3 * k * m }, () => rng.normal());
    const all = gemm.bmm(a, false, b, false, 3, n, k, m);
    const one = gemm.bmm(a.slice(n * k, 2 * n * k), false, b.slice(k * m, 2 * k * m), false, 1, n, k, m);
    expect(Array.from(all.slice(n * m, 2 * n * m))).toEqual(Array.from(one));
    expect(() => gemm.bmm(a, false, b, false, 3, n, k, m + 1)).toThrow(/b has 45 values, expected T·k·m = 60/);
    expect(() => gemm.bmm(a, false, b, false, 0, n, k, m)).toThrow(/T must be a positive integer/);
  });
});

describe('groupedMatMul', () => {
  it('equals the batched matmul, values and both gradients (wasm: the SIMD kernel)', () => {
    for (const [T, n, k, m] of [[3, 16, 160, 130], [2, 3, 4, 5], [10, 5, 64, 1], [1, 7, 3, 2]] as const) {
      tf.tidy(() => {
        const a = tf.randomNormal([T, n, k], 0, 1, 'float32', 1) as tf.Tensor3D;
        const b = tf.randomNormal([T, k, m], 0, 0.1, 'float32', 2) as tf.Tensor3D;
        const w = tf.randomNormal([T, n, m], 0, 1, 'float32', 3);
        expect(maxAbs(groupedMatMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-4);
        const loss = (f: (x: tf.Tensor3D, y: tf.Tensor3D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, f(x as tf.Tensor3D, y as tf.Tensor3D))));
        const [ga, gb] = loss(groupedMatMul)([a, b]);
        const [ra, rb] = loss((x, y) => tf.matMul(x, y))([a, b]);
        expect(maxAbs(ga as tf.Tensor, ra as tf.Tensor)).toBeLessThan(1e-4);
        expect(maxAbs(gb as tf.Tensor, rb as tf.Tensor)).toBeLessThan(1e-4);
      });
    }
  });

  it('block t of the output is row block t of a times matrix t of b (hand check of one entry)', () => {
    const a = tf.randomNormal([3, 16, 160], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([3, 160, 130], 0, 0.1, 'float32', 2) as tf.Tensor3D;
    const av = a.arraySync();
    const bv = b.arraySync();
    let ref = 0;
    for (let i = 0; i < 160; i++) ref += av[2]![4]![i]! * bv[2]![i]![7]!;
    expect(groupedMatMul(a, b).arraySync()[2]![4]![7]).toBeCloseTo(ref, 4);
    expect(() => groupedMatMul(a, tf.zeros([3, 5, 2]) as tf.Tensor3D)).toThrow(/inner dimensions differ/);
  });
});
