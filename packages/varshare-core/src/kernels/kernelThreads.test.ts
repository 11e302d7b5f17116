import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import type { DenseActivation } from './denseKernel';
import { sharedKernelMemory } from './instantiate';
import { KernelThreads, runsBySize, splitRange } from './kernelThreads';
import { MIN_MACS_PER_PART } from './matmulKernel';
import { wasmKernels } from './wasmKernels';

const k = wasmKernels();
if (!k) throw new Error('the wasm kernels did not compile');

afterAll(() => k.pool.set(1));

const normals = (rng: Rng, len: number, scale = 1, shift = 0) => Float32Array.from({ length: len }, () => shift + scale * rng.normal());

/** Runs `fn` at each thread count and returns the (copied) outputs. */
function atThreads<T>(counts: number[], fn: () => T): T[] {
  return counts.map((c) => {
    k!.pool.set(c);
    const before = k!.pool.threads?.splitCalls ?? 0;
    const out = fn();
    // with more than one thread, the calls were really split
    if (c > 1) expect(k!.pool.threads!.splitCalls).toBeGreaterThan(before);
    return out;
  });
}

describe('splitRange', () => {
  it('runsBySize deals whole items into contiguous runs of about equal total size', () => {
    expect(runsBySize([5, 1, 1, 5], 2)).toEqual([[0, 2], [2, 2]]);
    expect(runsBySize([10, 0, 0], 2)).toEqual([[0, 1], [1, 2]]);
    expect(runsBySize([1, 1, 1, 1, 1, 1], 3)).toEqual([[0, 2], [2, 2], [4, 2]]);
    expect(runsBySize([3, 4], 1)).toEqual([[0, 2]]);
    expect(runsBySize([7], 2)).toEqual([[0, 1]]);
    expect(runsBySize([], 2)).toEqual([]);
  });

  it('covers [0, total) with contiguous non-empty ranges starting at multiples of the quantum', () => {
    for (const [total, parts, q] of [
      [10, 2, 1],
      [11, 3, 4],
      [3, 8, 1],
      [4097, 2, 4],
      [1, 2, 4],
    ] as const) {
      const r = splitRange(total, parts, q);
      expect(r.length).toBe(Math.min(parts, Math.ceil(total / q)));
      let next = 0;
      for (const [start, len] of r) {
        expect(start).toBe(next);
        expect(start % q).toBe(0);
        expect(len).toBeGreaterThan(0);
        next = start + len;
      }
      expect(next).toBe(total);
    }
  });
});

describe('kernel threads', () => {
  it('split products are bit-identical to one thread: by row blocks of every task, A packed by task, transposed and padded operands', () => {
    const rng = new Rng(11);
    // big enough to be split: T·n·k·m well above MIN_MACS_PER_PART per part
    for (const [T, n, kk, m, transA, transB] of [
      [10, 40, 190, 130, false, false],
      [3, 62, 301, 197, true, false],
      [1, 300, 170, 190, false, true],
      // A's packing split by task too (T·np·k ≥ 2·MIN_COPIES_PER_PART), transposed and padded
      [4, 61, 600, 64, true, true],
    ] as const) {
      expect(T * Math.ceil(n / 4) * 4 * kk * Math.ceil(m / 8) * 8).toBeGreaterThan(2 * MIN_MACS_PER_PART);
      const a = normals(rng, T * n * kk);
      const b = normals(rng, T * kk * m);
      k.matmul.resetStats();
      const [one, two, three] = atThreads([1, 2, 3], () => k.matmul.bmm(a, transA, b, transB, T, n, kk, m));
      expect(Buffer.from(two!.buffer).equals(Buffer.from(one!.buffer))).toBe(true);
      expect(Buffer.from(three!.buffer).equals(Buffer.from(one!.buffer))).toBe(true);
      // and it is the product: one entry against float64
      const [i, j] = [n - 1, m - 2];
      let s = 0;
      for (let p = 0; p < kk; p++) s += a[transA ? p * n + i : i * kk + p]! * b[transB ? j * kk + p : p * m + j]!;
      expect(one![i * m + j]).toBeCloseTo(s, 3);
    }
  });

  it('the dense layer forward and backward with noise (effective weights, ∂ρ) are bit-identical at 1, 2 and 3 threads', () => {
    const [T, n, inDim, outDim] = [10, 24, 200, 200];
    const size = inDim * outDim;
    const rng = new Rng(5);
    const rho = normals(rng, T * size, 0.5, -3);
    const operands = {
      x: normals(rng, T * n * inDim),
      theta: normals(rng, size, 0.1),
      mu: normals(rng, T * size, 0.05),
      noise: { sigma: Float32Array.from(rho, (r) => Math.log1p(Math.exp(r))), eps: normals(rng, T * size) },
      T,
      n,
      inDim,
      outDim,
    };
    const dSigma = Float32Array.from(rho, (r) => 1 / (1 + Math.exp(-r)));
    const bias = normals(rng, outDim, 0.1);
    const dy = normals(rng, T * n * outDim);
    const act: DenseActivation = 'tanh';
    const runs = atThreads([1, 2, 3], () => {
      const y = k.dense.forward(operands, bias, act).slice();
      const g = k.dense.backward(operands, dy, dSigma, act, y);
      return [y, g.dx, g.dTheta, g.dBias, g.dMu, g.dRho].map((v) => Buffer.from((v as Float32Array).slice().buffer));
    });
    for (const run of runs.slice(1)) run.forEach((buf, i) => expect(buf.equals(runs[0]![i]!), `output ${i}`).toBe(true));
  });

  it('activations and their gradients over many rows (tanh, relu: split by element ranges) and the bias column sums are bit-identical at 1, 2 and 3 threads', () => {
    const [T, n, inDim, outDim] = [3, 150, 8, 444];
    const rng = new Rng(6);
    const operands = { x: normals(rng, T * n * inDim), theta: normals(rng, inDim * outDim, 0.5), mu: normals(rng, T * inDim * outDim, 0.5), noise: null, T, n, inDim, outDim };
    const bias = normals(rng, outDim, 0.1);
    const dy = normals(rng, T * n * outDim);
    // 199,800 activations, and ∂b summed over 450 rows of 444 columns: over the split threshold (2 × 65,536)
    for (const act of ['tanh', 'relu'] as const) {
      const runs = atThreads([1, 2, 3], () => {
        const y = k.dense.forward(operands, bias, act).slice();
        const g = k.dense.backward(operands, dy, null, act, y);
        return [y, g.dx, g.dTheta, g.dBias, g.dMu].map((v) => Buffer.from((v as Float32Array).slice().buffer));
      });
      for (const run of runs.slice(1)) run.forEach((buf, i) => expect(buf.equals(runs[0]![i]!), `${act} output ${i}`).toBe(true));
    }
  });

  it('a part that traps on a worker is reported as an error, and the pool keeps working', () => {
    const threads = new KernelThreads(
      { buffer: new SharedArrayBuffer(65536), grow: () => 0 },
      {},
      [],
      1,
    );
    expect(() => threads.run('gemm.bgemm', [[0]], () => undefined)).toThrow(/not a worker function/);
    void threads.close();
    k.pool.set(2);
    const pool = k.pool.threads as KernelThreads;
    const bgemm = (..._args: number[]) => undefined;
    // Part 1 reads far beyond the memory: the worker's call traps.
    expect(() => pool.run('gemm.bgemmrows', [[0, 0, 0, 1, 4, 1, 8, 0, 4], [0x7fff0000, 0, 0, 1, 4, 1, 8, 0, 4]], bgemm)).toThrow(/gemm.bgemmrows failed on worker 1/);
    const a = normals(new Rng(1), 64 * 64);
    const [one] = atThreads([1], () => k.matmul.bmm(a, false, a, false, 1, 64, 64, 64));
    k.pool.set(2);
    expect(Buffer.from(k.matmul.bmm(a, false, a, false, 1, 64, 64, 64).buffer).equals(Buffer.from(one!.buffer))).toBe(true);
  });

  it('a worker that cannot start is reported by the call that needs it, not waited on', async () => {
    const memory = sharedKernelMemory(1, 1)!;
    // the worker's start-up fails: a listed function that no module exports
    const threads = new KernelThreads(memory, {}, ['gemm.bgemm'], 2);
    let ran = 0;
    await new Promise((r) => setTimeout(r, 200));
    expect(() => threads.run('gemm.bgemm', [[1], [2]], () => void ran++)).toThrow(/worker 1: it could not start/);
    expect(ran).toBe(1); // the caller's part ran
    // and a call made before the worker has even failed waits for the failure, then reports it
    const early = new KernelThreads(memory, {}, ['gemm.bgemm'], 2);
    expect(() => early.run('gemm.bgemm', [[1], [2]], () => undefined)).toThrow(/could not start/);
    await Promise.all([threads.close(), early.close()]);
  });

  it('moves the kernels to a shared memory for helper threads and back to an unshared one, keeping resident regions', () => {
    k.pool.set(1);
    const isShared = () => k.memory.wasmMemory.buffer instanceof SharedArrayBuffer;
    expect(isShared()).toBe(false); // one thread: unshared (copies out of a SharedArrayBuffer are slower)
    const r = k.memory.resident(1000);
    const values = normals(new Rng(3), 1000);
    k.memory.write(r, values, values);
    k.pool.set(2);
    expect(isShared()).toBe(true);
    expect(Array.from(k.memory.read(r))).toEqual(Array.from(values));
    expect(r.tag).toBe(values);
    k.pool.set(1);
    expect(isShared()).toBe(false);
    expect(Array.from(k.memory.read(r))).toEqual(Array.from(values));
    k.memory.release(r);
  });

  it('the posterior pass follows the kernels to the shared memory and back (σ, σ\', log σ identical)', () => {
    const rho = normals(new Rng(4), 1000 + 7, 1, -3); // a tail beyond the kernel's 16 lanes
    const [one, two, back] = [1, 2, 1].map((c) => {
      k.pool.set(c);
      expect(k.memory.wasmMemory.buffer instanceof SharedArrayBuffer).toBe(c > 1);
      return k.posterior.compute(rho, 1007);
    });
    for (const p of [two!, back!]) {
      for (const key of ['sigma', 'dSigma', 'logSigma'] as const) expect(Buffer.from(p[key].buffer).equals(Buffer.from(one![key].buffer))).toBe(true);
      expect(Array.from(p.logSigmaSums)).toEqual(Array.from(one!.logSigmaSums));
    }
  });

  it('a large posterior pass split over 2 and 3 threads (σ, σ\', log σ by ranges, sums by blocks) is bit-identical to one thread', () => {
    // 5 blocks of 60,003 values: ≥ 2 parts of 65,536, a block boundary inside a part, an odd tail
    const block = 60003;
    const rho = normals(new Rng(5), 5 * block, 2, -4);
    const [one, ...split] = [1, 2, 3].map((c) => {
      k.pool.set(c);
      const before = k.pool.threads?.splitCalls ?? 0;
      const r = k.posterior.compute(rho, block);
      if (c > 1) expect((k.pool.threads?.splitCalls ?? 0) - before).toBe(2);
      return r;
    });
    k.pool.set(1);
    for (const p of split) {
      for (const key of ['sigma', 'dSigma', 'logSigma'] as const) expect(Buffer.from(p[key].buffer).equals(Buffer.from(one![key].buffer))).toBe(true);
      expect(Array.from(p.logSigmaSums)).toEqual(Array.from(one!.logSigmaSums));
    }
  });

  it('the KL forward and backward split by task over 2 and 3 threads are bit-identical to one thread', () => {
    const T = 5;
    const size = 30001; // odd: each task has a scalar tail
    const rng = new Rng(6);
    const mu = normals(rng, T * size, 0.05);
    const sigma = Float32Array.from(normals(rng, T * size, 0.01, 0.05), Math.abs);
    const dSigma = normals(rng, T * size, 0.1, 0.5);
    const d = normals(rng, T, 1, 1);
    const iv = [1e4, 2e4, 400, 1, 9e3];
    const [one, ...split] = atThreads([1, 2, 3], () => {
      const f = k.kl.forward(mu, sigma, iv, T, size);
      const b = k.kl.backward(mu, sigma, dSigma, d, iv, T, size);
      return { quad: Array.from(f.quad), muQuad: Array.from(f.muQuad), dMu: b.dMu.slice(), dRho: b.dRho.slice() };
    });
    k.pool.set(1);
    for (const s of split) {
      expect(s.quad).toEqual(one!.quad);
      expect(s.muQuad).toEqual(one!.muQuad);
      expect(Buffer.from(s.dMu.buffer).equals(Buffer.from(one!.dMu.buffer))).toBe(true);
      expect(Buffer.from(s.dRho.buffer).equals(Buffer.from(one!.dRho.buffer))).toBe(true);
    }
  });

  it('rejects a thread count that is not a positive integer', () => {
    expect(() => k.pool.set(0)).toThrow(/positive integer/);
    expect(() => k.pool.set(1.5)).toThrow(/positive integer/);
  });
});
