import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, tf } from './backend';
import { wasmKernels } from './kernels/wasmKernels';
import { diagnosticsOnCopies, posteriorDiagnostics, klBreakdown } from './diagnostics';
import { hotOps, setKernelThreads } from './ops/hotOps';
import { Rng, deriveSeed } from './rng';
import { SigmaPrior } from './sigmaPrior';
import { TaskRouting } from './taskRouting';
import { VarShareMLP, createSharedMLP, freezeNoise } from './varShareMlp';

beforeAll(async () => {
  await initBackend('wasm');
});

const created: { dispose(): void }[] = [];
afterAll(() => created.forEach((c) => c.dispose()));
const track = <T extends { dispose(): void }>(x: T): T => {
  created.push(x);
  return x;
};
const read = (t: tf.Tensor): number[] => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

const opts = { inputDim: 4, hiddenSizes: [8, 8], outputDim: 2, numTasks: 3, seed: 5, outputGain: 0.01, name: 'actor' } as const;

describe('VarShareMLP', () => {
  it('starts with θ identical to the plain shared MLP built from the same seed, and the same outputs', () => {
    const v = track(new VarShareMLP(opts));
    const s = track(createSharedMLP(opts));
    v.layers.forEach((l, i) => expect(read(tf.clone(l.theta))).toEqual(read(tf.clone((s.layers[i] as typeof l).theta))));
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const ids = [0, 1, 2, 2, 1, 0];
    expect(read(v.apply(x, ids, { weights: 'mean' }))).toEqual(read(s.apply(x, ids, { weights: 'mean' })));
    expect(read(s.kl(1))).toEqual([0, 0, 0]);
    expect(s.residualParamsPerTask).toBe(0);
    expect(v.residualParamsPerTask).toBe(4 * 8 + 8 * 8 + 8 * 2);
    x.dispose();
  });

  it('initialises θ orthogonally with the requested gains (CleanRL layer_init)', () => {
    const v = track(new VarShareMLP({ ...opts, hiddenSizes: [16] }));
    const w0 = tf.tidy(() => read(tf.matMul(v.layers[0]!.theta, v.layers[0]!.theta, true, false))); // [16,16]: rows < cols → WWᵀ… use WᵀW? in=4,out=16
    // in=4 < out=16: the 4 rows are orthonormal ×√2, so W Wᵀ = 2 I₄.
    const wwt = tf.tidy(() => read(tf.matMul(v.layers[0]!.theta, tf.transpose(v.layers[0]!.theta))));
    wwt.forEach((val, i) => expect(val).toBeCloseTo(i % 5 === 0 ? 2 : 0, 5));
    expect(w0.length).toBe(256);
    // output layer 16→2: columns orthonormal ×0.01, so WᵀW = 1e-4 I₂.
    const wtw = tf.tidy(() => read(tf.matMul(tf.transpose(v.layers[1]!.theta), v.layers[1]!.theta)));
    wtw.forEach((val, i) => expect(val).toBeCloseTo(i % 3 === 0 ? 1e-4 : 0, 8));
  });

  it('routes mixed-task batches per row through every layer', () => {
    const v = track(new VarShareMLP(opts));
    tf.tidy(() => v.posteriorVariables().forEach((p, i) => p.name.includes('/mu') && p.assign(tf.randomNormal(p.shape, 0, 0.3, 'float32', i))));
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const ids = [2, 0, 1, 2, 0];
    for (const o of [{ weights: 'mean' }, { weights: 'sample', noise: { kind: 'frozen', seed: 8 } }] as const) {
      const all = read(v.apply(x, ids, o));
      ids.forEach((t, i) => {
        const row = tf.slice(x, [i, 0], [1, 4]) as tf.Tensor2D;
        const single = read(v.apply(row, [t], o));
        row.dispose();
        single.forEach((val, j) => expect(val).toBeCloseTo(all[i * 2 + j] as number, 5));
      });
    }
    x.dispose();
  });

  it("samplingScope 'adapters-only' samples only low-rank layers", () => {
    const v = track(new VarShareMLP({ ...opts, residual: [{ kind: 'full' }, { kind: 'full' }, { kind: 'low-rank', rank: 2 }], sigmaInit: 0.3 }));
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    const ids = [0, 1, 2];
    const noise = { kind: 'frozen', seed: 1 } as const;
    const full = read(v.apply(x, ids, { weights: 'sample', noise }));
    const adapters = read(v.apply(x, ids, { weights: 'sample', noise, samplingScope: 'adapters-only' }));
    const mean = read(v.apply(x, ids, { weights: 'mean' }));
    // Manually: hidden layers at their mean, output layer sampled with the seed the MLP derives for layer 2.
    expect(adapters).not.toEqual(full);
    expect(adapters).not.toEqual(mean);
    x.dispose();
  });

  it('sums KL over layers and reports diagnostics per task and layer', () => {
    const v = track(new VarShareMLP({ ...opts, sigmaInit: 0.05 }));
    const prior = SigmaPrior.global(0.1);
    const n = v.residualParamsPerTask;
    // each residual param: log(0.1/0.05) + 0.0025/0.02 − ½ = 0.318147
    read(v.kl(prior)).forEach((k) => expect(k).toBeCloseTo(n * 0.318147, 2));
    const b = klBreakdown([v], prior);
    expect(Object.keys(b.perLayer)).toEqual(['actor.0', 'actor.1', 'actor.2']);
    expect(b.perLayer['actor.1']![0]).toBeCloseTo(64 * 0.318147, 3);
    const d = posteriorDiagnostics([v]);
    expect(d.perTask).toHaveLength(3);
    expect(d.perTask[0]!.sigmaMedian).toBeCloseTo(0.05, 6);
    expect(d.perTask[0]!.logSigmaMean).toBeCloseTo(Math.log(0.05), 5);
    expect(d.perTask[0]!.muAbsMedian).toBe(0);
    const layer1 = d.perLayer[1]!;
    expect(layer1.layer).toBe('actor.1');
    expect(layer1.ratioR).toBeCloseTo(0.05 / (layer1.thetaAbsMedian + 1e-8), 6);
    // per task within the layer: computed on first access, the same array after
    expect(layer1.perTask).toHaveLength(3);
    expect(layer1.perTask[2]!.sigmaMedian).toBeCloseTo(0.05, 6);
    expect(layer1.perTask[2]!.muAbsMedian).toBe(0);
    expect(layer1.perTask).toBe(layer1.perTask);
    expect(d.ratioR).toBeCloseTo(0.05 / (d.thetaAbsMedian + 1e-8), 6);
  });

  it('posterior diagnostics with the medians selected in place (wasm, two kernel threads) equal those on copies, number for number (full and low-rank residuals, two nets)', () => {
    expect(hotOps().posteriorMedians).toBeDefined();
    const rng = new Rng(21);
    const nets = [track(new VarShareMLP({ ...opts, hiddenSizes: [40, 24] })), track(new VarShareMLP({ ...opts, name: 'critic', outputDim: 1, residual: { kind: 'low-rank', rank: 3 } }))];
    for (const net of nets) {
      for (const layer of net.layers) {
        for (const v of layer.posteriorVariables()) {
          // μ of both signs over several binades, ρ spread (σ from ~1e-4 to ~1)
          v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => (v.name.includes('/rho') ? -4 + 2 * rng.normal() : rng.normal() * Math.exp(2 * rng.normal()))), v.shape));
        }
      }
    }
    // (in place only with helper threads: at one thread the copies are as fast)
    setKernelThreads(2);
    let inPlace: ReturnType<typeof posteriorDiagnostics>;
    try {
      inPlace = posteriorDiagnostics(nets);
    } finally {
      setKernelThreads(1);
    }
    const copies = diagnosticsOnCopies(nets);
    expect(posteriorDiagnostics(nets)).toEqual(copies);
    expect(inPlace.sigmaMedian).toBe(copies.sigmaMedian);
    expect(inPlace.thetaAbsMedian).toBe(copies.thetaAbsMedian);
    expect(inPlace.ratioR).toBe(copies.ratioR);
    expect(inPlace.perTask).toEqual(copies.perTask);
    expect(inPlace.perLayer.map((l) => ({ ...l, perTask: l.perTask }))).toEqual(copies.perLayer.map((l) => ({ ...l, perTask: l.perTask })));
    expect(new Set(inPlace.perTask.map((t) => t.muAbsMedian)).size).toBe(3);
  });

  it('inputGradient: false gives the same parameter gradients and a zero input gradient (the first layer skips ∂x)', () => {
    const v = track(new VarShareMLP({ ...opts, hiddenSizes: [16, 8] }));
    const vars = [...v.layers.flatMap((l) => [...l.sharedVariables(), ...l.posteriorVariables()])];
    const xg = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 3) as tf.Tensor3D;
    const run = (inputGradient: boolean) => {
      const o = { weights: 'sample' as const, noise: { kind: 'frozen' as const, seed: 9 }, inputGradient };
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(v.applyGrouped(xg, o))) as tf.Scalar, vars);
      const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.square(v.applyGrouped(x as tf.Tensor3D, o))))(xg);
      const out = { grads: vars.map((w) => read(grads[w.name] as tf.Tensor)), value: read(value), dx: read(dx) };
      return out;
    };
    const withDx = run(true);
    const without = run(false);
    expect(without.value).toEqual(withDx.value);
    expect(without.grads).toEqual(withDx.grads);
    expect(withDx.dx.some((g) => g !== 0)).toBe(true);
    expect(without.dx.every((g) => g === 0)).toBe(true);
    xg.dispose();
  });

  it('freezeNoise draws every layer’s frozen noise at once at two kernel threads (two nets) with the values each layer draws alone, and leaves it to the layers at one', () => {
    const o = { weights: 'sample' as const, noise: { kind: 'frozen' as const, seed: 77 } };
    const xg = tf.randomNormal([3, 4, 4], 0, 1, 'float32', 8) as tf.Tensor3D;
    const make = () => [track(new VarShareMLP({ ...opts, hiddenSizes: [32, 16] })), track(new VarShareMLP({ ...opts, name: 'critic', outputDim: 1, residual: { kind: 'low-rank', rank: 2 } }))];
    const alone = make().map((net) => read(net.applyGrouped(xg, o)));
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      try {
        const nets = make();
        freezeNoise(nets, o);
        // at two threads the noise is held by the layers now (the forward draws nothing); at one
        // freezeNoise leaves the drawing to the layers; the same outputs either way
        const pending = nets.flatMap((n) => n.layers.flatMap((l, i) => l.frozenNoiseRequests(deriveSeed(77, i))));
        expect(pending.length).toBe(threads === 1 ? 3 + 6 : 0); // actor 3 factors, low-rank critic 6
        expect(nets.map((net) => read(net.applyGrouped(xg, o)))).toEqual(alone);
      } finally {
        setKernelThreads(1);
      }
    }
    xg.dispose();
  });

  it('snapshot gives the same outputs as apply for mean, shared and frozen-sample modes', () => {
    for (const residual of [{ kind: 'full' }, { kind: 'low-rank', rank: 2 }, { kind: 'none' }] as const) {
      const v = track(new VarShareMLP({ ...opts, residual, sigmaInit: 0.2 }));
      tf.tidy(() => v.posteriorVariables().forEach((p, i) => p.name.includes('/mu') && p.assign(tf.randomNormal(p.shape, 0, 0.3, 'float32', i + 1))));
      const x = tf.randomNormal([7, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
      const ids = [2, 0, 1, 2, 0, 1, 1];
      for (const o of [{ weights: 'mean' }, { weights: 'shared' }, { weights: 'sample', noise: { kind: 'frozen', seed: 8 } }] as const) {
        const snap = v.snapshot(o);
        const routing = new TaskRouting(ids, 3);
        const a = read(snap.applyRouted(x, routing));
        const b = read(v.apply(x, ids, o));
        // on arrays (the acting path): the tensor path's values, bit for bit
        const grouped = snap.applyGroupedArrays(routing.groupArray(x.dataSync() as Float32Array, 4), routing.groupSize);
        const slot = routing.slotOfRow();
        const out = grouped.length / (3 * routing.groupSize);
        expect(Array.from(slot, (s2) => Array.from(grouped.subarray(s2 * out, (s2 + 1) * out))).flat()).toEqual(a);
        // full and none: the same kernel and the same effective weights ⇒ bit-identical outputs
        if (residual.kind === 'low-rank') a.forEach((val, i) => expect(val).toBeCloseTo(b[i] as number, 5));
        else expect(a).toEqual(b);
        snap.dispose();
      }
      if (residual.kind === 'none') v.snapshot({ weights: 'sample', noise: { kind: 'local', seed: 1 } }).dispose(); // no residual: θ only
      else expect(() => v.snapshot({ weights: 'sample', noise: { kind: 'local', seed: 1 } })).toThrow(/local noise is per forward/);
      x.dispose();
    }
  });

  it('a snapshot’s weights are copied into the kernel memory once for all its calls, and given back on dispose', () => {
    const k = wasmKernels()!;
    const v = track(new VarShareMLP({ ...opts, sigmaInit: 0.2 }));
    const snap = v.snapshot({ weights: 'mean' });
    const x = tf.randomNormal([3, 2, 4], 0, 1, 'float32', 3) as tf.Tensor3D;
    const write = vi.spyOn(k.memory, 'write');
    const weightSizes = new Set([3 * 4 * 8, 3 * 8 * 8, 3 * 8 * 2]);
    const weightWrites = () => write.mock.calls.filter(([, values]) => weightSizes.has(values.length)).length;
    const first = read(snap.applyGrouped(x));
    expect(weightWrites()).toBe(3);
    const again = read(snap.applyGrouped(x));
    expect(weightWrites()).toBe(3); // read in place the second time
    expect(again).toEqual(first);
    const release = vi.spyOn(k.memory, 'release');
    snap.dispose();
    expect(release.mock.calls.filter(([r]) => weightSizes.has(r.length)).length).toBe(3);
    write.mockRestore();
    release.mockRestore();
    x.dispose();
  });

  it('round-trips its state', () => {
    const a = track(new VarShareMLP(opts));
    const b = track(new VarShareMLP({ ...opts, seed: 77 }));
    tf.tidy(() => a.posteriorVariables().forEach((p, i) => p.assign(tf.randomNormal(p.shape, 0, 0.3, 'float32', i))));
    b.setState(a.getState());
    const x = tf.randomNormal([4, 4], 0, 1, 'float32', 9) as tf.Tensor2D;
    const o = { weights: 'sample', noise: { kind: 'frozen', seed: 4 } } as const;
    expect(read(b.apply(x, [0, 1, 2, 0], o))).toEqual(read(a.apply(x, [0, 1, 2, 0], o)));
    x.dispose();
  });
});
