import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../backend';
import { VarShareDense } from '../varShareDense';
import { releaseResident, residentOf } from './residentTensor';
import { SimdGemm } from './simdGemm';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('resident regions of the SIMD kernel memory', () => {
  it('reuse released regions first-fit, coalesce neighbours, and read back what was written', () => {
    const gemm = SimdGemm.get()!;
    const a = gemm.resident(10);
    const b = gemm.resident(20);
    const c = gemm.resident(5);
    gemm.write(c, Float32Array.from([1, 2, 3, 4, 5]));
    gemm.release(b);
    const d = gemm.resident(16);
    expect(d.off).toBe(b.off); // first fit in b's place
    gemm.release(a);
    gemm.release(d);
    const e = gemm.resident(32); // a + b coalesced: 12 + 20 floats
    expect(e.off).toBe(a.off);
    expect(Array.from(gemm.read(c))).toEqual([1, 2, 3, 4, 5]); // untouched by the others
    expect(() => gemm.write(c, new Float32Array(4))).toThrow(/4 values for a resident buffer of 5/);
    gemm.release(c);
    gemm.release(e);
    expect(() => gemm.read(c)).toThrow(/released/);
    // everything released: the next region starts where the first one did
    const f = gemm.resident(3);
    expect(f.off).toBe(a.off);
    gemm.release(f);
  });

  it('a resident operand gives the same result as the array it holds', () => {
    const gemm = SimdGemm.get()!;
    const mu = Float32Array.from({ length: 2 * 6 }, (_, i) => Math.sin(i));
    const sigma = Float32Array.from({ length: 2 * 6 }, (_, i) => 0.1 + 0.01 * i);
    const r = gemm.resident(mu.length);
    gemm.write(r, mu);
    expect(gemm.klForward(r, sigma, [1, 4], 2, 6)).toEqual(gemm.klForward(mu, sigma, [1, 4], 2, 6));
    gemm.release(r);
    expect(() => gemm.klForward(r, sigma, [1, 4], 2, 6)).toThrow(/released resident buffer/);
  });

  it('residentOf rewrites a variable only when it was assigned, and releaseResident frees it', () => {
    const gemm = SimdGemm.get()!;
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const r1 = residentOf(gemm, v);
    expect(Array.from(gemm.read(r1))).toEqual([1, 2, 3]);
    gemm.write(r1, Float32Array.from([9, 9, 9]), v.dataId); // same tag: not rewritten
    expect(Array.from(gemm.read(residentOf(gemm, v)))).toEqual([9, 9, 9]);
    v.assign(tf.tensor1d([4, 5, 6]));
    const r2 = residentOf(gemm, v);
    expect(r2).toBe(r1);
    expect(Array.from(gemm.read(r2))).toEqual([4, 5, 6]);
    releaseResident(v);
    expect(r1.released).toBe(true);
    v.dispose();
  });

  it('a layer sees its own assignments: outputs after μ/ρ/θ change equal a freshly built layer with those values', () => {
    const make = () => new VarShareDense({ inputDim: 5, outputDim: 3, numTasks: 2, seed: 4, name: 'res.0' });
    const a = make();
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 8) as tf.Tensor2D;
    const ids = [0, 1, 1, 0, 1, 0];
    const opts = { weights: 'sample', noise: { kind: 'frozen', seed: 2 } } as const;
    const before = Array.from(a.apply(x, ids, opts).dataSync()); // residents now hold the initial values
    tf.tidy(() => a.posteriorVariables().forEach((p, i) => p.assign(tf.randomNormal(p.shape, p.name.includes('/rho') ? -2 : 0, 0.3, 'float32', 20 + i))));
    a.theta.assign(tf.mul(a.theta, 1.5));
    const after = Array.from(a.apply(x, ids, opts).dataSync());
    const b = make();
    b.setState(a.getState());
    expect(after).toEqual(Array.from(b.apply(x, ids, opts).dataSync()));
    expect(after).not.toEqual(before);
    a.dispose();
    b.dispose();
  });

  it('two forwards with different weights before one backward: each gradient uses its own W', () => {
    const layer = new VarShareDense({ inputDim: 4, outputDim: 3, numTasks: 2, seed: 6, name: 'res.1' });
    tf.tidy(() => layer.posteriorVariables().forEach((p, i) => p.assign(tf.randomNormal(p.shape, p.name.includes('/rho') ? -1 : 0, 0.4, 'float32', 40 + i))));
    const xg = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 9) as tf.Tensor3D;
    const sample = { weights: 'sample', noise: { kind: 'frozen', seed: 3 } } as const;
    const mean = { weights: 'mean' } as const;
    const gx = (f: (x: tf.Tensor3D) => tf.Scalar) => tf.grad((x: tf.Tensor) => f(x as tf.Tensor3D))(xg);
    const lossMean = (x: tf.Tensor3D) => tf.sum(tf.square(layer.applyGrouped(x, mean, 'tanh'))) as tf.Scalar;
    const lossSample = (x: tf.Tensor3D) => tf.sum(tf.mul(layer.applyGrouped(x, sample, 'tanh'), 2)) as tf.Scalar;
    const both = gx((x) => tf.add(lossMean(x), lossSample(x)) as tf.Scalar).dataSync();
    const separate = tf.add(gx(lossMean), gx(lossSample)).dataSync();
    both.forEach((v, i) => expect(v).toBeCloseTo(separate[i]!, 5));
    layer.dispose();
  });
});
