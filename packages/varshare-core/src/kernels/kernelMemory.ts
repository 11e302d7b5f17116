import type { WasmMemory } from './instantiate';

const ceilTo = (x: number, q: number): number => Math.ceil(x / q) * q;

/** Float offset where the arena starts: byte offset 0 is kept free to mean "no operand". */
const ARENA_START = 16;

/**
 * A region of the kernel memory that outlives calls: operands that stay the same across several
 * calls (a layer's μ within a minibatch step, its σ, its frozen ε) are written once and passed by
 * reference instead of being copied in by every call. Made by {@link KernelMemory.resident}; give
 * it back with {@link KernelMemory.release}.
 */
export class ResidentBuffer {
  /** What the values were last written from (e.g. a tensor's dataId), for callers that skip rewrites. */
  tag: object | null = null;
  released = false;

  /** @param off float offset in the kernel memory */
  constructor(
    readonly off: number,
    readonly length: number,
  ) {}
}

/** A float32 operand: an array (copied in by the call) or a {@link ResidentBuffer} (used in place). */
export type Operand = Float32Array | ResidentBuffer;

/**
 * The float32 memory shared by the matmul, dense-layer, activation and KL kernels (gemm.wat's
 * memory; act.wat, dense.wat and kl.wat import it), so a layer's forward, backward and KL pass
 * operands to each other in place. Two areas:
 * - resident regions ({@link resident}): operands kept across calls, first-fit reuse of released
 *   regions, neighbours coalesced, a free tail given back to the arena;
 * - the arena above them: each kernel call starts it afresh ({@link beginCall}) and takes its
 *   temporaries from it ({@link alloc}, {@link put}).
 * Every region is 16-byte aligned (a multiple of 4 floats), so SIMD loads never straddle two.
 */
export class KernelMemory {
  private f32: Float32Array;
  /** End of the resident regions; each call's arena starts here. */
  private residentEnd = ARENA_START;
  /** Released resident regions (float offset, size), sorted by offset. */
  private free: { off: number; size: number }[] = [];
  private top = ARENA_START;

  constructor(private memory: WasmMemory) {
    this.f32 = new Float32Array(memory.buffer);
  }

  /** The WebAssembly memory the floats live in (see {@link moveTo}). */
  get wasmMemory(): WasmMemory {
    return this.memory;
  }

  /**
   * Copies every byte into `target` (grown to this memory's size first) and works on it from now
   * on: offsets, resident regions and their tags stay valid (how the kernels move between an
   * unshared and a shared memory, see wasmKernels.ts). Views taken before are not updated.
   */
  moveTo(target: WasmMemory): void {
    const bytes = this.memory.buffer.byteLength;
    if (target.buffer.byteLength < bytes) target.grow(Math.ceil((bytes - target.buffer.byteLength) / 65536));
    new Uint8Array(target.buffer, 0, bytes).set(new Uint8Array(this.memory.buffer, 0, bytes));
    this.memory = target;
    this.f32 = new Float32Array(target.buffer);
  }

  /** The memory as floats (re-viewed after growth: never hold it across an {@link alloc}). */
  floats(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.f32.buffer !== buffer || this.f32.length * 4 !== buffer.byteLength) this.f32 = new Float32Array(buffer);
    return this.f32;
  }

  /** `count` float64 values from float offset `off` (a copy). */
  doubles(off: number, count: number): Float64Array {
    return new Float64Array(this.memory.buffer, off * 4, count).slice();
  }

  private ensure(floats: number): void {
    const bytes = floats * 4;
    const mem = this.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
  }

  /** Starts a kernel call: the arena is everything above the resident regions. */
  beginCall(): void {
    this.top = this.residentEnd;
  }

  /** `floats` floats from the arena, 16-byte aligned; returns the float offset. */
  alloc(floats: number): number {
    const off = this.top;
    this.top = ceilTo(off + floats, 4);
    this.ensure(this.top);
    return off;
  }

  /** The operand's float offset: a resident region in place, an array copied into the arena. */
  put(src: Operand): number {
    if (src instanceof ResidentBuffer) {
      if (src.released) throw new Error('KernelMemory: a released resident buffer was used');
      return src.off;
    }
    const off = this.alloc(src.length);
    this.floats().set(src, off);
    return off;
  }

  /** `length` floats of the memory from float offset `off`, as a view (valid until the memory grows). */
  view(off: number, length: number): Float32Array {
    return this.floats().subarray(off, off + length);
  }

  /** A resident region of `length` floats (first fit among released regions, else appended). */
  resident(length: number): ResidentBuffer {
    if (!Number.isInteger(length) || length < 1) throw new Error(`KernelMemory.resident: length must be a positive integer, got ${length}`);
    const size = ceilTo(length, 4);
    const i = this.free.findIndex((r) => r.size >= size);
    if (i >= 0) {
      const r = this.free[i] as { off: number; size: number };
      const off = r.off;
      if (r.size === size) this.free.splice(i, 1);
      else this.free[i] = { off: off + size, size: r.size - size };
      return new ResidentBuffer(off, length);
    }
    const off = this.residentEnd;
    this.residentEnd += size;
    this.ensure(this.residentEnd);
    return new ResidentBuffer(off, length);
  }

  /** Gives a resident region back (it may be reused by the next {@link resident}). */
  release(r: ResidentBuffer): void {
    if (r.released) return;
    r.released = true;
    this.free.push({ off: r.off, size: ceilTo(r.length, 4) });
    this.free.sort((a, b) => a.off - b.off);
    const merged: { off: number; size: number }[] = [];
    for (const f of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.off + last.size === f.off) last.size += f.size;
      else merged.push({ ...f });
    }
    // A free block at the end shrinks the resident area (the arena starts lower).
    const tail = merged[merged.length - 1];
    if (tail && tail.off + tail.size === this.residentEnd) {
      this.residentEnd = tail.off;
      merged.pop();
    }
    this.free = merged;
  }

  /** Copies `values` into a resident region and tags it (e.g. with the source tensor's dataId). */
  write(r: ResidentBuffer, values: Float32Array, tag: object | null = null): void {
    if (r.released) throw new Error('KernelMemory.write: the resident buffer was released');
    if (values.length !== r.length) throw new Error(`KernelMemory.write: ${values.length} values for a resident buffer of ${r.length}`);
    this.floats().set(values, r.off);
    r.tag = tag;
  }

  /** A resident region's values: a view valid until the memory next grows (copy it out at once). */
  read(r: ResidentBuffer): Float32Array {
    if (r.released) throw new Error('KernelMemory.read: the resident buffer was released');
    return this.view(r.off, r.length);
  }
}

/** Throws unless operand `a` holds `expected` values (`what` names the product, e.g. `T·n·in`). */
export function checkLength(who: string, field: string, a: Operand, expected: number, what: string): void {
  if (a.length !== expected) throw new Error(`${who}: ${field} has ${a.length} values, expected ${what} = ${expected}`);
}

/** Throws unless every size is a positive integer. */
export function checkSizes(who: string, sizes: Record<string, number>): void {
  for (const [field, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${who}: ${field} must be a positive integer, got ${v}`);
  }
}
