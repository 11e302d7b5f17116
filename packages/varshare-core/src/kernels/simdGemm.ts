import { actWasmBase64 } from './actWasm';
import { denseWasmBase64 } from './denseWasm';
import { gemmWasmBase64 } from './gemmWasm';
import { instantiateKernel, type WasmMemory } from './instantiate';
import { klWasmBase64 } from './klWasm';

interface GemmExports {
  readonly memory: WasmMemory;
  bgemm(a: number, b: number, c: number, T: number, n: number, k: number, m: number): void;
  copy2d(src: number, dst: number, T: number, rows: number, cols: number, sRow: number, sCol: number, sBatch: number, dRow: number, dBatch: number): void;
}

/** dense.wat, on gemm.wat's memory. */
interface DenseExports {
  effw(theta: number, mu: number, sigma: number, eps: number, out: number, T: number, size: number): void;
  addbias(c: number, b: number, rows: number, m: number): void;
  sumrows(src: number, out: number, rows: number, m: number): void;
  mul3(a: number, b: number, c: number, out: number, n: number): void;
}

/** kl.wat, on gemm.wat's memory. */
interface KlExports {
  klfwd(mu: number, sigma: number, halfiv: number, out: number, T: number, size: number): void;
  klbwd(mu: number, sigma: number, dsig: number, d: number, iv: number, dmu: number, drho: number, T: number, size: number): void;
}

interface ActExports {
  tanh(p: number, n: number): void;
  tanhgrad(dy: number, y: number, out: number, n: number): void;
  relu(p: number, n: number): void;
  relugrad(dy: number, y: number, out: number, n: number): void;
}

/** Activation applied after the bias in {@link SimdGemm.denseForward}. */
export type DenseActivation = 'tanh' | 'relu' | 'none';

const ceilTo = (x: number, q: number): number => Math.ceil(x / q) * q;

/** Whether a resident region's tag is the key array `key` (element by element). */
function sameKey(tag: object | null, key: readonly unknown[]): boolean {
  return Array.isArray(tag) && tag.length === key.length && key.every((k, i) => tag[i] === k);
}

/** Float offset where the arena starts: byte offset 0 is kept free to mean "no operand". */
const ARENA_START = 16;

/**
 * A region of the kernel memory that outlives calls: operands that stay the same across several
 * calls (a layer's μ within a minibatch step, its σ, its frozen ε) are written once and passed by
 * reference instead of being copied in by every call. Made by {@link SimdGemm.resident}; give it back
 * with {@link SimdGemm.release}.
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

/** Operands of one VarShare dense layer (`[T, n, in]` rows per task, `[in, out]` weights), all float32. */
export interface DenseOperands {
  /** Rows per task, `[T, n, in]`. */
  readonly x: Float32Array;
  /** Shared weights θ, `[in, out]`. */
  readonly theta: Operand;
  /** Posterior means μ, `[T, in, out]`; null for a shared layer (W = θ for every task). */
  readonly mu: Operand | null;
  /** σ = softplus(ρ) and frozen noise ε, `[T, in, out]` each; null for posterior-mean weights. */
  readonly noise: { readonly sigma: Operand; readonly eps: Operand } | null;
  /**
   * Where to keep the effective weights between calls (`[T, in, out]`), and the identities of what
   * they are computed from: a backward whose `key` equals the forward's reuses W instead of
   * recomputing it. Optional; ignored for a shared layer.
   */
  readonly w?: { readonly buf: ResidentBuffer; readonly key: readonly unknown[] };
  readonly T: number;
  readonly n: number;
  readonly inDim: number;
  readonly outDim: number;
}

/** Gradients of one VarShare dense layer (views of the kernel memory, valid until its next call). */
export interface DenseGrads {
  /** `[T, n, in]` */
  readonly dx: Float32Array;
  /** `[in, out]`: Σ over tasks of dW_t */
  readonly dTheta: Float32Array;
  /** `[out]` */
  readonly dBias: Float32Array;
  /** `[T, in, out]`: dW_t; null for a shared layer */
  readonly dMu: Float32Array | null;
  /** `[T, in, out]`: dW_t ⊙ ε ⊙ sigmoid(ρ); null for posterior-mean weights */
  readonly dRho: Float32Array | null;
}

/**
 * Batched float32 matrix products on a small hand-written WebAssembly SIMD kernel (`gemm.wat`):
 * C_t = op(A_t) · op(B_t) for t < T, op(A_t) `[n, k]`, op(B_t) `[k, m]`, where op is the identity
 * or, when the operand is flagged transposed, the transpose of how it is stored (A_t stored
 * `[k, n]`, B_t stored `[m, k]`). Operands are copied (and transposed, and padded to the kernel's
 * 4-row × 8-column tile) into the kernel's own memory, so inputs may be views of another wasm heap.
 * On top of it, the whole forward and backward pass of a VarShare dense layer
 * ({@link denseForward}, {@link denseBackward}; dense.wat, act.wat) and the KL ({@link klForward},
 * {@link klBackward}; kl.wat) run in that memory. Operands that several calls share can stay in it as resident regions
 * ({@link resident}, {@link ResidentBuffer}); everything else lives in a per-call arena above them.
 *
 * Each output entry is Σ_p a[i,p]·b[p,j] accumulated in increasing p in float32, one rounding per
 * multiply and per add, so results do not depend on T, on padding or on the other rows.
 *
 * The tfjs-wasm batched matmul runs a generic loop (2–4 GFLOP/s measured); this kernel is what the
 * VarShare layers' per-task products use on that backend (see `groupedMatMul`).
 */
export class SimdGemm {
  private static shared: SimdGemm | null | undefined;
  private readonly x: GemmExports;
  /** The dense layer's elementwise parts (dense.wat), on the same memory. */
  private readonly d: DenseExports;
  /** The KL (kl.wat), on the same memory. */
  private readonly kl: KlExports;
  /** Activations (act.wat), on the same memory. */
  private readonly act: ActExports;
  private f32: Float32Array;
  /** End of the resident regions; each call's arena starts here. */
  private residentEnd = ARENA_START;
  /** Released resident regions (float offset, size), sorted by offset. */
  private free: { off: number; size: number }[] = [];
  private top = ARENA_START;
  private counters = { calls: 0, flops: 0, ms: 0 };

  private constructor(exports: GemmExports, dense: DenseExports, kl: KlExports, act: ActExports) {
    this.x = exports;
    this.d = dense;
    this.kl = kl;
    this.act = act;
    this.f32 = new Float32Array(exports.memory.buffer);
  }

  /** The process-wide instance, or null when this runtime has no WebAssembly SIMD. */
  static get(): SimdGemm | null {
    if (SimdGemm.shared === undefined) {
      const exports = instantiateKernel<GemmExports>(gemmWasmBase64);
      const imports = exports ? { env: { memory: exports.memory } } : null;
      const dense = imports ? instantiateKernel<DenseExports>(denseWasmBase64, imports) : null;
      const kl = imports ? instantiateKernel<KlExports>(klWasmBase64, imports) : null;
      const act = imports ? instantiateKernel<ActExports>(actWasmBase64, imports) : null;
      SimdGemm.shared = exports && dense && kl && act ? new SimdGemm(exports, dense, kl, act) : null;
    }
    return SimdGemm.shared;
  }

  /**
   * Calls, matmul flops (2·T·n·k·m per product) and wall milliseconds spent in the products
   * (operand packing included) since the last {@link resetStats}: what the benchmarks report as
   * the matmuls' GFLOP/s.
   */
  stats(): { readonly calls: number; readonly flops: number; readonly ms: number } {
    return { ...this.counters };
  }

  resetStats(): void {
    this.counters = { calls: 0, flops: 0, ms: 0 };
  }

  /** The memory as floats (re-viewed after growth: never hold it across an {@link alloc}). */
  private mem(): Float32Array {
    const buffer = this.x.memory.buffer;
    if (this.f32.buffer !== buffer || this.f32.length * 4 !== buffer.byteLength) this.f32 = new Float32Array(buffer);
    return this.f32;
  }

  private ensure(floats: number): void {
    const bytes = floats * 4;
    const mem = this.x.memory;
    if (mem.buffer.byteLength < bytes) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
  }

  /** `floats` floats from the arena, 16-byte aligned; returns the float offset. */
  private alloc(floats: number): number {
    const off = this.top;
    this.top = ceilTo(off + floats, 4);
    this.ensure(this.top);
    return off;
  }

  /** Starts a call: the arena is everything above the resident regions. */
  private reset(): void {
    this.top = this.residentEnd;
  }

  /** The operand's float offset in the kernel memory: resident in place, an array copied into the arena. */
  private put(src: Operand): number {
    if (src instanceof ResidentBuffer) {
      if (src.released) throw new Error('SimdGemm: a released resident buffer was used');
      return src.off;
    }
    const off = this.alloc(src.length);
    this.mem().set(src, off);
    return off;
  }

  private check(field: string, a: Operand, expected: number, what: string): void {
    if (a.length !== expected) throw new Error(`SimdGemm: ${field} has ${a.length} values, expected ${what} = ${expected}`);
  }

  /** A resident region of `length` floats (first fit among released regions, else appended). */
  resident(length: number): ResidentBuffer {
    if (!Number.isInteger(length) || length < 1) throw new Error(`SimdGemm.resident: length must be a positive integer, got ${length}`);
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
    if (r.released) throw new Error('SimdGemm.write: the resident buffer was released');
    if (values.length !== r.length) throw new Error(`SimdGemm.write: ${values.length} values for a resident buffer of ${r.length}`);
    this.mem().set(values, r.off);
    r.tag = tag;
  }

  /** A resident region's values: a view valid until the kernel memory next grows (copy it out at once). */
  read(r: ResidentBuffer): Float32Array {
    if (r.released) throw new Error('SimdGemm.read: the resident buffer was released');
    return this.mem().subarray(r.off, r.off + r.length);
  }

  /** op(A)·op(B) for operands already in the arena; returns the offset of C, `[T, n, m]` contiguous. */
  private bmmAt(aOff: number, transA: boolean, bOff: number, transB: boolean, T: number, n: number, k: number, m: number): number {
    const t0 = performance.now();
    const x = this.x;
    const np = ceilTo(n, 4);
    const mp = ceilTo(m, 8);
    const packA = transA || np !== n;
    const packB = transB || mp !== m;
    // Pad rows/columns are left as they are: they only reach C's pad rows/columns, never read.
    // op(A)[i, p] is raw[p·n + i] when transposed, raw[i·k + p] otherwise; likewise for B.
    let a = aOff;
    if (packA) {
      a = this.alloc(T * np * k);
      x.copy2d(aOff * 4, a * 4, T, n, k, transA ? 1 : k, transA ? n : 1, n * k, k, np * k);
    }
    let b = bOff;
    if (packB) {
      b = this.alloc(T * k * mp);
      x.copy2d(bOff * 4, b * 4, T, k, m, transB ? 1 : m, transB ? k : 1, k * m, mp, k * mp);
    }
    let c = this.alloc(T * np * mp);
    x.bgemm(a * 4, b * 4, c * 4, T, np, k, mp);
    if (np !== n || mp !== m) {
      const out = this.alloc(T * n * m);
      x.copy2d(c * 4, out * 4, T, n, m, mp, 1, np * mp, m, n * m);
      c = out;
    }
    const s = this.counters;
    s.calls += 1;
    s.flops += 2 * T * n * k * m;
    s.ms += performance.now() - t0;
    return c;
  }

  /**
   * C = op(A) · op(B), batched over T.
   * @param a T blocks, each `[n, k]` (or `[k, n]` when `transA`)
   * @param b T blocks, each `[k, m]` (or `[m, k]` when `transB`)
   * @param copy when false the result is a view of the kernel's memory, valid until the next call
   *   (for callers that copy it at once)
   * @returns T blocks `[n, m]`
   */
  bmm(a: Float32Array, transA: boolean, b: Float32Array, transB: boolean, T: number, n: number, k: number, m: number, copy = true): Float32Array {
    for (const [field, v] of [['T', T], ['n', n], ['k', k], ['m', m]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`SimdGemm.bmm: ${field} must be a positive integer, got ${v}`);
    }
    if (a.length !== T * n * k) throw new Error(`SimdGemm.bmm: a has ${a.length} values, expected T·n·k = ${T * n * k}`);
    if (b.length !== T * k * m) throw new Error(`SimdGemm.bmm: b has ${b.length} values, expected T·k·m = ${T * k * m}`);
    this.reset();
    const c = this.bmmAt(this.put(a), transA, this.put(b), transB, T, n, k, m);
    const out = this.mem().subarray(c, c + T * n * m);
    return copy ? out.slice() : out;
  }

  private denseInputs(o: DenseOperands): { xOff: number; wOff: number; epsOff: number; sizes: [number, number, number, number] } {
    const { T, n, inDim, outDim } = o;
    for (const [field, v] of [['T', T], ['n', n], ['inDim', inDim], ['outDim', outDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`SimdGemm dense: ${field} must be a positive integer, got ${v}`);
    }
    const size = inDim * outDim;
    this.check('x', o.x, T * n * inDim, 'T·n·in');
    this.check('theta', o.theta, size, 'in·out');
    if (o.mu) this.check('mu', o.mu, T * size, 'T·in·out');
    else if (o.noise) throw new Error('SimdGemm dense: noise needs mu');
    if (o.noise) {
      this.check('sigma', o.noise.sigma, T * size, 'T·in·out');
      this.check('eps', o.noise.eps, T * size, 'T·in·out');
    }
    this.reset();
    const xOff = this.put(o.x);
    const theta = this.put(o.theta);
    if (!o.mu) {
      // Shared: one weight matrix for all rows, as a single block of T·n rows.
      return { xOff, wOff: theta, epsOff: 0, sizes: [1, T * n, inDim, outDim] };
    }
    const mu = this.put(o.mu);
    const sigma = o.noise ? this.put(o.noise.sigma) : 0;
    const eps = o.noise ? this.put(o.noise.eps) : 0;
    const w = o.w;
    if (w) this.check('w', w.buf, T * size, 'T·in·out');
    if (w && sameKey(w.buf.tag, w.key)) return { xOff, wOff: this.put(w.buf), epsOff: eps, sizes: [T, n, inDim, outDim] };
    const wOff = w ? this.put(w.buf) : this.alloc(T * size);
    this.d.effw(theta * 4, mu * 4, sigma * 4, eps * 4, wOff * 4, T, size);
    if (w) w.buf.tag = w.key;
    return { xOff, wOff, epsOff: eps, sizes: [T, n, inDim, outDim] };
  }

  /**
   * Forward of a VarShare dense layer for task-major rows: Y_t = act(X_t W_t + b) with
   * W_t = θ + (μ_t + σ_t ⊙ ε_t) (or θ + μ_t without noise; the rollout snapshot's exact sums).
   * @returns `[T, n, out]`, a view of the kernel memory valid until its next call
   */
  denseForward(o: DenseOperands, bias: Float32Array, activation: DenseActivation = 'none'): Float32Array {
    this.check('bias', bias, o.outDim, 'out');
    const { xOff, wOff, sizes } = this.denseInputs(o);
    return this.affine(xOff, wOff, bias, activation, sizes);
  }

  /**
   * {@link denseForward} with the effective weights given: Y_t = act(X_t W_t + b), `w` `[T, in, out]`
   * (the rollout snapshot's weights; the same sums as denseForward's, so the same outputs).
   */
  denseForwardWeights(x: Float32Array, w: Float32Array, bias: Float32Array, activation: DenseActivation, T: number, n: number, inDim: number, outDim: number): Float32Array {
    this.check('x', x, T * n * inDim, 'T·n·in');
    this.check('w', w, T * inDim * outDim, 'T·in·out');
    this.check('bias', bias, outDim, 'out');
    this.reset();
    const xOff = this.put(x);
    return this.affine(xOff, this.put(w), bias, activation, [T, n, inDim, outDim]);
  }

  private affine(xOff: number, wOff: number, bias: Float32Array, activation: DenseActivation, sizes: [number, number, number, number]): Float32Array {
    const [T, n, inDim, outDim] = sizes;
    const y = this.bmmAt(xOff, false, wOff, false, T, n, inDim, outDim);
    this.d.addbias(y * 4, this.put(bias) * 4, T * n, outDim);
    if (activation === 'tanh') this.act.tanh(y * 4, T * n * outDim);
    else if (activation === 'relu') this.act.relu(y * 4, T * n * outDim);
    return this.mem().subarray(y, y + T * n * outDim);
  }

  /**
   * Backward of {@link denseForward}: with dW_t = X_tᵀ dY_t, returns dX_t = dY_t W_tᵀ, dθ = Σ_t dW_t,
   * db = Σ over all rows of dY, dμ_t = dW_t and dρ_t = dW_t ⊙ (ε_t ⊙ sigmoid(ρ_t)).
   * @param dy `[T, n, out]`, the gradient of the layer's output (after the activation)
   * @param dSigma sigmoid(ρ) `[T, in, out]`, needed with noise
   * @param y the forward's output `[T, n, out]` when an activation was applied
   */
  denseBackward(o: DenseOperands, dy: Float32Array, dSigma: Operand | null, activation: DenseActivation = 'none', y: Float32Array | null = null): DenseGrads {
    this.check('dy', dy, o.T * o.n * o.outDim, 'T·n·out');
    if (activation !== 'none') {
      if (!y) throw new Error('SimdGemm.denseBackward: an activation needs the forward output y');
      this.check('y', y, o.T * o.n * o.outDim, 'T·n·out');
    }
    if (o.noise) {
      if (!dSigma) throw new Error('SimdGemm.denseBackward: sampled weights need dSigma');
      this.check('dSigma', dSigma, o.T * o.inDim * o.outDim, 'T·in·out');
    }
    const { xOff, wOff, epsOff, sizes } = this.denseInputs(o);
    const [T, n, inDim, outDim] = sizes;
    const size = inDim * outDim;
    let dyOff = this.put(dy);
    if (activation !== 'none') {
      // dy ← dy ⊙ act'(pre-activation), from the output y: 1 − y² (tanh), [y > 0] (relu)
      const yOff = this.put(y as Float32Array);
      const dz = this.alloc(T * n * outDim);
      (activation === 'tanh' ? this.act.tanhgrad : this.act.relugrad)(dyOff * 4, yOff * 4, dz * 4, T * n * outDim);
      dyOff = dz;
    }
    const dsOff = o.noise && dSigma ? this.put(dSigma) : 0;
    const dw = this.bmmAt(xOff, true, dyOff, false, T, inDim, n, outDim);
    // dX = dY Wᵀ computed as (W dYᵀ)ᵀ: only the small dY and dXᵀ are transposed, never W.
    const dxT = this.bmmAt(wOff, false, dyOff, true, T, inDim, outDim, n);
    const dx = this.alloc(T * n * inDim);
    this.x.copy2d(dxT * 4, dx * 4, T, n, inDim, 1, n, inDim * n, inDim, n * inDim);
    const dTheta = this.alloc(size);
    this.d.sumrows(dw * 4, dTheta * 4, T, size);
    const dBias = this.alloc(outDim);
    this.d.sumrows(dyOff * 4, dBias * 4, T * n, outDim);
    let dRho = 0;
    if (o.noise) {
      dRho = this.alloc(T * size);
      this.d.mul3(dw * 4, epsOff * 4, dsOff * 4, dRho * 4, T * size);
    }
    const mem = this.mem();
    const view = (off: number, len: number) => mem.subarray(off, off + len);
    return {
      dx: view(dx, T * n * inDim),
      dTheta: view(dTheta, size),
      dBias: view(dBias, outDim),
      dMu: o.mu ? view(dw, T * size) : null,
      dRho: o.noise ? view(dRho, T * size) : null,
    };
  }

  /**
   * Per task t over `size` entries per task, in float64 from float32 terms: `quad[t]` =
   * Σ_i (σ² + μ²)/(2σ_p,t²) (the μ- and σ_p-dependent part of KL(N(μ, σ²) ‖ N(0, σ_p²)); the caller
   * adds −Σ log σ and the constant) and `muQuad[t]` = Σ_i μ²/(2σ_p,t²) (for a learned prior's
   * gradient with σ detached).
   * @param invVar 1/σ_p,t² per task
   */
  klForward(mu: Operand, sigma: Operand, invVar: readonly number[], T: number, size: number): { quad: Float64Array; muQuad: Float64Array } {
    for (const [field, a] of [['mu', mu], ['sigma', sigma]] as const) this.check(field, a, T * size, 'T·size');
    if (invVar.length !== T) throw new Error(`SimdGemm.klForward: ${invVar.length} prior variances for ${T} tasks`);
    this.reset();
    const m = this.put(mu);
    const sg = this.put(sigma);
    const h = this.put(Float32Array.from(invVar, (v) => v * 0.5));
    const out = this.alloc(4 * T); // 2T float64 (the arena is 16-byte aligned)
    this.kl.klfwd(m * 4, sg * 4, h * 4, out * 4, T, size);
    const sums = new Float64Array(this.x.memory.buffer, out * 4, 2 * T);
    return { quad: sums.slice(0, T), muQuad: sums.slice(T, 2 * T) };
  }

  /**
   * Gradients of Σ_t d_t·KL_t: dμ = d_t·(μ/σ_p,t²) and dρ = d_t·((σ/σ_p,t² − 1/σ)·σ'),
   * σ' = sigmoid(ρ). Views of the kernel memory, valid until its next call.
   */
  klBackward(mu: Operand, sigma: Operand, dSigma: Operand, d: Float32Array, invVar: readonly number[], T: number, size: number): { dMu: Float32Array; dRho: Float32Array } {
    for (const [field, a] of [['mu', mu], ['sigma', sigma], ['dSigma', dSigma]] as const) this.check(field, a, T * size, 'T·size');
    this.check('d', d, T, 'T');
    if (invVar.length !== T) throw new Error(`SimdGemm.klBackward: ${invVar.length} prior variances for ${T} tasks`);
    this.reset();
    const m = this.put(mu);
    const sg = this.put(sigma);
    const ds = this.put(dSigma);
    const dd = this.put(d);
    const iv = this.put(Float32Array.from(invVar));
    const dMu = this.alloc(T * size);
    const dRho = this.alloc(T * size);
    this.kl.klbwd(m * 4, sg * 4, ds * 4, dd * 4, iv * 4, dMu * 4, dRho * 4, T, size);
    const mem = this.mem();
    return { dMu: mem.subarray(dMu, dMu + T * size), dRho: mem.subarray(dRho, dRho + T * size) };
  }
}
