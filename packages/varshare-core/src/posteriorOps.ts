import { tf } from './backend';
import { tensorValues, wasmHeap } from './kernels/heap';
import { PosteriorKernel } from './kernels/posteriorKernel';
import { ResidentBuffer, SimdGemm, type Operand } from './kernels/simdGemm';
import { residentOf } from './kernels/residentTensor';

/**
 * Fused posterior ops with closed-form gradients. On wasm each tensor op costs a dispatch plus a
 * pass over memory, and transcendental kernels (softplus, log, tanh) run at ~5–9 ns per element,
 * so the autodiff graph of `θ + μ + softplus(ρ)⊙ε` and of the KL (two softplus per layer per
 * minibatch, their sigmoid gradients, a dozen elementwise ops each way) dominated a VarShare update
 * after the matmuls. These ops compute the same quantities with σ = softplus(ρ) and
 * σ' = sigmoid(ρ) evaluated once per value of ρ ({@link SigmaCache}) and the gradients written out:
 *
 *   d(μ + σ⊙ε)/dμ = 1,   d(μ + σ⊙ε)/dρ = ε ⊙ sigmoid(ρ);
 *   KL = Σ [log σ_p − log σ + (σ² + μ²)/(2σ_p²) − ½],
 *   dKL/dμ = μ/σ_p²,  dKL/dρ = (σ/σ_p² − 1/σ) ⊙ sigmoid(ρ).
 */

/**
 * σ = softplus(ρ), dσ/dρ = sigmoid(ρ) and Σ log σ per task (for the KL) for one ρ variable
 * `[numTasks, rows, cols]`, recomputed only when ρ changes. With WebAssembly SIMD (Node ≥ 16,
 * every current browser) they come from one pass of {@link PosteriorKernel} over ρ on the CPU
 * (≈2 ns per element against ≈17 for the equivalent tfjs-wasm kernels); otherwise from tfjs ops.
 */
export class SigmaCache {
  private dataId: object | null = null;
  private parts: {
    /** σ and σ' where the fused ops read them: resident in the SIMD kernel memory, or arrays. */
    sigmaOperand: Operand | null;
    dSigmaOperand: Operand | null;
    sigma: tf.Tensor | null;
    dSigma: tf.Tensor | null;
    logSigmaSums: Float64Array | null;
    logSigma: tf.Tensor | null;
    invSigma: tf.Tensor | null;
  } | null = null;
  private resident: { sigma: ResidentBuffer; dSigma: ResidentBuffer } | null = null;

  constructor(private readonly rho: tf.Variable) {}

  private refresh(): NonNullable<SigmaCache['parts']> {
    // A variable gets a new dataId on every assign, so the dataId identifies the value of ρ.
    if (this.parts && this.dataId === this.rho.dataId) return this.parts;
    this.disposeTensors();
    const kernel = PosteriorKernel.get();
    if (kernel) {
      // Arrays only (tensors are made if someone asks): σ and σ' go straight into resident regions
      // of the matmul kernel's memory, where the fused layer and KL ops read them.
      const perTask = this.rho.shape.slice(1).reduce((a, b) => a * b, 1);
      const p = kernel.compute(tensorValues(this.rho), false, perTask);
      const gemm = SimdGemm.get();
      let sigmaOperand: Operand;
      let dSigmaOperand: Operand;
      if (gemm) {
        if (!this.resident) this.resident = { sigma: gemm.resident(this.rho.size), dSigma: gemm.resident(this.rho.size) };
        gemm.write(this.resident.sigma, p.sigma);
        gemm.write(this.resident.dSigma, p.dSigma);
        [sigmaOperand, dSigmaOperand] = [this.resident.sigma, this.resident.dSigma];
      } else {
        [sigmaOperand, dSigmaOperand] = [p.sigma.slice(), p.dSigma.slice()];
      }
      this.parts = { sigmaOperand, dSigmaOperand, sigma: null, dSigma: null, logSigmaSums: p.logSigmaSums.slice(), logSigma: null, invSigma: null };
    } else {
      const sigma = tf.keep(tf.softplus(this.rho));
      const dSigma = tf.keep(tf.sigmoid(this.rho));
      this.parts = { sigmaOperand: null, dSigmaOperand: null, sigma, dSigma, logSigmaSums: null, logSigma: null, invSigma: null };
    }
    this.dataId = this.rho.dataId;
    return this.parts;
  }

  /** A fresh copy of an operand's values (resident regions are views of memory that may move). */
  private static values(o: Operand): Float32Array {
    return o instanceof ResidentBuffer ? (SimdGemm.get() as SimdGemm).read(o).slice() : o;
  }

  /** softplus(ρ) as a tensor, not on any gradient tape (owned by the cache: do not dispose). */
  get sigma(): tf.Tensor {
    const p = this.refresh();
    if (!p.sigma) p.sigma = tf.keep(tf.tensor(SigmaCache.values(p.sigmaOperand as Operand), this.rho.shape));
    return p.sigma;
  }

  /** sigmoid(ρ) = dσ/dρ as a tensor (owned by the cache: do not dispose). */
  get dSigma(): tf.Tensor {
    const p = this.refresh();
    if (!p.dSigma) p.dSigma = tf.keep(tf.tensor(SigmaCache.values(p.dSigmaOperand as Operand), this.rho.shape));
    return p.dSigma;
  }

  /** softplus(ρ) where the SIMD kernel reads it (owned by the cache: do not modify or release). */
  get sigmaOperand(): Operand {
    const p = this.refresh();
    if (!p.sigmaOperand) p.sigmaOperand = (p.sigma as tf.Tensor).dataSync() as Float32Array;
    return p.sigmaOperand;
  }

  /** sigmoid(ρ) where the SIMD kernel reads it (owned by the cache). */
  get dSigmaOperand(): Operand {
    const p = this.refresh();
    if (!p.dSigmaOperand) p.dSigmaOperand = (p.dSigma as tf.Tensor).dataSync() as Float32Array;
    return p.dSigmaOperand;
  }

  /** softplus(ρ) values, row-major like ρ (a copy). */
  get sigmaValues(): Float32Array {
    return SigmaCache.values(this.sigmaOperand);
  }

  /** Σ log σ per task (over rows·cols), float64. */
  get logSigmaSums(): Float64Array {
    const p = this.refresh();
    if (!p.logSigmaSums) {
      const T = this.rho.shape[0] as number;
      p.logSigmaSums = Float64Array.from(tf.tidy(() => tf.sum(tf.reshape(this.logSigma, [T, -1]), 1)).dataSync());
    }
    return p.logSigmaSums;
  }

  /** log σ (owned by the cache: do not dispose). */
  get logSigma(): tf.Tensor {
    const p = this.refresh();
    if (!p.logSigma) p.logSigma = tf.keep(tf.log(this.sigma));
    return p.logSigma;
  }

  /** 1/σ (owned by the cache: do not dispose). */
  get invSigma(): tf.Tensor {
    const p = this.refresh();
    if (!p.invSigma) p.invSigma = tf.keep(tf.reciprocal(this.sigma));
    return p.invSigma;
  }

  private disposeTensors(): void {
    if (this.parts) {
      this.parts.sigma?.dispose();
      this.parts.dSigma?.dispose();
      this.parts.logSigma?.dispose();
      this.parts.invSigma?.dispose();
    }
    this.parts = null;
    this.dataId = null;
  }

  dispose(): void {
    this.disposeTensors();
    const gemm = SimdGemm.get();
    if (this.resident && gemm) {
      gemm.release(this.resident.sigma);
      gemm.release(this.resident.dSigma);
    }
    this.resident = null;
  }
}

type Grad2 = (mu: tf.Tensor, rho: tf.Tensor, save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor[] };

/**
 * μ + σ⊙ε with σ = softplus(ρ) (a sampled posterior parameter with frozen noise ε), differentiable
 * in μ and ρ.
 */
export function sampledParam(mu: tf.Variable, rho: tf.Variable, eps: tf.Tensor, cache: SigmaCache): tf.Tensor {
  const sigma = cache.sigma;
  const dSigma = cache.dSigma;
  const op = tf.customGrad(((m: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    void r;
    return {
      value: tf.add(m, tf.mul(sigma, eps)),
      gradFunc: (dy: tf.Tensor) => [dy, tf.mul(dy, tf.mul(eps, dSigma))],
    };
  }) as Grad2 as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(mu, rho) as tf.Tensor;
}

/**
 * Per-task KL( N(μ, σ²) || N(0, σ_p²) ) summed over a `[numTasks, rows, cols]` factor, for a
 * constant σ_p (one number, or one number per task) that receives no gradient. Differentiable in
 * μ and ρ.
 * @returns `[numTasks]`
 */
export function constantPriorKl(mu: tf.Variable, rho: tf.Variable, sigmaPrior: number | readonly number[], cache: SigmaCache): tf.Tensor1D {
  const [T, rows, cols] = mu.shape as [number, number, number];
  if (typeof sigmaPrior !== 'number' && sigmaPrior.length !== T) throw new Error(`constantPriorKl: ${sigmaPrior.length} σ_prior values for ${T} tasks`);
  const be = wasmHeap();
  const gemm = be ? SimdGemm.get() : null;
  if (be && gemm) {
    const sigma = cache.sigmaOperand;
    const dSigma = cache.dSigmaOperand;
    // One pass of the SIMD kernel each way (terms in float32, per-task sums in float64); Σ log σ
    // per task comes from the σ cache.
    const logSums = cache.logSigmaSums;
    const ivs = typeof sigmaPrior === 'number' ? new Array<number>(T).fill(1 / (sigmaPrior * sigmaPrior)) : sigmaPrior.map((s) => 1 / (s * s));
    const constant = (t: number) => (Math.log(typeof sigmaPrior === 'number' ? sigmaPrior : (sigmaPrior[t] as number)) - 0.5) * rows * cols;
    const view = (t: tf.Tensor) => be.typedArrayFromHeap(t);
    const op = tf.customGrad(((m: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
      save([]);
      void r;
      const { quad } = gemm.klForward(residentOf(gemm, mu), sigma, ivs, T, rows * cols);
      return {
        value: tf.tensor1d(Float32Array.from(quad, (v, t) => v - (logSums[t] as number) + constant(t))),
        gradFunc: (dy: tf.Tensor) => {
          const g = gemm.klBackward(residentOf(gemm, mu), sigma, dSigma, view(dy), ivs, T, rows * cols);
          return [tf.tensor3d(g.dMu, [T, rows, cols]), tf.tensor3d(g.dRho, [T, rows, cols])];
        },
      };
    }) as Grad2 as unknown as Parameters<typeof tf.customGrad>[0]);
    return op(mu, rho) as tf.Tensor1D;
  }
  const sigma = cache.sigma;
  const dSigma = cache.dSigma;
  // Tensors are made inside each function: the forward's intermediates are gone when the gradient runs.
  const invVar = (): tf.Tensor =>
    typeof sigmaPrior === 'number' ? tf.scalar(1 / (sigmaPrior * sigmaPrior)) : tf.tensor3d(sigmaPrior.map((s) => 1 / (s * s)), [T, 1, 1]);
  const op = tf.customGrad(((m: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    void r;
    // Σ over the factor of [(σ² + μ²)/(2σ_p²) − log σ] + rows·cols·(log σ_p − ½), per task.
    const quad = tf.mul(tf.add(tf.square(sigma), tf.square(m)), tf.mul(invVar(), 0.5));
    const perTask = tf.sum(tf.sub(quad, cache.logSigma), [1, 2]);
    const constant = typeof sigmaPrior === 'number' ? (Math.log(sigmaPrior) - 0.5) * rows * cols : sigmaPrior.map((s) => (Math.log(s) - 0.5) * rows * cols);
    const value = tf.add(perTask, typeof constant === 'number' ? tf.scalar(constant) : tf.tensor1d(constant));
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const d = tf.reshape(dy, [T, 1, 1]);
        const iv = invVar();
        const dMu = tf.mul(d, tf.mul(mu, iv));
        const dRho = tf.mul(d, tf.mul(tf.sub(tf.mul(sigma, iv), cache.invSigma), dSigma));
        return [dMu, dRho];
      },
    };
  }) as Grad2 as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(mu, rho) as tf.Tensor1D;
}

/**
 * Per-task KL( N(μ, σ²) || N(0, σ_p²) ) summed over a `[numTasks, rows, cols]` factor for a scalar
 * σ_p tensor that takes a gradient (Experiment 5's learned per-layer prior, `exp(log σ_p)`), on the
 * wasm kernel; null when the kernel is unavailable (the caller uses gaussianKl). Value and the μ/ρ
 * gradients as {@link constantPriorKl}; dKL_t/dσ_p = n/σ_p − Σ(σ² + μ²)/σ_p³, or with
 * `detachSigma` (stabiliser C: σ's term passes no gradient into σ_p) n/σ_p − Σμ²/σ_p³, n = rows·cols.
 * @returns `[numTasks]`
 */
export function scalarPriorKl(mu: tf.Variable, rho: tf.Variable, sigmaPrior: tf.Tensor, detachSigma: boolean, cache: SigmaCache): tf.Tensor1D | null {
  const be = wasmHeap();
  const gemm = be ? SimdGemm.get() : null;
  if (!be || !gemm || sigmaPrior.rank !== 0) return null;
  const sigma = cache.sigmaOperand;
  const dSigma = cache.dSigmaOperand;
  const logSums = cache.logSigmaSums;
  const [T, rows, cols] = mu.shape as [number, number, number];
  const n = rows * cols;
  const view = (t: tf.Tensor) => be.typedArrayFromHeap(t);
  const op = tf.customGrad(((m: tf.Tensor, r: tf.Tensor, spT: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    void r;
    const sp = spT.dataSync()[0] as number;
    const ivs = new Array<number>(T).fill(1 / (sp * sp));
    const { quad, muQuad } = gemm.klForward(residentOf(gemm, mu), sigma, ivs, T, n);
    const constant = (Math.log(sp) - 0.5) * n;
    return {
      value: tf.tensor1d(Float32Array.from(quad, (v, t) => v - (logSums[t] as number) + constant)),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync();
        // quad_t = Σ(σ² + μ²)/(2σ_p²) ⇒ Σ(σ² + μ²)/σ_p³ = 2·quad_t/σ_p (likewise muQuad for Σμ²)
        const byPrior = detachSigma ? muQuad : quad;
        let dSp = 0;
        for (let t = 0; t < T; t++) dSp += (d[t] as number) * (n / sp - (2 * (byPrior[t] as number)) / sp);
        const g = gemm.klBackward(residentOf(gemm, mu), sigma, dSigma, view(dy), ivs, T, n);
        return [tf.tensor3d(g.dMu, [T, rows, cols]), tf.tensor3d(g.dRho, [T, rows, cols]), tf.scalar(dSp)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor1D)(mu, rho, sigmaPrior);
}
