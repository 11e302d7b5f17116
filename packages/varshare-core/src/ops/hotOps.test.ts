import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../backend';
import type { AdamArray } from '../adamStep';
import { hotOps, kernelStats, readValues, resetKernelStats, useHotOps, withGradientSink, type GradientSink, type HotOpsName } from './hotOps';

afterAll(async () => {
  await initBackend('wasm');
});

describe('choosing the hot ops', () => {
  it('initBackend chooses them: the wasm kernels on the wasm backend, the tfjs reference on cpu', async () => {
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
    await initBackend('cpu');
    expect(hotOps().name).toBe('tfjs');
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('a test can force either on the wasm backend, until the next initBackend; the wasm kernels need the wasm backend', async () => {
    await initBackend('wasm');
    expect(useHotOps('tfjs').name).toBe('tfjs');
    expect(hotOps().name).toBe('tfjs');
    expect(useHotOps('wasm')).toBe(hotOps());
    await initBackend('cpu');
    expect(() => useHotOps('wasm')).toThrow(/need the wasm backend/);
    useHotOps('tfjs');
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('a backend switched behind initBackend’s back (tf.setBackend) gets the choice initBackend would make', async () => {
    await initBackend('wasm');
    expect(hotOps().name).toBe('wasm');
    await tf.setBackend('cpu');
    expect(hotOps().name).toBe('tfjs');
    await tf.setBackend('wasm');
    expect(hotOps().name).toBe('wasm');
  });

  it('readValues: a view of the wasm heap with the wasm ops, a copy elsewhere; float32 only', async () => {
    await initBackend('wasm');
    const t = tf.tensor1d([1, 2, 3]);
    const view = readValues(t);
    expect(Array.from(view)).toEqual([1, 2, 3]);
    expect(view.buffer.byteLength).toBeGreaterThan(view.byteLength); // the whole heap
    expect(() => readValues(tf.tensor1d([1], 'int32'))).toThrow(/expected a float32 tensor, got int32/);
    await initBackend('cpu');
    const c = tf.tensor1d([4, 5]);
    expect(Array.from(readValues(c))).toEqual([4, 5]);
    c.dispose();
    await initBackend('wasm');
    t.dispose();
  });

  it('kernelStats reports the wasm matmul kernel’s work, and null with the tfjs ops', async () => {
    await initBackend('wasm');
    resetKernelStats();
    tf.tidy(() => hotOps().groupedMatMul(tf.ones([3, 4, 5]) as tf.Tensor3D, tf.ones([3, 5, 2]) as tf.Tensor3D));
    expect(kernelStats()).toMatchObject({ calls: 1, flops: 2 * 3 * 4 * 5 * 2 });
    resetKernelStats();
    expect(kernelStats()).toMatchObject({ calls: 0, flops: 0 });
    await initBackend('cpu');
    expect(kernelStats()).toBeNull();
  });
});

describe('withGradientSink', () => {
  /** A dense layer with sampled weights and the KL of its posterior under a constant and a learned scalar prior. */
  function setup() {
    const theta = tf.variable(tf.randomNormal([5, 3], 0, 0.6, 'float32', 1));
    const bias = tf.variable(tf.randomNormal([3], 0, 0.2, 'float32', 2));
    const mu = tf.variable(tf.randomNormal([4, 5, 3], 0, 0.5, 'float32', 3));
    const rho = tf.variable(tf.randomUniform([4, 5, 3], -4, -1, 'float32', 4));
    const logSp = tf.variable(tf.scalar(Math.log(0.3)));
    const eps = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 5);
    const xg = tf.randomNormal([4, 6, 5], 0, 1, 'float32', 6) as tf.Tensor3D;
    const dy = tf.randomNormal([4, 6, 3], 0, 1, 'float32', 7);
    const loss = () => {
      const ops = hotOps();
      const y = ops.dense(xg, { theta, bias, residual: { mu, noise: { rho, eps } } }, 'tanh');
      const klConst = ops.taskKl(mu, rho, { kind: 'constant', sigmaPrior: [0.1, 0.2, 0.3, 0.4] });
      const klLearned = ops.taskKl(mu, rho, { kind: 'tensor', sigmaPrior: tf.exp(logSp), detachSigma: false });
      return tf.addN([tf.sum(tf.mul(y, dy)), tf.mul(0.01, tf.sum(klConst)), tf.mul(-0.02, tf.sum(klLearned))]) as tf.Scalar;
    };
    const all = [theta, bias, mu, rho, logSp];
    return { all, mu, rho, loss, dispose: () => tf.dispose([...all, eps, xg, dy]) };
  }

  /** Gradients by name: from the tape, plus the sink's (summed per parameter, in float32). */
  function gradients(
    useSink: boolean,
    targets = false,
  ): { tape: Record<string, Float32Array>; sunk: Record<string, Float32Array>; names: Record<string, string>; inPlace: string[] } {
    const s = setup();
    const sunk: Record<string, Float32Array> = {};
    const anchor = tf.variable(tf.scalar(0));
    // With targets: the first term of each parameter may be written into an array of an Adam memory.
    const memory = hotOps().adamMemory();
    const offered = new Map<string, AdamArray>();
    const inPlace: string[] = [];
    const sink: GradientSink = {
      anchor,
      accept(param, grad) {
        const t = offered.get(param.name);
        if (t && grad.buffer === t.values().buffer && grad.byteOffset === t.values().byteOffset) inPlace.push(param.name);
        const prev = sunk[param.name];
        sunk[param.name] = prev ? Float32Array.from(prev, (v, i) => Math.fround(v + (grad[i] as number))) : grad.slice();
      },
      ...(targets
        ? {
            target(param: tf.Variable) {
              if (sunk[param.name]) return null;
              const a = memory.alloc(param.size);
              offered.set(param.name, a);
              return a;
            },
          }
        : {}),
    };
    const { grads } = withGradientSink(useSink ? sink : null, () => tf.variableGrads(s.loss, useSink ? [...s.all, anchor] : s.all));
    const tape = Object.fromEntries(s.all.filter((v) => grads[v.name]).map((v) => [v.name, (grads[v.name] as tf.Tensor).dataSync() as Float32Array]));
    const names = { theta: s.all[0]!.name, bias: s.all[1]!.name, mu: s.mu.name, rho: s.rho.name, logSp: s.all[4]!.name };
    tf.dispose([...Object.values(grads), anchor]);
    for (const v of s.all) hotOps().release(v);
    s.dispose();
    memory.dispose();
    return { tape, sunk, names, inPlace };
  }

  for (const [impl, targets] of [['wasm', false], ['wasm', true], ['tfjs', true]] as [HotOpsName, boolean][]) {
    it(`${impl}${targets ? ', with targets' : ''}: every gradient arrives once, by the tape or the sink, equal to the tape's without a sink`, async () => {
      await initBackend('wasm');
      useHotOps(impl);
      const plain = gradients(false);
      const withSink = gradients(true, targets);
      // wasm with targets: the first op to reach μ and ρ in the backward writes their first term in place
      expect(withSink.inPlace).toEqual(impl === 'wasm' && targets ? [withSink.names.mu, withSink.names.rho] : []);
      const n = plain.names;
      const w = withSink.names;
      for (const key of ['theta', 'bias', 'mu', 'rho', 'logSp'] as const) {
        const want = plain.tape[n[key]!];
        expect(want, key).toBeDefined();
        const fromTape = withSink.tape[w[key]!];
        const fromSink = withSink.sunk[w[key]!];
        // wasm: μ and ρ only by the sink (from the dense layer and both KLs); tfjs: all by the tape
        const sunkHere = impl === 'wasm' && (key === 'mu' || key === 'rho');
        expect(fromSink !== undefined, `${key} by the sink`).toBe(sunkHere);
        expect(fromTape !== undefined, `${key} by the tape`).toBe(!sunkHere);
        const got = (fromSink ?? fromTape)!;
        // The sink's per-op terms are summed here in another order than the tape's adds: equal to a few ulp.
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < want!.length; i++) {
          worst = Math.max(worst, Math.abs(got[i]! - want![i]!));
          scale = Math.max(scale, Math.abs(want![i]!));
        }
        expect(worst, key).toBeLessThanOrEqual(1e-6 * scale);
      }
      // the sink is gone after the call
      const after = gradients(false);
      expect(Object.keys(after.sunk)).toEqual([]);
      await initBackend('wasm');
    });
  }
});
