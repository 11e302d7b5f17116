import { SUM_SQUARES_BLOCK, type AdamArray, type AddedSums, type AdamStepConstants } from '../adamStep';
import { adamUnsharedWasmBase64 } from './adamWasm';
import { instantiateKernel, type WasmMemory } from './instantiate';
import { KernelMemory, type ResidentBuffer } from './kernelMemory';
import { MIN_ELEMENTS_PER_PART, splitRange, type KernelPool } from './kernelThreads';
import { aliasResident } from './residentTensor';
import { deferrableBackend, deferTo, settleDeferred, unwrittenTensor } from './deferredTensor';
import { tf } from '../backend';

/** adam.wat's exports (byte offsets in the kernel memory). */
export interface AdamExports {
  adam(p: number, g: number, m: number, v: number, n: number, c1: number, b2: number, c2: number, negStep: number, bc2sqrt: number, eps: number, scale: number): void;
  /** adam with the constants (c1, b2, c2, negStep, bc2sqrt, eps, scale) as float32 at byte offset k. */
  adamk(p: number, g: number, m: number, v: number, n: number, k: number): void;
  sumsq(g: number, n: number): number;
  addsq(g: number, x: number, n: number, out: number): void;
  /** sumsq per block of `block` elements (the last may be shorter), float64 sums at out + 8·b. */
  sumsqb(g: number, n: number, block: number, out: number): void;
  /** addsq per block of `block` elements (the last may be shorter), three float64 at out + 24·b. */
  addsqb(g: number, x: number, n: number, block: number, out: number): void;
}

/** An array of an {@link AdamKernel}: a resident region of the kernel memory. */
class KernelArray implements AdamArray {
  constructor(
    readonly buf: ResidentBuffer,
    private readonly memory: KernelMemory,
  ) {}

  get length(): number {
    return this.buf.length;
  }

  values(): Float32Array {
    return this.memory.read(this.buf);
  }

  onMemory(memory: KernelMemory): boolean {
    return memory === this.memory;
  }
}

/**
 * The Adam kernel (`adam.wat`, four float32 lanes) on the {@link KernelMemory} the dense, KL and
 * posterior kernels use, so an optimizer's arrays are where those kernels can read and write them.
 * It computes `adamStepReference` bit for bit and the gradients' Σ g² in `sumSquaresReference`'s
 * order. With helper threads ({@link KernelPool}) a large step is split by element ranges (each
 * element's arithmetic is the same in any part: bit-identical for every thread count); the sums
 * of squares by whole blocks of `SUM_SQUARES_BLOCK` elements, whose sums the caller adds in block
 * order (the same sums for every thread count).
 */
export class AdamModule {
  constructor(
    private x: AdamExports,
    readonly memory: KernelMemory,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** Works through `x` from now on (adam.wat on the memory the kernels moved to). */
  rebind(x: AdamExports): void {
    this.x = x;
  }

  /** A new optimizer memory (its arrays in the kernel memory). */
  arrays(): AdamKernel {
    return new AdamKernel(this);
  }

  /** @internal {@link AdamKernel.step} on resident regions. */
  step(p: ResidentBuffer, g: ResidentBuffer, m: ResidentBuffer, v: ResidentBuffer, k: AdamStepConstants): void {
    const n = p.length;
    const pool = this.pool?.threads;
    const parts = pool ? pool.partsFor(n, MIN_ELEMENTS_PER_PART) : 1;
    if (!pool || parts === 1) {
      this.x.adam(p.off * 4, g.off * 4, m.off * 4, v.off * 4, n, k.c1, k.b2, k.c2, k.negStep, k.bc2sqrt, k.eps, k.scale);
      return;
    }
    // Workers take integer arguments: the constants go through the memory (float32, as passed).
    const mem = this.memory;
    mem.beginCall();
    const c = mem.alloc(7);
    mem.view(c, 7).set([k.c1, k.b2, k.c2, k.negStep, k.bc2sqrt, k.eps, k.scale]);
    const args = splitRange(n, parts, 4).map(([i, len]) => [(p.off + i) * 4, (g.off + i) * 4, (m.off + i) * 4, (v.off + i) * 4, len, c * 4]);
    pool.run('adam.adamk', args, this.x.adamk);
  }

  /** @internal {@link AdamKernel.addInto} on resident regions. */
  addInto(g: ResidentBuffer, x: ResidentBuffer): AddedSums {
    const mem = this.memory;
    mem.beginCall();
    const n = g.length;
    const blocks = Math.ceil(n / SUM_SQUARES_BLOCK);
    const out = mem.alloc(6 * blocks); // three float64 per block (the arena is 16-byte aligned)
    const pool = this.pool?.threads;
    const parts = pool && blocks > 1 ? Math.min(blocks, pool.partsFor(n, MIN_ELEMENTS_PER_PART)) : 1;
    if (!pool || parts === 1) this.x.addsqb(g.off * 4, x.off * 4, n, SUM_SQUARES_BLOCK, out * 4);
    else {
      const args = splitRange(blocks, parts).map(([b, nb]) => {
        const i = b * SUM_SQUARES_BLOCK;
        return [(g.off + i) * 4, (x.off + i) * 4, Math.min(nb * SUM_SQUARES_BLOCK, n - i), SUM_SQUARES_BLOCK, (out + 6 * b) * 4];
      });
      pool.run('adam.addsqb', args, this.x.addsqb);
    }
    const sums = mem.doubles(out, 3 * blocks);
    let added = 0;
    let total = 0;
    let before = 0;
    for (let b = 0; b < blocks; b++) {
      added += sums[3 * b] as number;
      total += sums[3 * b + 1] as number;
      before += sums[3 * b + 2] as number;
    }
    return { added, total, before };
  }

  /** @internal {@link AdamKernel.sumSquares} on a resident region. */
  sumSquares(g: ResidentBuffer): number {
    const n = g.length;
    if (n <= SUM_SQUARES_BLOCK) return this.x.sumsq(g.off * 4, n);
    const mem = this.memory;
    mem.beginCall();
    const blocks = Math.ceil(n / SUM_SQUARES_BLOCK);
    const out = mem.alloc(2 * blocks); // one float64 per block
    const pool = this.pool?.threads;
    const parts = pool ? Math.min(blocks, pool.partsFor(n, MIN_ELEMENTS_PER_PART)) : 1;
    if (!pool || parts === 1) this.x.sumsqb(g.off * 4, n, SUM_SQUARES_BLOCK, out * 4);
    else {
      const args = splitRange(blocks, parts).map(([b, nb]) => {
        const i = b * SUM_SQUARES_BLOCK;
        return [(g.off + i) * 4, Math.min(nb * SUM_SQUARES_BLOCK, n - i), SUM_SQUARES_BLOCK, (out + 2 * b) * 4];
      });
      pool.run('adam.sumsqb', args, this.x.sumsqb);
    }
    const sums = mem.doubles(out, blocks);
    let s = 0;
    for (let b = 0; b < blocks; b++) s += sums[b] as number;
    return s;
  }
}

/** The kernel-memory region of an array of an {@link AdamKernel} on `memory`, else null (another memory's array). */
export function kernelRegionOf(a: AdamArray | null | undefined, memory: KernelMemory): ResidentBuffer | null {
  return a instanceof KernelArray && a.onMemory(memory) && !a.buf.released ? a.buf : null;
}

/** Regions of the kernel memory given back when an {@link AdamKernel} is garbage-collected without dispose(). */
const finalizer = new FinalizationRegistry<{ memory: KernelMemory; bufs: Set<ResidentBuffer> }>(({ memory, bufs }) => {
  for (const b of bufs) memory.release(b);
});

/**
 * One optimizer's arrays (parameters, gradients, moments) as resident regions of the kernel
 * memory (zero-initialised when allocated; given back by {@link dispose}, or when the optimizer is
 * garbage-collected), and the Adam kernel's calls on them. Arrays from elsewhere are refused.
 */
export class AdamKernel {
  private readonly bufs = new Set<ResidentBuffer>();
  private disposed = false;

  constructor(private readonly module: AdamModule) {
    finalizer.register(this, { memory: module.memory, bufs: this.bufs }, this);
  }

  /**
   * A standalone kernel on its own (unshared) memory, for tests and one-off callers; null when the
   * runtime cannot compile it (no WebAssembly SIMD).
   */
  static create(): AdamKernel | null {
    const api = (globalThis as unknown as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly;
    if (!api) return null;
    const memory = new api.Memory({ initial: 1, maximum: 65536 });
    const x = instantiateKernel<AdamExports>(adamUnsharedWasmBase64, { env: { memory } });
    return x ? new AdamModule(x, new KernelMemory(memory)).arrays() : null;
  }

  /** `n` zero floats, a region of the kernel memory until {@link dispose}. */
  alloc(n: number): AdamArray {
    if (this.disposed) throw new Error('AdamKernel.alloc: the memory was disposed');
    if (!Number.isInteger(n) || n < 1) throw new Error(`AdamKernel.alloc: n must be a positive integer, got ${n}`);
    const buf = this.module.memory.resident(n);
    this.bufs.add(buf);
    const a = new KernelArray(buf, this.module.memory);
    a.values().fill(0);
    return a;
  }

  /** One Adam step in place on arrays from {@link alloc} (same length). */
  step(p: AdamArray, g: AdamArray, m: AdamArray, v: AdamArray, k: AdamStepConstants): void {
    const [pb, gb, mb, vb] = [p, g, m, v].map((a) => this.own(a, 'step'));
    if (g.length !== p.length || m.length !== p.length || v.length !== p.length) throw new Error('AdamKernel.step: arrays of different lengths');
    // tensors deferred to p take its values first; p no longer holds the values it was tagged with (see assigned)
    settleDeferred(pb as ResidentBuffer);
    (pb as ResidentBuffer).tag = null;
    this.module.step(pb as ResidentBuffer, gb as ResidentBuffer, mb as ResidentBuffer, vb as ResidentBuffer, k);
  }

  /**
   * One {@link step} whose result `variable` is assigned (the optimizer's step of a parameter). On
   * the tfjs wasm backend without copying p out: the variable gets a new tensor (a new dataId)
   * whose values are p's, copied into it only when something reads it through tfjs (an op,
   * `dataSync`); the kernels read it from p in place meanwhile (as after {@link assigned}). On
   * other backends p's values are copied into a new tensor at once.
   * @param reload p is not in sync with the variable (e.g. the variable was assigned elsewhere):
   *   p takes the variable's values before the step
   */
  stepVariable(variable: tf.Variable, p: AdamArray, g: AdamArray, m: AdamArray, v: AdamArray, k: AdamStepConstants, reload: boolean): void {
    const pb = this.own(p, 'stepVariable');
    if (variable.size !== p.length) throw new Error(`AdamKernel.stepVariable: a variable of ${variable.size} values for an array of ${p.length}`);
    if (reload) {
      settleDeferred(pb);
      p.values().set(variable.dataSync() as Float32Array);
    }
    const be = deferrableBackend();
    if (!be) {
      this.step(p, g, m, v, k);
      // the wasm backend copies a new tensor's values at once; other backends may keep the array
      const values = tf.getBackend() === 'wasm' ? p.values() : p.values().slice();
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      return;
    }
    // The new tensor first: the variable lets go of the old one, which is freed unless something
    // else holds it — then step() gives it p's current values before p changes.
    tf.tidy(() => variable.assign(unwrittenTensor(be, variable.shape)));
    this.step(p, g, m, v, k);
    deferTo(variable, be, this.module.memory, pb, this);
    this.assigned(p, variable);
  }

  /**
   * g ← g + x in float32 for arrays from {@link alloc} (same length), in one pass that also gives
   * Σ x² and the new Σ g², each as {@link sumSquares} computes it. Starts a kernel call (the
   * kernel memory's arena is reused).
   */
  addInto(g: AdamArray, x: AdamArray): AddedSums {
    const [gb, xb] = [this.own(g, 'addInto'), this.own(x, 'addInto')];
    if (g.length !== x.length) throw new Error('AdamKernel.addInto: arrays of different lengths');
    return this.module.addInto(gb, xb);
  }

  /** Σ g² of an array from {@link alloc}, float64. */
  sumSquares(g: AdamArray): number {
    return this.module.sumSquares(this.own(g, 'sumSquares'));
  }

  /**
   * Records that `variable` was just assigned `p`'s values: the dense, KL and posterior kernels
   * then read it from `p`'s region instead of copying it in, until the variable or `p` changes
   * ({@link step} or another assign; `aliasResident`).
   */
  assigned(p: AdamArray, variable: tf.Tensor): void {
    const pb = this.own(p, 'assigned');
    pb.tag = variable.dataId;
    aliasResident(this.module.memory, variable, pb);
  }

  /** Gives every array's region back; the arrays must not be used after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    for (const b of this.bufs) {
      settleDeferred(b);
      this.module.memory.release(b);
    }
    this.bufs.clear();
  }

  /** The region of an array this memory handed out (else an error naming `who`). */
  private own(a: AdamArray, who: string): ResidentBuffer {
    if (!(a instanceof KernelArray) || !this.bufs.has(a.buf)) throw new Error(`AdamKernel.${who}: arrays must come from alloc`);
    return a.buf;
  }
}
