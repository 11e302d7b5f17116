import { checkSizes, type KernelMemory } from './kernelMemory';
import { splitRange, type KernelPool } from './kernelThreads';

/** gemm.wat's exports (byte offsets). */
export interface GemmExports {
  bgemm(a: number, b: number, c: number, T: number, n: number, k: number, m: number): void;
  bgemmrows(a: number, b: number, c: number, T: number, n: number, k: number, m: number, r0: number, rows: number): void;
  copy2d(src: number, dst: number, T: number, rows: number, cols: number, sRow: number, sCol: number, sBatch: number, dRow: number, dBatch: number): void;
  packa(src: number, dst: number, T: number, n: number, k: number, np: number, trans: number): void;
}

/** Matmul work done by the kernel since the last reset (see {@link MatmulKernel.stats}). */
export interface KernelStats {
  /** Products computed (each a batch of T matrices). */
  readonly calls: number;
  /** 2·T·n·k·m summed over the products. */
  readonly flops: number;
  /** Wall milliseconds spent in the products, operand packing included. */
  readonly ms: number;
  /** Products whose kernel call was split over more than one thread (see `setKernelThreads`). */
  readonly threadedCalls: number;
}

const ceilTo = (x: number, q: number): number => Math.ceil(x / q) * q;

/**
 * A product is split over threads only with at least this many multiply-adds per part (~0.4–0.8 ms
 * of kernel time at the 10–20 GFLOP/s measured here, against a 14–200 µs dispatch round trip): the
 * update's 400-wide per-task products (~100 M) are split, the rollout's (4 rows per task, ~6 M)
 * are not — splitting those measured slower.
 */
export const MIN_MACS_PER_PART = 1 << 22;
/** Rows a product of few rows counts as when its B is streamed per task (see {@link MatmulKernel.bgemm}). */
const MIN_ROWS_EQUIVALENT = 16;
/** Likewise for a strided copy, in floats copied per part. */
export const MIN_COPIES_PER_PART = 1 << 16;

/**
 * Batched float32 matrix products on a small hand-written WebAssembly SIMD kernel (`gemm.wat`):
 * C_t = op(A_t) · op(B_t) for t < T, op(A_t) `[n, k]`, op(B_t) `[k, m]`, where op is the identity
 * or, when the operand is flagged transposed, the transpose of how it is stored (A_t stored
 * `[k, n]`, B_t stored `[m, k]`). Operands are copied (and transposed, and padded to the kernel's
 * 4-row × 8-column tile) in the {@link KernelMemory}, so inputs may be views of another wasm heap;
 * A always, into the panel layout the micro-kernel reads with broadcast loads at fixed offsets
 * (1.13–1.30× per product, packing included, against reading four strided rows, on the arm-mt10
 * and cartpole-mt shapes: tools/bench/gemm-ab.mjs), B only when transposed or padded.
 *
 * Each output entry is Σ_p a[i,p]·b[p,j] accumulated in increasing p in float32, each term by a
 * fused multiply-add where the CPU has one (relaxed SIMD, see gemm.wat; one rounding per term), so
 * results do not depend on T, on padding, on the other rows or on the thread count.
 *
 * The tfjs-wasm batched matmul runs a generic loop (2–4 GFLOP/s measured); this kernel is what the
 * VarShare layers' per-task products use on that backend (`HotOps.groupedMatMul`, and inside the
 * dense layer's kernel).
 */
export class MatmulKernel {
  private counters = { calls: 0, flops: 0, ms: 0, threadedCalls: 0 };

  constructor(
    private x: GemmExports,
    private readonly memory: KernelMemory,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** Works through `x` from now on: the same module instantiated on the memory the {@link KernelMemory} was moved to. */
  rebind(x: GemmExports): void {
    this.x = x;
  }

  /** Matmul calls, flops and wall milliseconds since the last {@link resetStats}. */
  stats(): KernelStats {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = { calls: 0, flops: 0, ms: 0, threadedCalls: 0 };
  }

  /**
   * op(A)·op(B) for operands already in the memory (float offsets, this call's arena or resident);
   * returns the float offset of C, `[T, n, m]` contiguous: `out` when given (e.g. a resident region
   * of T·n·m floats), else in the arena.
   */
  productAt(aOff: number, transA: boolean, bOff: number, transB: boolean, T: number, n: number, k: number, m: number, out?: number): number {
    const t0 = performance.now();
    const mem = this.memory;
    const np = ceilTo(n, 4);
    const mp = ceilTo(m, 8);
    const packB = transB || mp !== m;
    // A is always packed into the kernel's panel layout (blocks of 4 rows, the 4 values of each
    // column adjacent), zero rows to np; B's pad columns are left as they are: they only reach C's
    // pad columns, never read. op(B)[p, j] is raw[j·k + p] when transposed, raw[p·m + j] otherwise.
    const a = mem.alloc(T * np * k);
    this.packa(aOff, a, T, n, k, np, transA);
    let b = bOff;
    if (packB) {
      b = mem.alloc(T * k * mp);
      this.copy2d(bOff, b, T, k, m, transB ? 1 : m, transB ? k : 1, k * m, mp, k * mp);
    }
    const padded = np !== n || mp !== m;
    let c = out !== undefined && !padded ? out : mem.alloc(T * np * mp);
    this.bgemm(a, b, c, T, np, k, mp);
    if (padded) {
      const dst = out ?? mem.alloc(T * n * m);
      this.copy2d(c, dst, T, n, m, mp, 1, np * mp, m, n * m);
      c = dst;
    }
    const s = this.counters;
    s.calls += 1;
    s.flops += 2 * T * n * k * m;
    s.ms += performance.now() - t0;
    return c;
  }

  /**
   * gemm.wat's bgemm on float offsets, split over the pool's threads when it is large enough: by
   * task when the tasks divide evenly over the parts (each thread then reads only its own tasks'
   * B_t), else by blocks of 4 rows of every task (`bgemmrows`). Each C entry is the same sum
   * either way.
   */
  bgemm(a: number, b: number, c: number, T: number, np: number, k: number, mp: number): void {
    const pool = this.pool?.threads;
    // A few rows against large per-task B_t (acting: 4 rows per task of arm-mt10's 400 × 400) is
    // bound by streaming B, not by the multiply-adds: split by task once B alone is large (and the
    // tasks divide evenly: split by rows, each thread would stream every B_t).
    let parts = pool ? pool.partsFor(T * np * k * mp, MIN_MACS_PER_PART) : 1;
    if (pool && parts === 1) {
      const byB = pool.partsFor(T * k * mp * MIN_ROWS_EQUIVALENT, MIN_MACS_PER_PART);
      if (byB > 1 && T % byB === 0) parts = byB;
    }
    if (!pool || parts === 1) {
      this.x.bgemm(a * 4, b * 4, c * 4, T, np, k, mp);
      return;
    }
    // arm-mt10's T = 10 products (64 × 400 · 400 × 400 per task) on two threads: by task 1.38–1.66×
    // one thread (tools/bench/gemm.ts, two runs); by rows of every task no faster than one thread
    // (measured with a temporary switch: each thread streams every task's 640 KB B_t through its
    // cache for half the rows).
    const args =
      T % parts === 0
        ? splitRange(T, parts).map(([t, tn]) => [(a + t * np * k) * 4, (b + t * k * mp) * 4, (c + t * np * mp) * 4, tn, np, k, mp, 0, np])
        : splitRange(np, parts, 4).map(([r, rn]) => [a * 4, b * 4, c * 4, T, np, k, mp, r, rn]);
    pool.run('gemm.bgemmrows', args, this.x.bgemmrows);
    this.counters.threadedCalls += 1;
  }

  /** gemm.wat's packa on float offsets (A_t `[n, k]`, or stored `[k, n]` when `trans`, into the panel layout), split by task when large. */
  packa(src: number, dst: number, T: number, n: number, k: number, np: number, trans: boolean): void {
    const pool = this.pool?.threads;
    const parts = pool && T > 1 ? pool.partsFor(T * np * k, MIN_COPIES_PER_PART) : 1;
    if (!pool || parts === 1) {
      this.x.packa(src * 4, dst * 4, T, n, k, np, trans ? 1 : 0);
      return;
    }
    const args = splitRange(T, parts).map(([t, tn]) => [(src + t * n * k) * 4, (dst + t * np * k) * 4, tn, n, k, np, trans ? 1 : 0]);
    pool.run('gemm.packa', args, this.x.packa);
  }

  /** gemm.wat's copy2d on float offsets (strides in floats), split by task or by rows when large. */
  copy2d(src: number, dst: number, T: number, rows: number, cols: number, sRow: number, sCol: number, sBatch: number, dRow: number, dBatch: number): void {
    const pool = this.pool?.threads;
    const parts = pool ? pool.partsFor(T * rows * cols, MIN_COPIES_PER_PART) : 1;
    if (!pool || parts === 1) {
      this.x.copy2d(src * 4, dst * 4, T, rows, cols, sRow, sCol, sBatch, dRow, dBatch);
      return;
    }
    const args =
      T > 1
        ? splitRange(T, parts).map(([t, tn]) => [(src + t * sBatch) * 4, (dst + t * dBatch) * 4, tn, rows, cols, sRow, sCol, sBatch, dRow, dBatch])
        : splitRange(rows, parts).map(([r, rn]) => [(src + r * sRow) * 4, (dst + r * dRow) * 4, 1, rn, cols, sRow, sCol, sBatch, dRow, dBatch]);
    pool.run('gemm.copy2d', args, this.x.copy2d);
  }

  /**
   * C = op(A) · op(B), batched over T.
   * @param a T blocks, each `[n, k]` (or `[k, n]` when `transA`)
   * @param b T blocks, each `[k, m]` (or `[m, k]` when `transB`)
   * @param copy when false the result is a view of the kernel's memory, valid until the next call
   *   (for callers that copy it at once). Defaults to true.
   * @returns T blocks `[n, m]`
   */
  bmm(a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, T: number, n: number, k: number, m: number, copy = true): Float32Array {
    checkSizes('MatmulKernel.bmm', { T, n, k, m });
    if (a.length !== T * n * k) throw new Error(`MatmulKernel.bmm: a has ${a.length} values, expected T·n·k = ${T * n * k}`);
    if (b.length !== T * k * m) throw new Error(`MatmulKernel.bmm: b has ${b.length} values, expected T·k·m = ${T * k * m}`);
    const mem = this.memory;
    mem.beginCall();
    const c = this.productAt(mem.put(a), transA, mem.put(b), transB, T, n, k, m);
    const out = mem.view(c, T * n * m);
    return copy ? out.slice() : out;
  }
}
