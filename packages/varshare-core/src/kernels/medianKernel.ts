import { keyToFloat } from '@varshare/base';
import type { KernelMemory } from './kernelMemory';
import { MIN_ELEMENTS_PER_PART, runsBySize, type KernelPool } from './kernelThreads';

/** median.wat's export (byte offsets in the kernel memory). */
export interface MedianExports {
  medians(jobs: number, count: number, scratch: number): void;
}

/**
 * The values of one median: float32 ranges of the kernel memory (float offset and length each, e.g.
 * a layer's μ of one task, read in place), taken as they are or as absolute values.
 */
export interface UnionQuery {
  readonly abs: boolean;
  readonly parts: readonly (readonly [offset: number, length: number])[];
}

/** Floats of one thread's scratch: pass 1's two histograms, 4 slots, pass 2's two histograms. */
const SCRATCH_FLOATS = 4 * 65536 + 4;
/** i32 per job record (see median.wat). */
const RECORD = 8;

/**
 * Exact medians of unions of float32 ranges of the {@link KernelMemory} on a WebAssembly kernel
 * (`median.wat`): the values `median` (@varshare/base) gives for the concatenated ranges (the
 * middle value, or the mean of the two middle values), NaN when a value is NaN or there are none —
 * the two-pass radix selection of `radixMedian`, with nothing copied. With helper threads
 * ({@link KernelPool}) the medians are dealt out in contiguous runs of about equal size, each
 * computed whole by one thread: the same values for every thread count. Measured on arm-mt10's
 * posterior diagnostics (153 medians over 24.5 M values): see `diagnostics.ts`.
 */
export class MedianKernel {
  constructor(
    private x: MedianExports,
    private readonly memory: KernelMemory,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** Works through `x` from now on (median.wat on the memory the kernels moved to). */
  rebind(x: MedianExports): void {
    this.x = x;
  }

  /** The median of each query's values, in query order. */
  medians(queries: readonly UnionQuery[]): number[] {
    const Q = queries.length;
    if (Q === 0) return [];
    const mem = this.memory;
    const floats = mem.floats().length;
    let totalParts = 0;
    const sizes = queries.map((q) => {
      let n = 0;
      for (const [off, len] of q.parts) {
        if (!(Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= floats)) throw new Error(`MedianKernel: range [${off}, ${off + len}) is outside the kernel memory (${floats} floats)`);
        n += len;
      }
      totalParts += q.parts.length;
      return n;
    });
    const total = sizes.reduce((a, b) => a + b, 0);
    const threads = this.pool?.threads;
    const nParts = threads ? Math.min(Q, threads.partsFor(total, MIN_ELEMENTS_PER_PART)) : 1;
    mem.beginCall();
    const jobs = mem.alloc(RECORD * Q);
    const table = mem.alloc(2 * totalParts);
    const scratch = Array.from({ length: nParts }, () => mem.alloc(SCRATCH_FLOATS));
    // (views after every allocation: one may have grown the memory)
    const i32 = new Int32Array(mem.wasmMemory.buffer);
    let t = table;
    queries.forEach((q, j) => {
      const r = jobs + RECORD * j;
      i32[r] = t * 4;
      i32[r + 1] = q.parts.length;
      i32[r + 2] = q.abs ? 0x7fffffff : -1;
      for (const [off, len] of q.parts) {
        i32[t++] = off * 4;
        i32[t++] = len;
      }
    });
    const args = runsBySize(sizes, nParts).map(([s, count], p) => [(jobs + RECORD * s) * 4, count, (scratch[p] as number) * 4]);
    if (threads && args.length > 1) threads.run('median.medians', args, this.x.medians);
    else for (const a of args) this.x.medians(a[0] as number, a[1] as number, a[2] as number);
    const out = new Float64Array(Q);
    const res = new Int32Array(mem.wasmMemory.buffer);
    for (let j = 0; j < Q; j++) {
      const r = jobs + RECORD * j;
      const flag = res[r + 5];
      if (flag !== 0) {
        out[j] = Number.NaN;
        continue;
      }
      const hi = keyToFloat((res[r + 4] as number) >>> 0);
      out[j] = (sizes[j] as number) % 2 === 1 ? hi : (keyToFloat((res[r + 3] as number) >>> 0) + hi) / 2;
    }
    return Array.from(out);
  }
}
