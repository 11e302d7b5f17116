import { median } from '@varshare/base';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { setKernelThreads } from '../ops/hotOps';
import type { UnionQuery } from './medianKernel';
import { wasmKernels } from './wasmKernels';

/** `values` written to a resident region; returns its float offset and a release function. */
function resident(values: Float32Array): { off: number; release: () => void } {
  const k = wasmKernels()!;
  const r = k.memory.resident(values.length);
  k.memory.write(r, values);
  return { off: r.off, release: () => k.memory.release(r) };
}

/** `median` of a query's values, concatenated (absolute values when `abs`). */
function reference(all: Float32Array, base: number, q: UnionQuery): number {
  const parts = q.parts.map(([off, len]) => all.subarray(off - base, off - base + len));
  const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    joined.set(q.abs ? p.map(Math.abs) : p, o);
    o += p.length;
  }
  return median(joined);
}

afterAll(() => setKernelThreads(1));

describe('MedianKernel (median.wat: exact medians of unions of kernel-memory ranges)', () => {
  it("equals @varshare/base's median on unions of ranges: odd and even counts, |x|, signs, spreads, sizes on both sides of the radix threshold, 1 and 2 threads", () => {
    const rng = new Rng(11);
    const n = 300_000;
    const all = new Float32Array(n);
    // a clustered block (σ-like), a wide one spanning many binades (μ-like, both signs), integers with ties
    for (let i = 0; i < n; i++) {
      if (i < 100_000) all[i] = 0.001 * (1 + 1e-4 * rng.normal());
      else if (i < 200_000) all[i] = rng.normal() * Math.exp(6 * rng.normal());
      else all[i] = Math.floor(rng.normal() * 5) + 0.5;
    }
    const { off, release } = resident(all);
    const queries: UnionQuery[] = [
      { abs: false, parts: [[off, 1]] },
      { abs: false, parts: [[off + 7, 2]] },
      { abs: true, parts: [[off + 100_000, 3]] },
      { abs: false, parts: [[off, 100_000]] },
      { abs: true, parts: [[off + 100_000, 99_999]] },
      { abs: false, parts: [[off + 100_000, 100_000]] },
      { abs: false, parts: [[off + 200_000, 100_000]] },
      { abs: true, parts: [[off + 200_000, 77_777], [off + 5, 1000], [off + 150_000, 1]] },
      { abs: false, parts: [[off, 300_000]] },
      { abs: true, parts: [[off, 131_073], [off + 131_073, 131_072]] },
      { abs: false, parts: [[off + 50, 0], [off + 60, 5]] },
    ];
    const want = queries.map((q) => reference(all, off, q));
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const got = wasmKernels()!.median.medians(queries);
      got.forEach((g, j) => expect(g, `query ${j} at ${threads} thread(s)`).toBe(want[j]));
    }
    setKernelThreads(1);
    release();
  });

  it('NaN for a union holding a NaN or no value; a NaN elsewhere does not reach other queries', () => {
    const values = Float32Array.from([3, 1, Number.NaN, 2, 5]);
    const { off, release } = resident(values);
    const got = wasmKernels()!.median.medians([
      { abs: false, parts: [[off, 5]] },
      { abs: true, parts: [[off + 2, 1]] },
      { abs: false, parts: [] },
      { abs: false, parts: [[off, 2], [off + 3, 2]] },
    ]);
    expect(got[0]).toBeNaN();
    expect(got[1]).toBeNaN();
    expect(got[2]).toBeNaN();
    expect(got[3]).toBe(2.5);
    expect(wasmKernels()!.median.medians([])).toEqual([]);
    release();
  });

  it('refuses a range outside the kernel memory', () => {
    const k = wasmKernels()!;
    expect(() => k.median.medians([{ abs: false, parts: [[k.memory.floats().length - 1, 2]] }])).toThrow(/outside the kernel memory/);
  });
});
