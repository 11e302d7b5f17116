import { checkLength, checkSizes, type KernelMemory, type Operand, type ResidentBuffer } from './kernelMemory';
import { MIN_ELEMENTS_PER_PART, splitRange, type KernelPool } from './kernelThreads';
import type { MatmulKernel } from './matmulKernel';

/** dense.wat's exports (byte offsets). */
export interface DenseExports {
  effw(theta: number, mu: number, sigma: number, eps: number, out: number, T: number, size: number): void;
  addbias(c: number, b: number, rows: number, m: number): void;
  mul3(a: number, b: number, c: number, out: number, n: number): void;
  /** out[j] = Σ_r src[r·stride + j] for j < count (byte offsets), float32 in increasing r (a [rows, stride] block's column sums, or a range of them). */
  sumcols(src: number, out: number, rows: number, stride: number, count: number): void;
}

/** act.wat's exports (byte offsets). */
export interface ActExports {
  tanh(p: number, n: number): void;
  tanhgrad(dy: number, y: number, out: number, n: number): void;
  relu(p: number, n: number): void;
  relugrad(dy: number, y: number, out: number, n: number): void;
}

/** Activation applied after the bias in {@link DenseKernel.forward}. */
export type DenseActivation = 'tanh' | 'relu' | 'none';

/** Whether a resident region's tag is the key array `key` (element by element). */
function sameKey(tag: object | null, key: readonly unknown[]): boolean {
  return Array.isArray(tag) && tag.length === key.length && key.every((k, i) => tag[i] === k);
}

/** Operands of one VarShare dense layer (`[T, n, in]` rows per task, `[in, out]` weights), all float32. */
export interface DenseOperands {
  /** Rows per task, `[T, n, in]` (an array, copied in, or a resident region, read in place). */
  readonly x: Operand;
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
  /** `[T, n, in]`; null when not asked for (`targets.dx === false`) */
  readonly dx: Float32Array | null;
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
 * The whole forward and backward pass of a VarShare dense layer in the {@link KernelMemory}:
 * effective weights W_t = θ + (μ_t + σ_t⊙ε_t) (dense.wat's `effw`, the reference's sums in its
 * order), the per-task products ({@link MatmulKernel}), bias and tanh/relu (act.wat), and every
 * gradient. Outputs are views of the kernel memory, valid until its next call.
 */
export class DenseKernel {
  constructor(
    private x: DenseExports,
    private act: ActExports,
    private readonly memory: KernelMemory,
    private readonly matmul: MatmulKernel,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** Works through these instances from now on (the modules on the memory the kernels moved to). */
  rebind(x: DenseExports, act: ActExports): void {
    this.x = x;
    this.act = act;
  }

  /** dense.wat's effw (float offsets; 0 for no σ/ε), split by task (by element blocks for one task) when large. */
  private effw(theta: number, mu: number, sigma: number, eps: number, out: number, T: number, size: number): void {
    const pool = this.pool?.threads;
    const parts = pool ? pool.partsFor(T * size, MIN_ELEMENTS_PER_PART) : 1;
    if (!pool || parts === 1) {
      this.x.effw(theta * 4, mu * 4, sigma * 4, eps * 4, out * 4, T, size);
      return;
    }
    const at = (base: number, off: number) => (base === 0 ? 0 : (base + off) * 4);
    const args =
      T > 1
        ? splitRange(T, parts).map(([t, tn]) => [theta * 4, at(mu, t * size), at(sigma, t * size), at(eps, t * size), at(out, t * size), tn, size])
        : splitRange(size, parts, 4).map(([i, len]) => [at(theta, i), at(mu, i), at(sigma, i), at(eps, i), at(out, i), 1, len]);
    pool.run('dense.effw', args, this.x.effw);
  }

  /**
   * A call on `count` items (elements, or columns), run whole when `work` (elements touched) is
   * small, else split into ranges of `count` — starts multiples of `quantum` — over the pool's
   * threads: `args(i, len)` are the call's arguments for items [i, i + len).
   */
  private split(fn: string, f: (...a: number[]) => void, count: number, work: number, quantum: number, args: (i: number, len: number) => number[]): void {
    const pool = this.pool?.threads;
    const parts = pool ? pool.partsFor(work, MIN_ELEMENTS_PER_PART) : 1;
    if (!pool || parts === 1) f(...args(0, count));
    else pool.run(fn, splitRange(count, parts, quantum).map(([i, len]) => args(i, len)), f);
  }

  /** Column sums of a [rows, m] block (float offsets; dense.wat's sumcols), split by column ranges when large. */
  private sumrows(src: number, out: number, rows: number, m: number): void {
    this.split('dense.sumcols', this.x.sumcols, m, rows * m, 4, (j, len) => [(src + j) * 4, (out + j) * 4, rows, m, len]);
  }

  /** tanh or relu in place on `n` floats at float offset `y` (act.wat), split by element ranges when large. */
  private activate(activation: 'tanh' | 'relu', y: number, n: number): void {
    this.split(`act.${activation}`, activation === 'tanh' ? this.act.tanh : this.act.relu, n, n, 4, (i, len) => [(y + i) * 4, len]);
  }

  /** dy ⊙ act'(from the output y) into `o` (act.wat's tanhgrad or relugrad; float offsets), split by element ranges when large. */
  private activationGrad(activation: 'tanh' | 'relu', dy: number, y: number, o: number, n: number): void {
    const f = activation === 'tanh' ? this.act.tanhgrad : this.act.relugrad;
    this.split(`act.${activation}grad`, f, n, n, 4, (i, len) => [(dy + i) * 4, (y + i) * 4, (o + i) * 4, len]);
  }

  /** dense.wat's mul3 (float offsets), split by element blocks when large. */
  private mul3(a: number, b: number, c: number, out: number, n: number): void {
    this.split('dense.mul3', this.x.mul3, n, n, 4, (i, len) => [(a + i) * 4, (b + i) * 4, (c + i) * 4, (out + i) * 4, len]);
  }

  private inputs(o: DenseOperands): { xOff: number; wOff: number; epsOff: number; sizes: [number, number, number, number] } {
    const { T, n, inDim, outDim } = o;
    const who = 'DenseKernel';
    checkSizes(who, { T, n, inDim, outDim });
    const size = inDim * outDim;
    checkLength(who, 'x', o.x, T * n * inDim, 'T·n·in');
    checkLength(who, 'theta', o.theta, size, 'in·out');
    if (o.mu) checkLength(who, 'mu', o.mu, T * size, 'T·in·out');
    else if (o.noise) throw new Error('DenseKernel: noise needs mu');
    if (o.noise) {
      checkLength(who, 'sigma', o.noise.sigma, T * size, 'T·in·out');
      checkLength(who, 'eps', o.noise.eps, T * size, 'T·in·out');
    }
    const mem = this.memory;
    mem.beginCall();
    const xOff = mem.put(o.x);
    const theta = mem.put(o.theta);
    if (!o.mu) {
      // Shared: one weight matrix for all rows, as a single block of T·n rows.
      return { xOff, wOff: theta, epsOff: 0, sizes: [1, T * n, inDim, outDim] };
    }
    const mu = mem.put(o.mu);
    const sigma = o.noise ? mem.put(o.noise.sigma) : 0;
    const eps = o.noise ? mem.put(o.noise.eps) : 0;
    const w = o.w;
    if (w) checkLength(who, 'w', w.buf, T * size, 'T·in·out');
    if (w && sameKey(w.buf.tag, w.key)) return { xOff, wOff: mem.put(w.buf), epsOff: eps, sizes: [T, n, inDim, outDim] };
    const wOff = w ? mem.put(w.buf) : mem.alloc(T * size);
    this.effw(theta, mu, sigma, eps, wOff, T, size);
    if (w) w.buf.tag = w.key;
    return { xOff, wOff, epsOff: eps, sizes: [T, n, inDim, outDim] };
  }

  /**
   * Y_t = act(X_t W_t + b) for task-major rows, W_t = θ + (μ_t + σ_t ⊙ ε_t) (θ + μ_t without noise,
   * θ without μ).
   * @param bias `[out]`
   * @returns `[T, n, out]`, a view of the kernel memory valid until its next call
   */
  forward(o: DenseOperands, bias: Float32Array, activation: DenseActivation = 'none', out?: ResidentBuffer): Float32Array {
    checkLength('DenseKernel', 'bias', bias, o.outDim, 'out');
    if (out) checkLength('DenseKernel', 'out', out, o.T * o.n * o.outDim, 'T·n·out');
    const { xOff, wOff, sizes } = this.inputs(o);
    return this.affine(xOff, wOff, bias, activation, sizes, out?.off);
  }

  /**
   * {@link forward} with the effective weights given: Y_t = act(X_t W_t + b), `w` `[T, in, out]`
   * (the rollout snapshot's weights, the same sums as forward's, so the same outputs; a resident
   * region is read in place).
   */
  forwardWeights(x: Float32Array, w: Operand, bias: Float32Array, activation: DenseActivation, T: number, n: number, inDim: number, outDim: number): Float32Array {
    const who = 'DenseKernel';
    checkLength(who, 'x', x, T * n * inDim, 'T·n·in');
    checkLength(who, 'w', w, T * inDim * outDim, 'T·in·out');
    checkLength(who, 'bias', bias, outDim, 'out');
    const mem = this.memory;
    mem.beginCall();
    const xOff = mem.put(x);
    return this.affine(xOff, mem.put(w), bias, activation, [T, n, inDim, outDim]);
  }

  private affine(xOff: number, wOff: number, bias: Float32Array, activation: DenseActivation, sizes: [number, number, number, number], out?: number): Float32Array {
    const [T, n, inDim, outDim] = sizes;
    const mem = this.memory;
    const y = this.matmul.productAt(xOff, false, wOff, false, T, n, inDim, outDim, out);
    this.x.addbias(y * 4, mem.put(bias) * 4, T * n, outDim);
    if (activation !== 'none') this.activate(activation, y, T * n * outDim);
    return mem.view(y, T * n * outDim);
  }

  /**
   * Backward of {@link forward}: with dW_t = X_tᵀ dY_t, returns dX_t = dY_t W_tᵀ, dθ = Σ_t dW_t,
   * db = Σ over all rows of dY, dμ_t = dW_t and dρ_t = dW_t ⊙ (ε_t ⊙ sigmoid(ρ_t)).
   * @param dy `[T, n, out]`, the gradient of the layer's output (after the activation)
   * @param dSigma sigmoid(ρ) `[T, in, out]`, needed with noise
   * @param y the forward's output `[T, n, out]` when an activation was applied
   * @param targets float offsets of T·in·out floats each where dμ and dρ are written (e.g. an
   *   optimizer's gradient regions), instead of the call's arena; `dx: false` skips dX (the input is
   *   data: its product and transpose are not computed)
   */
  backward(o: DenseOperands, dy: Float32Array, dSigma: Operand | null, activation: DenseActivation = 'none', y: Operand | null = null, targets: { readonly dMu?: number; readonly dRho?: number; readonly dx?: boolean } = {}): DenseGrads {
    const who = 'DenseKernel.backward';
    checkLength(who, 'dy', dy, o.T * o.n * o.outDim, 'T·n·out');
    if (activation !== 'none') {
      if (!y) throw new Error(`${who}: an activation needs the forward output y`);
      checkLength(who, 'y', y, o.T * o.n * o.outDim, 'T·n·out');
    }
    if (o.noise) {
      if (!dSigma) throw new Error(`${who}: sampled weights need dSigma`);
      checkLength(who, 'dSigma', dSigma, o.T * o.inDim * o.outDim, 'T·in·out');
    }
    const { xOff, wOff, epsOff, sizes } = this.inputs(o);
    const [T, n, inDim, outDim] = sizes;
    const size = inDim * outDim;
    const mem = this.memory;
    let dyOff = mem.put(dy);
    if (activation !== 'none') {
      // dy ← dy ⊙ act'(pre-activation), from the output y: 1 − y² (tanh), [y > 0] (relu)
      const yOff = mem.put(y as Operand);
      const dz = mem.alloc(T * n * outDim);
      this.activationGrad(activation, dyOff, yOff, dz, T * n * outDim);
      dyOff = dz;
    }
    const dsOff = o.noise && dSigma ? mem.put(dSigma) : 0;
    const dw = this.matmul.productAt(xOff, true, dyOff, false, T, inDim, n, outDim, o.mu ? targets.dMu : undefined);
    // dX = dY Wᵀ computed as (W dYᵀ)ᵀ: only the small dY and dXᵀ are transposed, never W.
    let dx = -1;
    if (targets.dx !== false) {
      const dxT = this.matmul.productAt(wOff, false, dyOff, true, T, inDim, outDim, n);
      dx = mem.alloc(T * n * inDim);
      this.matmul.copy2d(dxT, dx, T, n, inDim, 1, n, inDim * n, inDim, n * inDim);
    }
    const dTheta = mem.alloc(size);
    this.sumrows(dw, dTheta, T, size);
    const dBias = mem.alloc(outDim);
    this.sumrows(dyOff, dBias, T * n, outDim);
    let dRho = 0;
    if (o.noise) {
      dRho = targets.dRho ?? mem.alloc(T * size);
      this.mul3(dw, epsOff, dsOff, dRho, T * size);
    }
    return {
      dx: dx < 0 ? null : mem.view(dx, T * n * inDim),
      dTheta: mem.view(dTheta, size),
      dBias: mem.view(dBias, outDim),
      dMu: o.mu ? mem.view(dw, T * size) : null,
      dRho: o.noise ? mem.view(dRho, T * size) : null,
    };
  }
}
