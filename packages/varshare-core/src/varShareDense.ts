import { tf } from './backend';
import { DEFAULT_SIGMA_INIT } from './config';
import { applyActivation, type LayerActivation } from './denseLayer';
import { effectiveWeights, sampledResidual } from './effectiveWeights';
import type { SigmaPriorValue } from './gaussianKl';
import { hotOps, releaseHotOpsState, type GradientSink, type KlPrior } from './ops/hotOps';
import { orthogonalInit } from './orthogonal';
import { posteriorSigma } from './posteriorSigma';
import { randomNormalArray } from './randomNormal';
import { Rng, deriveSeed, tfSeed } from './rng';
import { SigmaPrior, uniqueId } from './sigmaPrior';
import { TaskRouting } from './taskRouting';

export type { LayerActivation };

/**
 * Which weights a forward pass uses for task m:
 * - `mean`: θ + μ_m (posterior mean; evaluation and deterministic acting);
 * - `sample`: θ + μ_m + σ_m ⊙ ε (needs an explicit {@link NoiseSpec});
 * - `shared`: θ only (ignores μ and σ; the loss-gap signal's shared-only model).
 */
export type WeightMode = 'mean' | 'sample' | 'shared';

/**
 * Where the weight noise of `sample` mode comes from. Both are explicit so the PPO ratio is never
 * silently noise:
 * - `local`: local reparameterisation — fresh noise on every forward, drawn from `seed`: for a
 *   full-rank residual the pre-activation x(θ+μ_m) + sqrt(x² σ_m²) ⊙ ε, ε per row and output unit,
 *   equal in distribution to sampling weights per row; for a low-rank residual, fresh factor noise
 *   per task per forward.
 * - `frozen`: one ε per task drawn from `seed` and reused for every forward with the same seed (one
 *   seed per rollout segment, reused in that segment's update epochs).
 */
export type NoiseSpec = { readonly kind: 'local'; readonly seed: number } | { readonly kind: 'frozen'; readonly seed: number };

/** Options of a forward pass. */
export interface ApplyOptions {
  readonly weights: WeightMode;
  /** Required when `weights` is `sample`. */
  readonly noise?: NoiseSpec;
  /** Whether a gradient with respect to the input is wanted (default true; see `HotOps.dense`). */
  readonly inputGradient?: boolean;
}

/**
 * The residual φ_m of a layer:
 * - `full`: φ_m ∈ R^{in×out} with posterior N(μ_m, diag σ_m²);
 * - `low-rank`: φ_m = A_m B_m, A_m ∈ R^{in×r}, B_m ∈ R^{r×out}, posterior and KL over the factors'
 *   entries (μ_A starts small and random, μ_B at 0, so φ_m = 0 at init yet gradients are non-zero);
 * - `none`: no residual (a plain shared layer; KL is 0) — the `shared-mlp` reference.
 */
export type ResidualSpec = { readonly kind: 'full' } | { readonly kind: 'low-rank'; readonly rank: number } | { readonly kind: 'none' };

/** Options of {@link VarShareDense}. */
export interface VarShareDenseOptions {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly numTasks: number;
  /** Seeds θ's orthogonal init (and μ_A for low-rank). */
  readonly seed: number;
  /** Orthogonal-init gain of θ. Defaults to √2 (CleanRL hidden layers). */
  readonly gain?: number;
  /** Initial posterior std σ = softplus(ρ); ρ starts at softplus⁻¹(sigmaInit). Defaults to 0.02 (`DEFAULT_SIGMA_INIT`). */
  readonly sigmaInit?: number;
  /** Defaults to `{ kind: 'full' }`. */
  readonly residual?: ResidualSpec;
  /** Layer name used in logs and by σ_prior (e.g. `actor.0`). Defaults to `dense`. */
  readonly name?: string;
}

/** One posterior factor: μ and ρ, both `[numTasks, rows, cols]` (σ = softplus(ρ) from `HotOps.posteriorParts`). */
interface PosteriorFactor {
  readonly mu: tf.Variable;
  readonly rho: tf.Variable;
}

/** Named arrays for checkpoints: variable name → shape and values. */
export type NamedArrays = Record<string, { readonly shape: number[]; readonly data: Float32Array }>;

/** softplus⁻¹(σ) = log(exp(σ) − 1), stable for small σ. */
export function inverseSoftplus(sigma: number): number {
  return sigma > 20 ? sigma : Math.log(Math.expm1(sigma));
}

/**
 * A dense layer with shared weights θ (`[in, out]`, bias `[out]`) and a per-task variational
 * residual: W_m = θ + φ_m, q_m(φ_m) = N(μ_m, diag σ_m²), σ_m = softplus(ρ_m), μ_m initialised to 0.
 * Biases are shared only (no residual, no KL): the residual covers the weight matrix.
 *
 * θ is initialised exactly as a plain dense layer (orthogonal with `gain`, bias 0), so a VarShare
 * net and a `residual: none` net built with the same seed start with identical θ.
 */
export class VarShareDense {
  readonly name: string;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly numTasks: number;
  readonly residual: ResidualSpec;
  /** Shared weights θ, `[in, out]`. */
  readonly theta: tf.Variable;
  /** Shared bias, `[out]`. */
  readonly bias: tf.Variable;
  private readonly factors: PosteriorFactor[];
  private frozen: { seed: number; eps: tf.Tensor[] } | null = null;

  constructor(options: VarShareDenseOptions) {
    const { inputDim, outputDim, numTasks, seed } = options;
    for (const [field, v] of [['inputDim', inputDim], ['outputDim', outputDim], ['numTasks', numTasks]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`VarShareDense: ${field} must be a positive integer, got ${v}`);
    }
    this.name = options.name ?? 'dense';
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.numTasks = numTasks;
    this.residual = options.residual ?? { kind: 'full' };
    const gain = options.gain ?? Math.SQRT2;
    const sigmaInit = options.sigmaInit ?? DEFAULT_SIGMA_INIT;
    if (!(sigmaInit > 0)) throw new Error(`VarShareDense: sigmaInit must be > 0, got ${sigmaInit}`);
    const id = uniqueId();
    const thetaInit = orthogonalInit(inputDim, outputDim, gain, new Rng(deriveSeed(seed, 0)));
    // A variable shares its initial tensor's buffer; tidy frees the initial tensor so that the
    // variable's dispose frees the buffer.
    const variable = (init: () => tf.Tensor, name: string): tf.Variable => tf.tidy(() => tf.variable(init(), true, name));
    this.theta = variable(() => tf.tensor2d(thetaInit, [inputDim, outputDim]), `${this.name}/theta/${id}`);
    this.bias = variable(() => tf.zeros([outputDim]), `${this.name}/bias/${id}`);
    const rho0 = inverseSoftplus(sigmaInit);
    const factor = (rows: number, cols: number, muInit: Float32Array | null, k: number): PosteriorFactor => {
      const rho = variable(() => tf.fill([numTasks, rows, cols], rho0), `${this.name}/rho${k}/${id}`);
      return { mu: variable(() => (muInit ? tf.tensor3d(muInit, [numTasks, rows, cols]) : tf.zeros([numTasks, rows, cols])), `${this.name}/mu${k}/${id}`), rho };
    };
    if (this.residual.kind === 'full') {
      this.factors = [factor(inputDim, outputDim, null, 0)];
    } else if (this.residual.kind === 'low-rank') {
      const r = this.residual.rank;
      if (!Number.isInteger(r) || r < 1) throw new Error(`VarShareDense: low-rank rank must be a positive integer, got ${r}`);
      // μ_A ~ N(0, 1/in) from the seed so that dL/dμ_B ≠ 0 at φ = 0; μ_B = 0.
      const rng = new Rng(deriveSeed(seed, 1));
      const a = new Float32Array(numTasks * inputDim * r);
      for (let i = 0; i < a.length; i++) a[i] = rng.normal() / Math.sqrt(inputDim);
      this.factors = [factor(inputDim, r, a, 0), factor(r, outputDim, null, 1)];
    } else {
      this.factors = [];
    }
  }

  /** Number of residual parameters per task (the KL is a sum over this many terms per task). */
  get residualParamsPerTask(): number {
    return this.factors.reduce((n, f) => n + (f.mu.shape[1] as number) * (f.mu.shape[2] as number), 0);
  }

  /** θ and bias. */
  sharedVariables(): tf.Variable[] {
    return [this.theta, this.bias];
  }

  /** All μ and ρ variables. */
  posteriorVariables(): tf.Variable[] {
    return this.factors.flatMap((f) => [f.mu, f.rho]);
  }

  /**
   * Forward pass on a mixed-task batch; each row uses its own task's parameters.
   * @param x `[B, in]`
   * @param taskIds int32 `[B]` (typed array, array or tensor)
   * @returns `[B, out]`
   */
  apply(x: tf.Tensor2D, taskIds: ArrayLike<number> | tf.Tensor1D, options: ApplyOptions): tf.Tensor2D {
    const ids = taskIds instanceof tf.Tensor ? (taskIds.dataSync() as Int32Array) : taskIds;
    const routing = new TaskRouting(ids, this.numTasks);
    try {
      return tf.tidy(() => routing.ungroup(this.applyGrouped(routing.group(x), options)));
    } finally {
      routing.dispose();
    }
  }

  /**
   * Forward pass in the task-major layout of {@link TaskRouting}: slot m holds rows of task m.
   * @param xg `[numTasks, n, in]`
   * @param activation applied to the output (fused into the layer's kernel on wasm). Defaults to `none`.
   * @returns `[numTasks, n, out]`
   */
  applyGrouped(xg: tf.Tensor3D, options: ApplyOptions, activation: LayerActivation = 'none'): tf.Tensor3D {
    return tf.tidy(() => {
      const [T, n] = [xg.shape[0], xg.shape[1]];
      if (T !== this.numTasks) throw new Error(`${this.name}: grouped input has ${T} task slots, layer has ${this.numTasks}`);
      const mode = this.factors.length === 0 ? 'shared' : options.weights;
      if (mode === 'sample' && !options.noise) throw new Error(`${this.name}: weights 'sample' needs an explicit noise spec`);
      const ops = hotOps();
      const layer = { theta: this.theta, bias: this.bias };
      const dense = { inputGradient: options.inputGradient ?? true };
      if (mode === 'shared') return ops.dense(xg, layer, activation, dense);
      if (this.residual.kind === 'full') {
        const f = this.factors[0] as PosteriorFactor;
        if (mode === 'mean') return ops.dense(xg, { ...layer, residual: { mu: f.mu } }, activation, dense);
        const noise = options.noise as NoiseSpec;
        if (noise.kind === 'frozen') {
          const eps = this.frozenEps(noise.seed)[0] as tf.Tensor;
          return ops.dense(xg, { ...layer, residual: { mu: f.mu, noise: { rho: f.rho, eps } } }, activation, dense);
        }
        // Local reparameterisation: x(θ + μ) + sqrt(x²σ²)⊙ε, fresh ε per row and output unit.
        const mean = ops.groupedMatMul(xg, effectiveWeights(this.theta, f.mu) as tf.Tensor3D);
        const variance = ops.groupedMatMul(tf.square(xg), tf.square(posteriorSigma(f.rho)) as tf.Tensor3D);
        const eps = tf.randomNormal([T, n, this.outputDim], 0, 1, 'float32', tfSeed(noise.seed));
        const y = tf.add(mean, tf.mul(tf.sqrt(tf.add(variance, 1e-12)), eps));
        return applyActivation(tf.add(y, this.bias), activation);
      }
      // Low-rank: W_m = θ + A_m B_m, the adapter applied as two products after θ's.
      const [fa, fb] = this.factors as [PosteriorFactor, PosteriorFactor];
      let a: tf.Tensor = fa.mu;
      let b: tf.Tensor = fb.mu;
      if (mode === 'sample') {
        const noise = options.noise as NoiseSpec;
        if (noise.kind === 'frozen') {
          const eps = this.frozenEps(noise.seed);
          a = ops.sampleResidual(fa.mu, fa.rho, eps[0] as tf.Tensor);
          b = ops.sampleResidual(fb.mu, fb.rho, eps[1] as tf.Tensor);
        } else {
          const eps = this.factors.map((g, k) => tf.randomNormal(g.mu.shape, 0, 1, 'float32', tfSeed(deriveSeed(noise.seed, k))));
          a = sampledResidual(fa.mu, posteriorSigma(fa.rho), eps[0] as tf.Tensor);
          b = sampledResidual(fb.mu, posteriorSigma(fb.rho), eps[1] as tf.Tensor);
        }
      }
      const adapter = ops.groupedMatMul(ops.groupedMatMul(xg, a as tf.Tensor3D), b as tf.Tensor3D);
      const y = tf.add(this.sharedMatMul(xg), adapter);
      return applyActivation(tf.add(y, this.bias), activation);
    });
  }

  /**
   * The effective weight matrix for a non-local weights mode, for acting without gradients:
   * `[numTasks, in, out]` (θ + μ_m, or θ + μ_m + σ_m⊙ε with frozen noise; low-rank: θ + A_m B_m),
   * or θ `[in, out]` for `shared`. The caller owns (and disposes) the returned tensor.
   */
  effectiveWeight(options: ApplyOptions): tf.Tensor {
    return tf.tidy(() => {
      const mode = this.factors.length === 0 ? 'shared' : options.weights;
      if (mode === 'shared') return tf.clone(this.theta);
      if (mode === 'sample' && options.noise?.kind !== 'frozen') {
        throw new Error(`${this.name}: effectiveWeight needs 'mean', 'shared' or frozen noise (local noise is per forward)`);
      }
      const eps = mode === 'sample' ? this.frozenEps((options.noise as NoiseSpec).seed) : null;
      const ops = hotOps();
      const param = (f: PosteriorFactor, k: number): tf.Tensor => (eps ? sampledResidual(f.mu, ops.posteriorParts(f.rho).sigma, eps[k] as tf.Tensor) : f.mu);
      const residual =
        this.residual.kind === 'full'
          ? param(this.factors[0] as PosteriorFactor, 0)
          : tf.matMul(param(this.factors[0] as PosteriorFactor, 0) as tf.Tensor3D, param(this.factors[1] as PosteriorFactor, 1) as tf.Tensor3D);
      return effectiveWeights(this.theta, residual);
    });
  }

  private sharedMatMul(xg: tf.Tensor3D): tf.Tensor3D {
    const [T, n, d] = xg.shape;
    const flat = tf.matMul(tf.reshape(xg, [T * n, d]) as tf.Tensor2D, this.theta as tf.Tensor2D);
    return tf.reshape(flat, [T, n, this.outputDim]);
  }

  /** ε per factor for a frozen-noise seed, cached until a different seed is asked for. */
  private frozenEps(seed: number): tf.Tensor[] {
    if (this.frozen?.seed !== seed) {
      // tf.randomNormal's values, generated without its per-value calls (randomNormal.ts)
      this.adoptFrozenNoise(
        seed,
        this.frozenNoiseRequests(seed).map((r) => randomNormalArray(r.n, r.seed)),
      );
    }
    return (this.frozen as { eps: tf.Tensor[] }).eps;
  }

  /**
   * The normals the frozen noise of `seed` needs (one `randomNormalArray(n, seed)` per factor), or
   * none when this layer holds them already: for {@link freezeNoise}, which draws several layers'
   * at once.
   */
  frozenNoiseRequests(seed: number): { readonly n: number; readonly seed: number }[] {
    if (this.frozen?.seed === seed) return [];
    return this.factors.map((f, k) => ({ n: f.mu.size, seed: tfSeed(deriveSeed(seed, k)) }));
  }

  /** Keeps `values` (those of {@link frozenNoiseRequests}(seed), in order) as the frozen noise of `seed`. */
  adoptFrozenNoise(seed: number, values: readonly Float32Array[]): void {
    if (values.length !== this.factors.length) throw new Error(`${this.name}: ${values.length} noise arrays for ${this.factors.length} factors`);
    this.frozen?.eps.forEach((e) => {
      releaseHotOpsState(e);
      e.dispose();
    });
    const eps = this.factors.map((f, k) => tf.keep(tf.tensor(values[k] as Float32Array, f.mu.shape)));
    this.frozen = { seed, eps };
  }

  /**
   * KL(q_m || p_m) summed over this layer's residual parameters, per task.
   * @param sigmaPrior a number, a tensor broadcastable to `[numTasks, rows, cols]`, or the model's
   *   {@link SigmaPrior} (which supplies this layer's value and the detach option).
   * @returns `[numTasks]`
   */
  kl(sigmaPrior: SigmaPriorValue | SigmaPrior): tf.Tensor1D {
    return tf.tidy(() => {
      if (this.factors.length === 0) return tf.zeros([this.numTasks]) as tf.Tensor1D;
      const prior = this.klPrior(sigmaPrior);
      const ops = hotOps();
      const perFactor = this.factors.map((f) => ops.taskKl(f.mu, f.rho, prior));
      return (perFactor.length === 1 ? perFactor[0] : tf.addN(perFactor)) as tf.Tensor1D;
    });
  }

  /**
   * This layer's σ_prior as the KL ops take it: a constant (a number, or one per task), or a tensor
   * (exp5's learned prior, with the detach option). May create a tensor: call inside a tidy.
   */
  private klPrior(sigmaPrior: SigmaPriorValue | SigmaPrior): KlPrior {
    const constant = sigmaPrior instanceof SigmaPrior ? sigmaPrior.constantValue(this.numTasks) : typeof sigmaPrior === 'number' ? sigmaPrior : null;
    if (constant !== null) return { kind: 'constant', sigmaPrior: constant };
    const sp = sigmaPrior instanceof SigmaPrior ? sigmaPrior.forLayer(this.name, this.numTasks) : sigmaPrior;
    const detachSigma = sigmaPrior instanceof SigmaPrior && sigmaPrior.detachSigma;
    return typeof sp === 'number' ? { kind: 'constant', sigmaPrior: sp } : { kind: 'tensor', sigmaPrior: sp, detachSigma };
  }

  /** This layer's σ_prior when it is a constant; null for a tensor. */
  private constantPrior(sigmaPrior: SigmaPriorValue | SigmaPrior): number | readonly number[] | null {
    let constant: number | readonly number[] | null = null;
    tf.tidy(() => {
      const prior = this.klPrior(sigmaPrior);
      if (prior.kind === 'constant') constant = prior.sigmaPrior;
    });
    return constant;
  }

  /** Whether {@link klWithGradient} can take this layer's KL without the tape (a constant σ_prior, ops with the direct path). */
  klWithoutTape(sigmaPrior: SigmaPriorValue | SigmaPrior): boolean {
    return this.factors.length === 0 || (hotOps().klWithGradient !== undefined && this.constantPrior(sigmaPrior) !== null);
  }

  /**
   * {@link kl}'s values `[numTasks]` (the same numbers) and the gradient of Σ_m dy_m·KL_m with
   * respect to μ and ρ delivered to `sink`, without the tape; only where {@link klWithoutTape}.
   * @param dy `[numTasks]`
   */
  klWithGradient(sigmaPrior: SigmaPriorValue | SigmaPrior, dy: Float32Array, sink: GradientSink): Float32Array {
    if (this.factors.length === 0) return new Float32Array(this.numTasks);
    const direct = hotOps().klWithGradient;
    const prior = this.constantPrior(sigmaPrior);
    if (!direct || prior === null) throw new Error(`${this.name}: no KL without the tape here (a tensor σ_prior, or ops without it)`);
    const perFactor = this.factors.map((f) => direct(f.mu, f.rho, prior, dy, sink));
    // as kl()'s addN sums the factors: in float32, in order
    const out = perFactor[0] as Float32Array;
    for (const v of perFactor.slice(1)) for (let t = 0; t < out.length; t++) out[t] = (out[t] as number) + (v[t] as number);
    return out;
  }

  /**
   * Posterior parameters as CPU arrays, per task: μ and σ over all residual entries, Σ log σ
   * (float64, from the σ cache), and θ.
   */
  readPosterior(): { mu: Float32Array[]; sigma: Float32Array[]; logSigmaSum: number[]; theta: Float32Array } {
    const mu: Float32Array[] = [];
    const sigma: Float32Array[] = [];
    const per = this.residualParamsPerTask;
    for (let m = 0; m < this.numTasks; m++) {
      mu.push(new Float32Array(per));
      sigma.push(new Float32Array(per));
    }
    let offset = 0;
    const ops = hotOps();
    for (const f of this.factors) {
      const size = (f.mu.shape[1] as number) * (f.mu.shape[2] as number);
      const muData = f.mu.dataSync() as Float32Array;
      const sigmaData = ops.posteriorParts(f.rho).sigmaValues();
      for (let m = 0; m < this.numTasks; m++) {
        (mu[m] as Float32Array).set(muData.subarray(m * size, (m + 1) * size), offset);
        (sigma[m] as Float32Array).set(sigmaData.subarray(m * size, (m + 1) * size), offset);
      }
      offset += size;
    }
    const logSigmaSum = new Array<number>(this.numTasks).fill(0);
    for (const f of this.factors) ops.posteriorParts(f.rho).logSigmaSums.forEach((v, m) => (logSigmaSum[m] = (logSigmaSum[m] as number) + v));
    return { mu, sigma, logSigmaSum, theta: this.theta.dataSync() as Float32Array };
  }

  /** Every variable's values, by stable name (`theta`, `bias`, `mu0`, `rho0`, …). */
  getState(): NamedArrays {
    const out: NamedArrays = {};
    for (const [key, v] of this.namedVariables()) out[key] = { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
    return out;
  }

  /** Restores values saved by {@link getState}; shapes must match. */
  setState(state: NamedArrays): void {
    for (const [key, v] of this.namedVariables()) {
      const saved = state[key];
      if (!saved) throw new Error(`${this.name}: state has no '${key}'`);
      if (saved.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`${this.name}: '${key}' has shape [${saved.shape}] in the state, [${v.shape}] in the layer`);
      }
      v.assign(tf.tensor(saved.data, v.shape));
    }
    this.frozen?.eps.forEach((e) => {
      releaseHotOpsState(e);
      e.dispose();
    });
    this.frozen = null;
  }

  private namedVariables(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [['theta', this.theta], ['bias', this.bias]];
    this.factors.forEach((f, k) => out.push([`mu${k}`, f.mu], [`rho${k}`, f.rho]));
    return out;
  }

  /** Frees all variables and cached noise (and what the hot ops keep for them). */
  dispose(): void {
    this.frozen?.eps.forEach((e) => {
      releaseHotOpsState(e);
      e.dispose();
    });
    this.frozen = null;
    for (const [, v] of this.namedVariables()) {
      releaseHotOpsState(v);
      v.dispose();
    }
  }
}
