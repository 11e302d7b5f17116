import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { SigmaPrior } from './sigmaPrior';
import { VarShareDense, inverseSoftplus, type ApplyOptions, type LayerActivation } from './varShareDense';
import { deriveSeed, tfSeed } from './rng';
import { hotOps } from './ops/hotOps';

beforeAll(async () => {
  await initBackend('wasm');
});

const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

/** A layer whose μ and σ are non-trivial, so every mode differs. */
function trainedLayer(residual: 'full' | 'low-rank' = 'full'): VarShareDense {
  const layer = new VarShareDense({
    inputDim: 5,
    outputDim: 3,
    numTasks: 4,
    seed: 11,
    residual: residual === 'full' ? { kind: 'full' } : { kind: 'low-rank', rank: 2 },
    name: 'test.0',
  });
  tf.tidy(() => {
    for (const v of layer.posteriorVariables()) {
      const isRho = v.name.includes('/rho');
      v.assign(isRho ? tf.randomUniform(v.shape, -2, -0.5, 'float32', 3) : tf.randomNormal(v.shape, 0, 0.5, 'float32', 5));
    }
  });
  return layer;
}

const x = () => tf.tensor2d(Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i * 0.7)), [7, 5]);
const mixedIds = [2, 0, 3, 2, 1, 0, 2];

describe('VarShareDense', () => {
  const layers: VarShareDense[] = [];
  afterAll(() => layers.forEach((l) => l.dispose()));

  for (const residual of ['full', 'low-rank'] as const) {
    const modes: ApplyOptions[] = [
      { weights: 'mean' },
      { weights: 'shared' },
      { weights: 'sample', noise: { kind: 'frozen', seed: 99 } },
    ];
    for (const opts of modes) {
      it(`routes a mixed-task batch per row (${residual}, ${opts.weights})`, () => {
        const layer = trainedLayer(residual);
        layers.push(layer);
        const input = x();
        const batched = read(layer.apply(input, mixedIds, opts));
        const rows: number[] = [];
        for (let i = 0; i < mixedIds.length; i++) {
          const row = tf.slice(input, [i, 0], [1, 5]) as tf.Tensor2D;
          rows.push(...read(layer.apply(row, [mixedIds[i] as number], opts)));
          row.dispose();
        }
        input.dispose();
        batched.forEach((v, i) => expect(v).toBeCloseTo(rows[i] as number, 5));
        if (opts.weights !== 'shared') {
          // and the routing matters: forcing all rows to task 0 gives a different answer
          const input2 = x();
          const allZero = read(layer.apply(input2, mixedIds.map(() => 0), opts));
          input2.dispose();
          expect(allZero.some((v, i) => Math.abs(v - (batched[i] as number)) > 1e-4)).toBe(true);
        }
      });
    }
  }

  it('computes mean mode as x(θ+μ_m)+b by hand for one row', () => {
    const layer = new VarShareDense({ inputDim: 2, outputDim: 1, numTasks: 2, seed: 1 });
    layers.push(layer);
    layer.theta.assign(tf.tensor2d([[1], [2]]));
    layer.bias.assign(tf.tensor1d([0.5]));
    const [mu] = layer.posteriorVariables() as [tf.Variable];
    mu.assign(tf.tensor3d([[[0], [0]], [[0.1], [-0.2]]]));
    // task 1, x = [3, 4]: 3·(1+0.1) + 4·(2−0.2) + 0.5 = 3.3 + 7.2 + 0.5 = 11.0; shared: 3 + 8 + 0.5 = 11.5
    const xin = tf.tensor2d([[3, 4]]);
    expect(read(layer.apply(xin, [1], { weights: 'mean' }))[0]).toBeCloseTo(11.0, 5);
    expect(read(layer.apply(xin, [1], { weights: 'shared' }))[0]).toBeCloseTo(11.5, 5);
    xin.dispose();
  });

  it('shared mode ignores μ and σ; mean mode ignores σ', () => {
    const layer = trainedLayer();
    layers.push(layer);
    const input = x();
    const shared1 = read(layer.apply(input, mixedIds, { weights: 'shared' }));
    const mean1 = read(layer.apply(input, mixedIds, { weights: 'mean' }));
    const [mu, rho] = layer.posteriorVariables() as [tf.Variable, tf.Variable];
    rho.assign(tf.fill(rho.shape, 3));
    const mean2 = read(layer.apply(input, mixedIds, { weights: 'mean' }));
    mu.assign(tf.fill(mu.shape, 7));
    const shared2 = read(layer.apply(input, mixedIds, { weights: 'shared' }));
    input.dispose();
    expect(mean2).toEqual(mean1);
    expect(shared2).toEqual(shared1);
  });

  it('frozen noise: same segment seed ⇒ identical outputs; another seed ⇒ different', () => {
    const layer = trainedLayer();
    layers.push(layer);
    const input = x();
    const a = read(layer.apply(input, mixedIds, { weights: 'sample', noise: { kind: 'frozen', seed: 1 } }));
    const b = read(layer.apply(input, mixedIds, { weights: 'sample', noise: { kind: 'frozen', seed: 2 } }));
    const a2 = read(layer.apply(input, mixedIds, { weights: 'sample', noise: { kind: 'frozen', seed: 1 } }));
    const mean = read(layer.apply(input, mixedIds, { weights: 'mean' }));
    input.dispose();
    expect(a2).toEqual(a);
    expect(a.some((v, i) => Math.abs(v - (b[i] as number)) > 1e-4)).toBe(true);
    expect(a.some((v, i) => Math.abs(v - (mean[i] as number)) > 1e-4)).toBe(true);
  });

  it('local reparameterisation has the mean and variance of per-row weight sampling', () => {
    const layer = new VarShareDense({ inputDim: 2, outputDim: 1, numTasks: 1, seed: 3, sigmaInit: 0.5 });
    layers.push(layer);
    layer.theta.assign(tf.tensor2d([[1], [-1]]));
    // x = [2, 1]: mean = 2 − 1 = 1; var = Σ x_i² σ² = (4 + 1)·0.25 = 1.25
    const n = 4000;
    const xin = tf.tile(tf.tensor2d([[2, 1]]), [n, 1]) as tf.Tensor2D;
    const out = read(layer.apply(xin, new Int32Array(n), { weights: 'sample', noise: { kind: 'local', seed: 17 } }));
    xin.dispose();
    const m = out.reduce((s, v) => s + v, 0) / n;
    const v = out.reduce((s, y) => s + (y - m) ** 2, 0) / (n - 1);
    expect(Math.abs(m - 1)).toBeLessThan(0.06);
    expect(Math.abs(v - 1.25)).toBeLessThan(0.1);
    expect(() => layer.apply(tf.zeros([1, 2]) as tf.Tensor2D, [0], { weights: 'sample' })).toThrow(/explicit noise spec/);
  });

  it('starts σ at sigmaInit, μ at 0, and its KL per task matches the closed form', () => {
    const layer = new VarShareDense({ inputDim: 3, outputDim: 2, numTasks: 2, seed: 4, sigmaInit: 0.05 });
    layers.push(layer);
    const { mu, sigma } = layer.readPosterior();
    expect(Array.from(mu[0] as Float32Array).every((v) => v === 0)).toBe(true);
    (sigma[1] as Float32Array).forEach((s) => expect(s).toBeCloseTo(0.05, 6));
    // 6 params × (log(0.1/0.05) + 0.0025/(2·0.01) − ½) = 6 × (0.693147 + 0.125 − 0.5) = 6 × 0.318147 = 1.908883
    expect(read(layer.kl(0.1))).toEqual([expect.closeTo(1.908883, 4), expect.closeTo(1.908883, 4)]);
    expect(read(layer.kl(SigmaPrior.perTask([0.05, 0.1])))).toEqual([expect.closeTo(0, 5), expect.closeTo(1.908883, 4)]);
    expect(inverseSoftplus(0.05)).toBeCloseTo(Math.log(Math.expm1(0.05)), 12);
  });

  it('low-rank residual starts at φ = 0 (mean equals shared) but has non-zero gradients for μ_B', () => {
    const layer = new VarShareDense({ inputDim: 4, outputDim: 3, numTasks: 2, seed: 8, residual: { kind: 'low-rank', rank: 2 } });
    layers.push(layer);
    const input = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const ids = [0, 1, 1, 0, 1];
    // equal up to rounding: the two paths' products may round differently (a fused multiply-add in
    // the wasm kernel, a multiply and an add in tfjs), never by more than a few ulps here
    const mean = read(layer.apply(input, ids, { weights: 'mean' }));
    const shared = read(layer.apply(input, ids, { weights: 'shared' }));
    expect(mean.length).toBe(shared.length);
    mean.forEach((v, i) => expect(Math.abs(v - (shared[i] as number))).toBeLessThan(1e-6 * (1 + Math.abs(shared[i] as number))));
    const vars = layer.posteriorVariables();
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(input, ids, { weights: 'mean' }))) as tf.Scalar, vars);
    const muB = vars[2] as tf.Variable;
    const g = grads[muB.name] as tf.Tensor;
    expect(read(tf.sum(tf.abs(g)))[0]).toBeGreaterThan(1e-4);
    Object.values(grads).forEach((t) => t.dispose());
    input.dispose();
    expect(layer.residualParamsPerTask).toBe(4 * 2 + 2 * 3);
  });

  it('round-trips its state exactly', () => {
    const a = trainedLayer();
    const b = new VarShareDense({ inputDim: 5, outputDim: 3, numTasks: 4, seed: 999, name: 'test.0' });
    layers.push(a, b);
    b.setState(a.getState());
    const input = x();
    expect(read(b.apply(input, mixedIds, { weights: 'mean' }))).toEqual(read(a.apply(input, mixedIds, { weights: 'mean' })));
    input.dispose();
    const bad = { ...a.getState(), theta: { shape: [3, 5], data: new Float32Array(15) } };
    expect(() => b.setState(bad)).toThrow(/'theta' has shape \[3,5\]/);
  });

  it('rejects out-of-range task ids and bad dimensions with a message naming them', () => {
    const layer = trainedLayer();
    layers.push(layer);
    const input = x();
    expect(() => layer.apply(input, [0, 1, 2, 3, 4, 0, 0], { weights: 'mean' })).toThrow(/taskIds\[4\] = 4 is outside \[0, 4\)/);
    input.dispose();
    expect(() => new VarShareDense({ inputDim: 0, outputDim: 1, numTasks: 1, seed: 1 })).toThrow(/inputDim/);
  });

  it('does not leak tensors across repeated apply / KL / gradient steps', () => {
    const layer = trainedLayer();
    layers.push(layer);
    const input = x();
    const prior = SigmaPrior.learnedPerLayer(['test.0'], 0.1, true);
    const vars = [...layer.sharedVariables(), ...layer.posteriorVariables(), ...prior.trainableVariables()];
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const modes: ApplyOptions[] = [
          { weights: 'mean' },
          { weights: 'shared' },
          { weights: 'sample', noise: { kind: 'frozen', seed: 5 } },
          { weights: 'sample', noise: { kind: 'local', seed: 6 } },
        ];
        const outs = modes.map((m) => tf.sum(layer.apply(input, mixedIds, m)));
        return tf.add(tf.addN(outs), tf.sum(layer.kl(prior))) as tf.Scalar;
      }, vars);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    input.dispose();
    prior.dispose();
  });
});

describe('full-residual layers through the hot ops (the wasm dense kernel here)', () => {
  const modes: ApplyOptions[] = [{ weights: 'mean' }, { weights: 'sample', noise: { kind: 'frozen', seed: 5 } }, { weights: 'shared' }];
  for (const opts of modes) {
    for (const activation of ['tanh', 'relu', 'none'] as LayerActivation[]) {
      it(`equals the tensor-op formula, value and every gradient (${opts.weights}, ${activation})`, () => {
        expect(hotOps().name).toBe('wasm');
        const layer = trainedLayer('full');
        const [mu, rho] = layer.posteriorVariables() as [tf.Variable, tf.Variable];
        const xg = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 21) as tf.Tensor3D;
        const dy = tf.randomNormal([4, 6, 3], 0, 1, 'float32', 22);
        // The layer's frozen noise for factor 0 of seed 5, drawn as VarShareDense draws it.
        const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', tfSeed(deriveSeed(5, 0)));
        const reference = (x: tf.Tensor3D): tf.Tensor => {
          const w =
            opts.weights === 'shared'
              ? tf.tile(tf.expandDims(layer.theta, 0), [4, 1, 1])
              : tf.add(layer.theta, opts.weights === 'mean' ? mu : tf.add(mu, tf.mul(tf.softplus(rho), eps)));
          const z = tf.add(tf.matMul(x, w as tf.Tensor3D), layer.bias);
          return activation === 'tanh' ? tf.tanh(z) : activation === 'relu' ? tf.relu(z) : z;
        };
        const loss = (f: (x: tf.Tensor3D) => tf.Tensor) => (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor3D), dy)) as tf.Scalar;
        const vars = [layer.theta, layer.bias, mu, rho];
        const fusedF = (x: tf.Tensor3D) => layer.applyGrouped(x, opts, activation);
        const got = tf.variableGrads(() => loss(fusedF)(xg), vars);
        const want = tf.variableGrads(() => loss(reference)(xg), vars);
        const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
          const [av, bv] = [a.dataSync(), b.dataSync()];
          expect(av.length, what).toBe(bv.length);
          let worst = 0;
          for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i]! - bv[i]!) / (1 + Math.abs(bv[i]!)));
          expect(worst, what).toBeLessThan(2e-5);
        };
        close(fusedF(xg), reference(xg), 'value');
        close(got.value, want.value, 'loss');
        for (const v of vars) {
          const g = got.grads[v.name];
          const r = want.grads[v.name];
          if (opts.weights === 'shared' && (v === mu || v === rho)) {
            expect(g, `${v.name} gets no gradient in shared mode`).toBeUndefined();
            continue;
          }
          if (opts.weights === 'mean' && v === rho) {
            expect(g, 'ρ gets no gradient in mean mode').toBeUndefined();
            continue;
          }
          close(g as tf.Tensor, r as tf.Tensor, `d/d${v.name}`);
        }
        close(tf.grad(loss(fusedF))(xg), tf.grad(loss(reference))(xg), 'dx');
        layer.dispose();
      });
    }
  }
});

describe('seeding', () => {
  it('noise seed 0 is deterministic (tfjs would treat 0 as unseeded)', async () => {
    const { tfSeed } = await import('./rng');
    expect(tfSeed(0)).not.toBe(0);
    expect(tfSeed(5)).toBe(5);
    const layer = trainedLayer();
    const input = x();
    const a = read(layer.apply(input, mixedIds, { weights: 'sample', noise: { kind: 'local', seed: 0 } }));
    const b = read(layer.apply(input, mixedIds, { weights: 'sample', noise: { kind: 'local', seed: 0 } }));
    expect(a).toEqual(b);
    input.dispose();
    layer.dispose();
  });
});
