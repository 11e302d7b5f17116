import { afterAll, describe, expect, it } from 'vitest';
import { SUM_SQUARES_BLOCK, adamStepConstants, adamStepReference, addIntoReference, sumSquaresReference } from '../adamStep';
import { Rng } from '../rng';
import { initBackend, tf } from '../backend';
import { AdamKernel } from './adamKernel';
import type { HeapBackend } from './heap';
import { deferredCount } from './deferredTensor';
import { releaseResident, residentOf } from './residentTensor';
import { wasmKernels } from './wasmKernels';

const standalone = () => AdamKernel.create()!;

describe('AdamKernel (adam.wat)', () => {
  afterAll(() => wasmKernels()!.pool.set(1));

  it('steps bit-identically to adamStepReference and sums squares in sumSquaresReference’s order, for odd lengths', () => {
    const rng = new Rng(5);
    for (const n of [1, 3, 4, 9, 1001]) {
      const kernel = standalone();
      const [p, g, m, v] = [kernel.alloc(n), kernel.alloc(n), kernel.alloc(n), kernel.alloc(n)];
      expect(Array.from(m.values()).every((x) => x === 0)).toBe(true);
      p.values().set(Float32Array.from({ length: n }, () => rng.normal()));
      const ref = { p: p.values().slice(), m: new Float32Array(n), v: new Float32Array(n) };
      for (let t = 1; t <= 4; t++) {
        g.values().set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(7) - 4)));
        expect(kernel.sumSquares(g)).toBe(sumSquaresReference(g.values()));
        const k = adamStepConstants(1e-3, 0.9, 0.999, 1e-5, t, t === 2 ? 0.5 : 1);
        kernel.step(p, g, m, v, k);
        adamStepReference(ref.p, g.values(), ref.m, ref.v, k);
      }
      expect(Array.from(p.values())).toEqual(Array.from(ref.p));
      expect(Array.from(m.values())).toEqual(Array.from(ref.m));
      expect(Array.from(v.values())).toEqual(Array.from(ref.v));
    }
    // an order the lanes tell apart from a running sum (see adamStep.test.ts): 1 + 2^−52, not 1
    const kernel = standalone();
    const g = kernel.alloc(6);
    g.values().set([1, 2 ** -27, 0, 2 ** -27, 0, 2 ** -27]);
    expect(kernel.sumSquares(g)).toBe(1 + 2 ** -52);
  });

  it('adds a second term in float32 bit-identically to addIntoReference (Math.fround(g + x)) and returns its Σ x², the new Σ g² and the Σ g² before', () => {
    const rng = new Rng(8);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 1001, 1002]) {
      const kernel = standalone();
      const [g, x] = [kernel.alloc(n), kernel.alloc(n)];
      g.values().set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4)));
      x.values().set(Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4)));
      const ref = g.values().slice();
      const g0 = ref.slice();
      const xs = x.values().slice();
      const want = addIntoReference(ref, xs);
      // the reference is the float32 sum: check it against Math.fround on every element
      expect(Array.from(ref)).toEqual(Array.from(g.values(), (v, i) => Math.fround(v + (xs[i] as number))));
      expect(kernel.addInto(g, x)).toEqual(want);
      expect(want.added).toBe(sumSquaresReference(xs));
      expect(want.total).toBe(sumSquaresReference(ref));
      expect(want.before).toBe(sumSquaresReference(g0));
      expect(Array.from(g.values())).toEqual(Array.from(ref));
    }
    // the lanes' order, as for sumSquares: 1 + 2^−52 for the sums, not 1 (and for the sum before)
    const k6 = standalone();
    const [g6, x6] = [k6.alloc(6), k6.alloc(6)];
    x6.values().set([1, 2 ** -27, 0, 2 ** -27, 0, 2 ** -27]);
    expect(k6.addInto(g6, x6)).toEqual({ added: 1 + 2 ** -52, total: 1 + 2 ** -52, before: 0 });
    x6.values().fill(0);
    expect(k6.addInto(g6, x6)).toEqual({ added: 0, total: 1 + 2 ** -52, before: 1 + 2 ** -52 });
    const kernel = standalone();
    expect(() => kernel.addInto(kernel.alloc(2), k6.alloc(2))).toThrow(/must come from alloc/);
    expect(() => kernel.addInto(kernel.alloc(1), kernel.alloc(2))).toThrow(/different lengths/);
  });

  it('hands out disjoint zeroed regions, refuses arrays it did not hand out, and gives them back on dispose', () => {
    const kernel = standalone();
    const a = kernel.alloc(4);
    const b = kernel.alloc(6);
    a.values().fill(1);
    expect(Array.from(b.values()).every((x) => x === 0)).toBe(true);
    expect(() => kernel.alloc(0)).toThrow(/positive integer/);
    const other = standalone().alloc(4);
    expect(() => kernel.sumSquares(other)).toThrow(/must come from alloc/);
    expect(() => kernel.step(a, other, a, a, adamStepConstants(1e-3, 0.9, 0.999, 1e-5, 1, 1))).toThrow(/must come from alloc/);
    kernel.dispose();
    expect(() => kernel.sumSquares(a)).toThrow(/must come from alloc/);
    expect(() => kernel.alloc(1)).toThrow(/disposed/);
    // a region given back is handed out again, zeroed
    const shared = wasmKernels()!;
    const first = shared.adam.arrays();
    const x = first.alloc(1000);
    x.values().fill(7);
    first.dispose();
    const again = shared.adam.arrays().alloc(1000);
    expect(Array.from(again.values()).every((v) => v === 0)).toBe(true);
  });

  it('a large step split over 2 and 3 kernel threads is bit-identical to one thread, and the arrays follow the memory to the shared one and back', () => {
    const k = wasmKernels()!;
    const n = 200003;
    const rng = new Rng(9);
    const init = { p: Float32Array.from({ length: n }, () => rng.normal()), g: Float32Array.from({ length: n }, () => rng.normal()) };
    const results = [1, 2, 3, 1].map((threads) => {
      k.pool.set(threads);
      const before = k.pool.threads?.splitCalls ?? 0;
      const mem = k.adam.arrays();
      const [p, g, m, v] = [mem.alloc(n), mem.alloc(n), mem.alloc(n), mem.alloc(n)];
      p.values().set(init.p);
      g.values().set(init.g);
      for (let t = 1; t <= 3; t++) mem.step(p, g, m, v, adamStepConstants(1e-3, 0.9, 0.999, 1e-5, t, 0.7));
      if (threads > 1) expect((k.pool.threads?.splitCalls ?? 0) - before).toBe(3);
      // moving the kernels keeps the arrays (offsets and values)
      k.pool.set(threads === 1 ? 2 : 1);
      const out = { p: p.values().slice(), m: m.values().slice(), v: v.values().slice() };
      mem.dispose();
      return out;
    });
    k.pool.set(1);
    for (const r of results.slice(1)) {
      for (const key of ['p', 'm', 'v'] as const) expect(Buffer.from(r[key].buffer).equals(Buffer.from(results[0]![key].buffer))).toBe(true);
    }
  });
});

describe('AdamKernel: sums of squares of long arrays by blocks', () => {
  afterAll(() => wasmKernels()!.pool.set(1));

  it('Σ g² and addInto over several blocks equal the references at 1, 2 and 3 threads (whole blocks per thread)', () => {
    const k = wasmKernels()!;
    const rng = new Rng(11);
    for (const n of [SUM_SQUARES_BLOCK - 1, SUM_SQUARES_BLOCK + 1, 3 * SUM_SQUARES_BLOCK + 7, 5 * SUM_SQUARES_BLOCK]) {
      const g0 = Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4));
      const x0 = Float32Array.from({ length: n }, () => rng.normal() * 10 ** (rng.nextInt(9) - 4));
      const ref = g0.slice();
      const want = addIntoReference(ref, x0.slice());
      const wantSq = sumSquaresReference(g0);
      for (const threads of [1, 2, 3]) {
        k.pool.set(threads);
        const before = k.pool.threads?.splitCalls ?? 0;
        const mem = k.adam.arrays();
        const [g, x] = [mem.alloc(n), mem.alloc(n)];
        g.values().set(g0);
        x.values().set(x0);
        expect(mem.sumSquares(g)).toBe(wantSq);
        expect(mem.addInto(g, x)).toEqual(want);
        expect(Buffer.from(g.values().slice().buffer).equals(Buffer.from(ref.buffer))).toBe(true);
        // both calls split over the helpers from two blocks’ worth of elements (MIN_ELEMENTS_PER_PART)
        if (threads > 1) expect((k.pool.threads?.splitCalls ?? 0) - before).toBe(n >= 2 * SUM_SQUARES_BLOCK ? 2 : 0);
        mem.dispose();
      }
    }
  });
});

describe('AdamKernel.assigned: the kernels read a variable from the optimizer’s copy', () => {
  it('residentOf returns the parameter’s region in place while its tag is the variable’s dataId, and copies again once either changes', async () => {
    await initBackend('wasm');
    const k = wasmKernels()!;
    const be = tf.backend() as unknown as HeapBackend;
    const mem = k.adam.arrays();
    const n = 10;
    const v = tf.variable(tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i)));
    const [p, g, m, s] = [mem.alloc(n), mem.alloc(n), mem.alloc(n), mem.alloc(n)];
    p.values().set(v.dataSync());
    g.values().fill(1);
    const step = () => {
      mem.step(p, g, m, s, adamStepConstants(0.1, 0.9, 0.999, 1e-5, 1, 1));
      v.assign(tf.tensor1d(p.values()));
      mem.assigned(p, v);
    };
    step();
    const r = residentOf(k.memory, v, be);
    expect(Array.from(k.memory.read(r))).toEqual(Array.from(v.dataSync()));
    // in place: the region is p's, so a write to p shows through it
    expect(k.memory.read(r)).toEqual(p.values());
    expect(r.off).toBe(k.memory.read(r).byteOffset / 4);
    expect(p.values().byteOffset).toBe(r.off * 4);
    // the variable assigned by someone else: its own region, with its values
    v.assign(tf.tensor1d(new Float32Array(n).fill(-3)));
    const own = residentOf(k.memory, v, be);
    expect(own.off).not.toBe(r.off);
    expect(Array.from(k.memory.read(own))).toEqual(new Array(n).fill(-3));
    // p stepped but the variable not yet assigned: not read through p
    p.values().set(v.dataSync());
    step();
    expect(residentOf(k.memory, v, be).off).toBe(p.values().byteOffset / 4);
    mem.step(p, g, m, s, adamStepConstants(0.1, 0.9, 0.999, 1e-5, 2, 1));
    expect(Array.from(k.memory.read(residentOf(k.memory, v, be)))).toEqual(Array.from(v.dataSync()));
    expect(residentOf(k.memory, v, be).off).not.toBe(p.values().byteOffset / 4);
    releaseResident(v);
    mem.dispose();
    v.dispose();
  });
});

describe('AdamKernel.stepVariable: the stepped values reach the variable without a copy until read through tfjs', () => {
  const n = 12;
  const k1 = (t: number) => adamStepConstants(0.1, 0.9, 0.999, 1e-5, t, 1);
  /** The reference: p stepped on plain arrays. */
  const reference = (init: Float32Array, steps: number) => {
    const [p, m, v] = [init.slice(), new Float32Array(n), new Float32Array(n)];
    for (let t = 1; t <= steps; t++) adamStepReference(p, new Float32Array(n).fill(1), m, v, k1(t));
    return p;
  };

  it('a tfjs op, dataSync and the kernels (in place) all see the stepped values; a tensor freed unread is never copied', async () => {
    await initBackend('wasm');
    const k = wasmKernels()!;
    const be = tf.backend() as unknown as HeapBackend;
    const init = Float32Array.from({ length: n }, (_, i) => i - 5);
    const v = tf.variable(tf.tensor1d(init));
    const mem = k.adam.arrays();
    const [p, g, m, s] = [mem.alloc(n), mem.alloc(n), mem.alloc(n), mem.alloc(n)];
    g.values().fill(1);
    const before = deferredCount();
    mem.stepVariable(v, p, g, m, s, k1(1), true);
    expect(deferredCount()).toBe(before + 1);
    // the kernels read p in place
    expect(residentOf(k.memory, v, be).off).toBe(p.values().byteOffset / 4);
    // an op reading the variable gets the values (copied in at that read)
    const doubled = tf.tidy(() => tf.mul(v, 2));
    expect(deferredCount()).toBe(before);
    expect(Array.from(doubled.dataSync())).toEqual(Array.from(reference(init, 1), (x) => Math.fround(2 * x)));
    doubled.dispose();
    // a second step: unread, then the next step frees it (no copy), dataSync reads the third
    mem.stepVariable(v, p, g, m, s, k1(2), false);
    mem.stepVariable(v, p, g, m, s, k1(3), false);
    expect(deferredCount()).toBe(before + 1);
    expect(Array.from(v.dataSync())).toEqual(Array.from(reference(init, 3)));
    expect(deferredCount()).toBe(before);
    // disposed before any read: forgotten
    mem.stepVariable(v, p, g, m, s, k1(4), false);
    v.dispose();
    expect(deferredCount()).toBe(before);
    releaseResident(v);
    mem.dispose();
  });

  it('a tensor still held elsewhere keeps the values of its step when p steps again; disposing the optimizer settles what it deferred', async () => {
    await initBackend('wasm');
    const k = wasmKernels()!;
    const init = Float32Array.from({ length: n }, (_, i) => 0.5 * i);
    const v = tf.variable(tf.tensor1d(init));
    const mem = k.adam.arrays();
    const [p, g, m, s] = [mem.alloc(n), mem.alloc(n), mem.alloc(n), mem.alloc(n)];
    g.values().fill(1);
    mem.stepVariable(v, p, g, m, s, k1(1), true);
    const kept = tf.clone(v); // shares the variable's data
    mem.stepVariable(v, p, g, m, s, k1(2), false);
    expect(Array.from(kept.dataSync())).toEqual(Array.from(reference(init, 1)));
    mem.stepVariable(v, p, g, m, s, k1(3), false);
    mem.dispose();
    expect(deferredCount()).toBe(0);
    expect(Array.from(v.dataSync())).toEqual(Array.from(reference(init, 3)));
    // p out of sync with the variable (assigned elsewhere): reload first
    const other = k.adam.arrays();
    const [p2, g2, m2, s2] = [other.alloc(n), other.alloc(n), other.alloc(n), other.alloc(n)];
    g2.values().fill(1);
    v.assign(tf.tensor1d(init));
    other.stepVariable(v, p2, g2, m2, s2, k1(1), true);
    expect(Array.from(v.dataSync())).toEqual(Array.from(reference(init, 1)));
    releaseResident(v);
    other.dispose();
    kept.dispose();
    v.dispose();
  });
});
