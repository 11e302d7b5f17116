import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { VarShareMLP } from './varShareMlp';

afterAll(async () => {
  await initBackend('wasm');
});

/** Loss and gradients of a small VarShare MLP on a mixed batch, on the active backend. */
function lossAndGrads(): { loss: number; grads: number[][]; out: number[] } {
  const net = new VarShareMLP({ inputDim: 6, hiddenSizes: [16, 16], outputDim: 3, numTasks: 3, seed: 42, name: 'cmp', sigmaInit: 0.05 });
  tf.tidy(() => net.posteriorVariables().forEach((v, i) => { if (v.name.includes('/mu')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', i + 1)); }));
  const x = tf.tensor2d(Array.from({ length: 10 * 6 }, (_, i) => Math.cos(i * 0.37)), [10, 6]);
  const ids = [0, 2, 1, 1, 0, 2, 2, 0, 1, 0];
  const vars = [...net.sharedVariables(), ...net.posteriorVariables()];
  const out = net.apply(x, ids, { weights: 'sample', noise: { kind: 'frozen', seed: 3 } });
  const outValues = Array.from(out.dataSync());
  out.dispose();
  const { value, grads } = tf.variableGrads(() => {
    const y = net.apply(x, ids, { weights: 'sample', noise: { kind: 'frozen', seed: 3 } });
    return tf.add(tf.mean(tf.square(y)), tf.mul(1e-3, tf.sum(net.kl(0.1)))) as tf.Scalar;
  }, vars);
  const result = { loss: value.dataSync()[0] as number, grads: vars.map((v) => Array.from((grads[v.name] as tf.Tensor).dataSync())), out: outValues };
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  x.dispose();
  net.dispose();
  return result;
}

describe('backends', () => {
  it('initBackend verifies the backend it selects', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node is not installed/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('wasm and cpu agree on outputs and gradients of a VarShare MLP', async () => {
    await initBackend('wasm');
    const w = lossAndGrads();
    await initBackend('cpu');
    const c = lossAndGrads();
    await initBackend('wasm');
    expect(Math.abs(w.loss - c.loss)).toBeLessThan(1e-6);
    w.out.forEach((v, i) => expect(Math.abs(v - (c.out[i] as number))).toBeLessThan(1e-6));
    let maxDiff = 0;
    w.grads.forEach((g, k) => g.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ((c.grads[k] as number[])[i] as number))))));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('the re-registered BatchMatMul gradient equals the analytic gradient for every transpose flag and broadcast', async () => {
    await initBackend('wasm');
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 4], [4, 5], false, false],
      [[4, 3], [4, 5], true, false],
      [[3, 4], [5, 4], false, true],
      [[4, 3], [5, 4], true, true],
      [[2, 3, 4], [2, 4, 5], false, false],
      [[2, 3, 4], [4, 5], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      tf.tidy(() => {
        const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
        const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
        const A = ta ? tf.transpose(a, sa.length === 3 ? [0, 2, 1] : [1, 0]) : a;
        const B = tb ? tf.transpose(b, sb.length === 3 ? [0, 2, 1] : [1, 0]) : b;
        const w = tf.randomNormal(tf.matMul(A as tf.Tensor3D, B as tf.Tensor3D).shape, 0, 1, 'float32', 3);
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, ta, tb), w)))([a, b]);
        // d/dA (Σ w ⊙ A·B) = w·Bᵀ, d/dB = Aᵀ·w, then un-transpose and sum broadcast batches.
        const Bt = tf.transpose(B, B.rank === 3 ? [0, 2, 1] : [1, 0]);
        const At = tf.transpose(A, A.rank === 3 ? [0, 2, 1] : [1, 0]);
        let eA: tf.Tensor = tf.matMul(w as tf.Tensor3D, Bt as tf.Tensor3D);
        let eB: tf.Tensor = tf.matMul(At as tf.Tensor3D, w as tf.Tensor3D);
        if (eB.rank > b.rank) eB = tf.sum(eB, 0);
        if (ta) eA = tf.transpose(eA, eA.rank === 3 ? [0, 2, 1] : [1, 0]);
        if (tb) eB = tf.transpose(eB, eB.rank === 3 ? [0, 2, 1] : [1, 0]);
        expect((ga as tf.Tensor).shape).toEqual(sa);
        expect((gb as tf.Tensor).shape).toEqual(sb);
        expect(tf.max(tf.abs(tf.sub(ga as tf.Tensor, eA))).dataSync()[0]).toBeLessThan(1e-4);
        expect(tf.max(tf.abs(tf.sub(gb as tf.Tensor, eB))).dataSync()[0]).toBeLessThan(1e-4);
      });
    }
  });

  it('a wasm clone or same-dtype cast shares its buffer, outlives its source, frees it with the last owner; gradients unchanged', async () => {
    await initBackend('wasm');
    const before = tf.memory().numDataBuffers;
    const bytesBefore = tf.memory().numBytes;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers).toBe(before + 1); // one buffer, two tensors
    expect(tf.memory().numBytes).toBe(bytesBefore + 24); // bytes are counted per tensor, as for reshape
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
    // A cast to the same dtype shares too; a real cast converts into a buffer of its own.
    const i = tf.tensor1d([1, -2, 3], 'int32');
    const same = tf.cast(i, 'int32');
    const f = tf.cast(i, 'float32');
    expect(tf.memory().numDataBuffers).toBe(before + 2);
    i.dispose();
    expect(Array.from(same.dataSync())).toEqual([1, -2, 3]);
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.dataSync())).toEqual([1, -2, 3]);
    same.dispose();
    f.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
    // Strings keep the stock kernel.
    const s = tf.tensor1d(['x', 'y'], 'string');
    const sc = tf.clone(s);
    s.dispose();
    expect(sc.dataSync()).toEqual(['x', 'y']);
    sc.dispose();
    // Ops saving their outputs for the gradient (exp, tanh) clone them; the gradient reads the clones
    // after the forward's intermediates are disposed.
    const x = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(tf.exp(v))))(x);
    const e = [0.5, -1, 2].map(Math.exp);
    const expected = e.map((ev) => (1 - Math.tanh(ev) ** 2) * ev);
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 5));
    g.dispose();
    x.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
  });
});
