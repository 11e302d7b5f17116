import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@varshare/core';
import { Adam, adamStepConstants, adamStepReference } from './adam';
import { Rng } from '@varshare/core';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Adam (fused CPU step)', () => {
  it('first step moves each parameter by lr·g/(|g|+ε) and matches a plain-loop reference over several steps', () => {
    const p = tf.variable(tf.tensor1d([1, -2, 0.5, 0]));
    const adam = new Adam(new Map([['p', p]]), 0.9, 0.999, 1e-5);
    const grads = [
      [0.3, -1, 0, 2],
      [0.1, 0.5, -0.2, 2],
      [-0.4, 0.2, 0.3, -1],
    ];
    // Reference in float64: PyTorch's Adam.
    const ref = [1, -2, 0.5, 0];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    grads.forEach((g, t) => {
      const step = t + 1;
      for (let i = 0; i < 4; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
        ref[i] = ref[i]! - (0.01 / (1 - 0.9 ** step)) * m[i]! / (Math.sqrt(v[i]! / (1 - 0.999 ** step)) + 1e-5);
      }
      adam.apply(new Map([['p', tf.tensor1d(g)]]), 0.01);
      if (t === 0) {
        // m̂ = g, v̂ = g² ⇒ Δ = −lr·g/(|g|+ε): 1 − 0.01·0.3/0.30001, −2 + 0.01, 0.5 (g = 0), 0 − 0.01·2/2.00001
        const got = Array.from(p.dataSync());
        expect(got[0]).toBeCloseTo(1 - 0.01 * (0.3 / 0.30001), 6);
        expect(got[1]).toBeCloseTo(-2 + 0.01 * (1 / 1.00001), 6);
        expect(got[2]).toBe(0.5);
        expect(got[3]).toBeCloseTo(-0.01 * (2 / 2.00001), 6);
      }
    });
    Array.from(p.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref[i]!, 6));
    expect(adam.steps).toBe(3);
  });

  it('applyArrays scales gradients (grad-norm clipping) and state round-trips exactly', () => {
    const mk = () => tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const [a, b] = [mk(), mk()];
    const adamA = new Adam(new Map([['w', a]]));
    const adamB = new Adam(new Map([['w', b]]));
    const g = Float32Array.from([0.5, -0.5, 1, 2]);
    adamA.applyArrays(new Map([['w', g]]), 0.1, 0.25);
    adamB.apply(new Map([['w', tf.tensor2d(Array.from(g, (x) => x * 0.25), [2, 2])]]), 0.1);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const restored = new Adam(new Map([['w', tf.variable(tf.zeros([2, 2]))]]));
    restored.setState(adamA.getState());
    expect(restored.getState()).toEqual(adamA.getState());
    expect(() => restored.applyArrays(new Map([['w', new Float32Array(3)]]), 0.1)).toThrow(/3 values, parameter has 4/);
  });

  it('skips parameters without a gradient and propagates NaN gradients into the parameter', () => {
    const p = tf.variable(tf.tensor1d([1, 1]));
    const q = tf.variable(tf.tensor1d([5]));
    const adam = new Adam(new Map([['p', p], ['q', q]]));
    adam.applyArrays(new Map([['p', Float32Array.from([Number.NaN, 1])]]), 0.1);
    expect(Number.isNaN(p.dataSync()[0])).toBe(true);
    expect(Array.from(q.dataSync())).toEqual([5]);
  });

  it('the wasm kernel is bit-identical to the float32 reference loop (odd sizes, clipping, tiny and zero gradients)', () => {
    const rng = new Rng(11);
    const sizes = { a: 1, b: 1001, c: 64 };
    const params = new Map(Object.entries(sizes).map(([k, n]) => [k, tf.variable(tf.tensor1d(Float32Array.from({ length: n }, () => rng.normal())))]));
    const adam = new Adam(params);
    const ref = new Map(Object.entries(sizes).map(([k, n]) => [k, { p: Float32Array.from(params.get(k)!.dataSync()), m: new Float32Array(n), v: new Float32Array(n) }]));
    for (let step = 1; step <= 5; step++) {
      const grads = new Map(Object.entries(sizes).map(([k, n]) => [k, Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : rng.normal() * 10 ** (rng.nextInt(9) - 6)))]));
      const [lr, scale] = [3e-4 * step, step === 3 ? 0.37 : 1];
      adam.applyArrays(grads, lr, scale);
      for (const [k, r] of ref) adamStepReference(r.p, grads.get(k)!, r.m, r.v, adamStepConstants(lr, 0.9, 0.999, 1e-5, step, scale));
    }
    const state = adam.getState();
    for (const [k, r] of ref) {
      expect(Array.from(params.get(k)!.dataSync())).toEqual(Array.from(r.p));
      expect(Array.from(state.arrays[`m/${k}`]!.data)).toEqual(Array.from(r.m));
      expect(Array.from(state.arrays[`v/${k}`]!.data)).toEqual(Array.from(r.v));
    }
    // and it moved: not a test of two no-ops
    expect(Array.from(ref.get('b')!.m).some((x) => x !== 0)).toBe(true);
  });

  it('re-reads a parameter assigned from outside (a checkpoint restore) before its next step', () => {
    const p = tf.variable(tf.tensor1d([1, 2, 3]));
    const adam = new Adam(new Map([['p', p]]));
    const g = Float32Array.from([0.1, -0.2, 0.3]);
    adam.applyArrays(new Map([['p', g]]), 0.01);
    p.assign(tf.tensor1d([10, 20, 30]));
    const m = Float32Array.from(adam.getState().arrays['m/p']!.data);
    const v = Float32Array.from(adam.getState().arrays['v/p']!.data);
    const ref = Float32Array.from([10, 20, 30]);
    adamStepReference(ref, g, m, v, adamStepConstants(0.01, 0.9, 0.999, 1e-5, 2, 1));
    adam.applyArrays(new Map([['p', g]]), 0.01);
    expect(Array.from(p.dataSync())).toEqual(Array.from(ref));
  });

  it('stage / stagedSumSquares / applyStaged: the norm of the staged gradients, and a refused step leaves no trace', () => {
    const mk = () => new Map([['a', tf.variable(tf.tensor1d([1, 2, 3]))], ['b', tf.variable(tf.tensor1d([4, 5]))]]);
    const [pa, pb] = [mk(), mk()];
    const [adamA, adamB] = [new Adam(pa), new Adam(pb)];
    const grads = { a: Float32Array.from([3, 0, 4]), b: Float32Array.from([12, 0]) };
    adamA.stage('a', grads.a);
    adamA.stage('b', grads.b);
    expect(adamA.stagedSumSquares()).toBe(9 + 16 + 144);
    adamA.discardStaged();
    expect(adamA.stagedSumSquares()).toBe(0);
    adamA.stage('a', grads.a);
    adamA.stage('b', grads.b);
    adamA.applyStaged(0.1, 0.5);
    adamB.applyArrays(new Map(Object.entries(grads)), 0.1, 0.5);
    for (const k of ['a', 'b']) expect(Array.from(pa.get(k)!.dataSync())).toEqual(Array.from(pb.get(k)!.dataSync()));
    expect(adamA.steps).toBe(1);
    expect(() => adamA.stage('c', grads.a)).toThrow(/no parameter 'c'/);
  });

  it('per-parameter lr scales, stageAdd and per-name sums of squares', () => {
    const mk = () => new Map([['a', tf.variable(tf.tensor1d([1, 2]))], ['b', tf.variable(tf.tensor1d([3, 4]))]]);
    const [pa, pb] = [mk(), mk()];
    // b at lr × 3 in one optimizer equals b alone at 3·lr
    const scaled = new Adam(pa, 0.9, 0.999, 1e-8, new Map([['b', 3]]));
    const plainB = new Adam(new Map([['b', pb.get('b')!]]), 0.9, 0.999, 1e-8);
    const plainA = new Adam(new Map([['a', pb.get('a')!]]), 0.9, 0.999, 1e-8);
    scaled.stage('a', Float32Array.from([1, -1]));
    scaled.stage('b', Float32Array.from([0.5, 0.5]));
    // stageAdd adds a second term and returns its own Σx²: 0.5² + 1.5² = 2.5
    expect(scaled.stageAdd('b', Float32Array.from([0.5, 1.5]))).toBe(2.5);
    expect(scaled.stagedSumSquares((n) => n === 'b')).toBe(1 + 4); // staged b = [1, 2]
    expect(scaled.stagedSumSquares((n) => n === 'a')).toBe(2);
    scaled.applyStaged(0.01);
    plainA.applyArrays(new Map([['a', Float32Array.from([1, -1])]]), 0.01);
    plainB.applyArrays(new Map([['b', Float32Array.from([1, 2])]]), 0.03);
    expect(Array.from(pa.get('a')!.dataSync())).toEqual(Array.from(pb.get('a')!.dataSync()));
    expect(Array.from(pa.get('b')!.dataSync())).toEqual(Array.from(pb.get('b')!.dataSync()));
    // first step moves each entry by lr·scale·g/(|g| + ε): b by 0.03 each, a by 0.01 each
    expect(scaled.lastStepAbsMedian((n) => n === 'b')).toBeCloseTo(0.03, 6);
    expect(scaled.lastStepAbsMedian(() => true)).toBeCloseTo(0.02, 6); // median of [0.01, 0.01, 0.03, 0.03]
    // stageAdd on an unstaged parameter starts from zero
    scaled.stageAdd('a', Float32Array.from([2, 2]));
    expect(scaled.stagedSumSquares()).toBe(8);
    // the kept sums follow every change: re-staged, added to, discarded
    scaled.stage('a', Float32Array.from([3, 0]));
    expect(scaled.stagedSumSquares()).toBe(9);
    scaled.stageAdd('a', Float32Array.from([1, 1]));
    expect(scaled.stagedSumSquares()).toBe(16 + 1);
    scaled.stage('b', Float32Array.from([0, 2]));
    expect(scaled.stagedSumSquares()).toBe(17 + 4);
    scaled.discardStaged();
    expect(scaled.stagedSumSquares()).toBe(0);
    expect(() => new Adam(pa, 0.9, 0.999, 1e-8, new Map([['c', 2]]))).toThrow(/unknown parameter 'c'/);
    expect(() => new Adam(pa, 0.9, 0.999, 1e-8, new Map([['a', 0]]))).toThrow(/'a' must be a finite number > 0/);
  });

  it('hold / stageHeld: a term kept aside is added later as stageAdd adds it; addToStaged sums contributions; sums in parameter order', () => {
    const mk = () => new Map([['a', tf.variable(tf.tensor1d([1, 2, 3]))], ['b', tf.variable(tf.tensor1d([4, 5]))]]);
    const [pa, pb] = [mk(), mk()];
    const [held, added] = [new Adam(pa), new Adam(pb)];
    const kl = { a: Float32Array.from([0.5, -1, 2]), b: Float32Array.from([3, 0.25]) };
    // the KL's terms arrive first (held, the second one for b in two parts), then the PPO gradients
    held.hold('b', Float32Array.from([1, 0.25]));
    held.hold('b', Float32Array.from([2, 0]));
    held.hold('a', kl.a);
    expect(held.holds('a') && held.holds('b')).toBe(true);
    held.stage('b', Float32Array.from([1, 1])); // staged out of the parameters' order
    held.stage('a', Float32Array.from([0.1, 0.2, 0.3]));
    held.addToStaged('a', Float32Array.from([0.1, 0.1, 0.1]));
    added.stage('a', Float32Array.from([Math.fround(0.1 + 0.1), Math.fround(0.2 + 0.1), Math.fround(0.3 + 0.1)]));
    added.stage('b', Float32Array.from([1, 1]));
    expect(held.stagedSumSquares()).toBe(added.stagedSumSquares());
    const first = { all: held.stagedSumSquares(), a: held.stagedSumSquares((n) => n === 'a') };
    expect(held.firstSumSquares()).toBe(first.all);
    expect(held.stageHeld('a')).toBe(added.stageAdd('a', kl.a));
    expect(held.stageHeld('b')).toBe(added.stageAdd('b', kl.b));
    // the first terms' sums (the PPO gradient's norm) stay those from before the adds, bit for bit
    expect(held.firstSumSquares()).toBe(first.all);
    expect(held.firstSumSquares((n) => n === 'a')).toBe(first.a);
    expect(held.stagedSumSquares()).not.toBe(first.all);
    expect(held.holds('a')).toBe(false);
    expect(() => held.stageHeld('a')).toThrow(/no held gradient term for 'a'/);
    expect(held.stagedSumSquares()).toBe(added.stagedSumSquares());
    held.applyStaged(0.1);
    added.applyStaged(0.1);
    for (const k of ['a', 'b']) expect(Array.from(pa.get(k)!.dataSync())).toEqual(Array.from(pb.get(k)!.dataSync()));
    // a held term does not outlive a step or a discard; addToStaged on an unstaged parameter stages it
    held.hold('a', kl.a);
    held.discardStaged();
    expect(held.holds('a')).toBe(false);
    held.addToStaged('b', Float32Array.from([3, 4]));
    expect(held.stagedSumSquares()).toBe(25);
    expect(() => held.hold('a', Float32Array.from([1]))).toThrow(/gradient of 'a' has 1 values, parameter has 3/);
  });

  it('stageTarget / holdTarget: arrays written in place are staged and held without a copy, as stage and hold would', () => {
    const mk = () => new Map([['a', tf.variable(tf.tensor1d([1, 2, 3]))]]);
    const [pa, pb] = [mk(), mk()];
    const [inPlace, copied] = [new Adam(pa), new Adam(pb)];
    const x = inPlace.holdTarget('a')!;
    x.values().set([0.5, -1, 2]);
    inPlace.hold('a', x.values());
    expect(inPlace.holdTarget('a')).toBeNull(); // a term is held: the next one is added by hold
    copied.hold('a', Float32Array.from([0.5, -1, 2]));
    const g = inPlace.stageTarget('a')!;
    g.values().set([3, 0, 4]);
    inPlace.stage('a', g.values());
    expect(inPlace.stageTarget('a')).toBeNull();
    copied.stage('a', Float32Array.from([3, 0, 4]));
    expect(inPlace.stagedSumSquares()).toBe(25);
    expect(inPlace.stageHeld('a')).toBe(copied.stageHeld('a'));
    inPlace.applyStaged(0.1);
    copied.applyStaged(0.1);
    expect(Array.from(pa.get('a')!.dataSync())).toEqual(Array.from(pb.get('a')!.dataSync()));
    expect(inPlace.stageTarget('a')).not.toBeNull(); // free again after the step
    expect(() => inPlace.stageTarget('b')).toThrow(/no parameter 'b'/);
  });

  it('lastStepAbsMedian samples large parameters with a fixed stride and forgets parameters without a step', () => {
    const big = tf.variable(tf.zeros([10000]));
    const small = tf.variable(tf.zeros([4]));
    const adam = new Adam(new Map([['big', big], ['small', small]]), 0.9, 0.999, 1e-8);
    // |g| grows with the index, but Adam's first step is lr·sign(g): every |Δ| = lr
    adam.applyArrays(new Map([['big', Float32Array.from({ length: 10000 }, (_, i) => (i % 2 ? 1 : -1) * (i + 1))]]), 0.5);
    expect(adam.lastStepAbsMedian(() => true, 100)).toBeCloseTo(0.5, 6);
    expect(Number.isNaN(adam.lastStepAbsMedian((n) => n === 'small'))).toBe(true);
    adam.applyArrays(new Map([['small', Float32Array.from([1, 1, 1, 1])]]), 0.25);
    expect(Number.isNaN(adam.lastStepAbsMedian((n) => n === 'big'))).toBe(true); // big took no step this time
  });
});
