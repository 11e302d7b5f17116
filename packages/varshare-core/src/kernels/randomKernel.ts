import type { KernelMemory } from './kernelMemory';
import { MIN_ELEMENTS_PER_PART, runsBySize, type KernelPool } from './kernelThreads';

/** random.wat's exports (byte offsets in the kernel memory). */
export interface RandomExports {
  normals(out: number, n: number, state: number): void;
  jobs(table: number, count: number): void;
  log(x: number): number;
}

/** Alea's state (seedrandom 3.x): three fractions and the carry. */
export interface AleaState {
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
  readonly c: number;
}

/**
 * Standard normals of `randomNormalArray` (tfjs's Marsaglia polar method on seedrandom's Alea) on a
 * WebAssembly kernel (`random.wat`): the same float64 operations in the same order — Alea's step,
 * the polar rejection, fdlibm's logarithm (V8's `Math.log`) written out, `f64.sqrt` — so the same
 * float32 values. A value costs about what the JS loop's does (~26 ns: a chain of dependent
 * operations, Alea's carry and the logarithm's divisions); what the kernel adds is threads: each
 * request is one generator's stream, and with helper threads ({@link KernelPool}) whole requests are
 * dealt out in contiguous runs of about equal length (the same values at any thread count).
 */
export class RandomKernel {
  constructor(
    private x: RandomExports,
    private readonly memory: KernelMemory,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** Works through `x` from now on (random.wat on the memory the kernels moved to). */
  rebind(x: RandomExports): void {
    this.x = x;
  }

  /** fdlibm's log as the kernel computes it (for tests: Math.log's values on (0, 1)). */
  log(x: number): number {
    return this.x.log(x);
  }

  /** `n` normals from each Alea state, new arrays in request order. */
  normals(requests: readonly { readonly n: number; readonly state: AleaState }[]): Float32Array[] {
    const R = requests.length;
    if (R === 0) return [];
    const mem = this.memory;
    const total = requests.reduce((a, r) => a + r.n, 0);
    mem.beginCall();
    const table = mem.alloc(3 * R);
    const states = mem.alloc(8 * R); // four float64 each (the arena is 16-byte aligned)
    const outs = requests.map((r) => mem.alloc(r.n));
    const i32 = new Int32Array(mem.wasmMemory.buffer);
    const f64 = new Float64Array(mem.wasmMemory.buffer);
    requests.forEach((r, j) => {
      i32[table + 3 * j] = (outs[j] as number) * 4;
      i32[table + 3 * j + 1] = r.n;
      i32[table + 3 * j + 2] = (states + 8 * j) * 4;
      f64.set([r.state.s0, r.state.s1, r.state.s2, r.state.c], (states + 8 * j) / 2);
    });
    const threads = this.pool?.threads;
    const parts = threads ? Math.min(R, threads.partsFor(total, MIN_ELEMENTS_PER_PART)) : 1;
    const args = runsBySize(
      requests.map((r) => r.n),
      parts,
    ).map(([s, count]) => [(table + 3 * s) * 4, count]);
    if (threads && args.length > 1) threads.run('random.jobs', args, this.x.jobs);
    else for (const a of args) this.x.jobs(a[0] as number, a[1] as number);
    return outs.map((o, j) => mem.view(o, (requests[j] as { n: number }).n).slice());
  }
}
