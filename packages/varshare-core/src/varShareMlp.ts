import { tf } from './backend';
import { DEFAULT_SIGMA_INIT } from './config';
import type { SigmaPriorValue } from './gaussianKl';
import { wasmKernels } from './kernels/wasmKernels';
import { hotOps, releaseHotOpsState, type GradientSink } from './ops/hotOps';
import { aleaState } from './randomNormal';
import { deriveSeed } from './rng';
import type { SigmaPrior } from './sigmaPrior';
import { TaskRouting } from './taskRouting';
import { VarShareDense, type NamedArrays, type NoiseSpec, type ResidualSpec, type WeightMode } from './varShareDense';

/** Hidden activation. CleanRL's PPO uses tanh. */
export type Activation = 'tanh' | 'relu';

/**
 * Which residual layers draw noise when `weights` is `sample`:
 * - `full-residual`: every layer with a residual;
 * - `adapters-only`: only the low-rank adapter layers; full-rank residual layers act with μ.
 */
export type SamplingScope = 'full-residual' | 'adapters-only';

/** Options of {@link VarShareMLP}. */
export interface VarShareMLPOptions {
  readonly inputDim: number;
  /** Hidden layer widths, e.g. `[64, 64]`. */
  readonly hiddenSizes: readonly number[];
  readonly outputDim: number;
  readonly numTasks: number;
  readonly seed: number;
  /** Defaults to `tanh`. */
  readonly activation?: Activation;
  /** Orthogonal gain of hidden layers. Defaults to √2. */
  readonly hiddenGain?: number;
  /** Orthogonal gain of the output layer (CleanRL: 0.01 actor, 1.0 critic). Defaults to 1. */
  readonly outputGain?: number;
  /** Initial posterior σ. Defaults to 1e-3 (well below every σ_prior the experiments use). */
  /** Initial posterior σ of every residual layer. Defaults to `DEFAULT_SIGMA_INIT` (0.02). */
  readonly sigmaInit?: number;
  /** Residual of every layer, or one spec per layer (hidden layers first). Defaults to full. */
  readonly residual?: ResidualSpec | readonly ResidualSpec[];
  /** Layer-name prefix: layers are `<prefix>.0`, `<prefix>.1`, …. Defaults to `net`. */
  readonly name?: string;
}

/** Options of an MLP forward pass. */
export interface MLPApplyOptions {
  readonly weights: WeightMode;
  /** Required when `weights` is `sample`; each layer uses a seed derived from it. */
  readonly noise?: NoiseSpec;
  /** Defaults to `full-residual`. */
  readonly samplingScope?: SamplingScope;
  /**
   * Whether a gradient with respect to the input is wanted (default true). False when the input is
   * data (observations): its gradient is then zeros, and the first layer's ∂x product is skipped on
   * the wasm ops (arm-mt10's [n, 39]·[39, 400]ᵀ per task and minibatch).
   */
  readonly inputGradient?: boolean;
}

/**
 * Draws the frozen noise ε of every sampling layer of `nets` for `options` (weights `sample` with
 * `frozen` noise; nothing otherwise) at once: the values each layer's forward or snapshot would
 * draw (`randomNormalArray` per factor), on the wasm kernels split over the kernel threads, whole
 * arrays per thread; the layers keep them. The generator is a chain of dependent float64 operations
 * (~26 ns per value in the JS loop and in the kernel alike), so only threads gain: arm-mt10's
 * actor and critic, 3.5 M values per rollout segment, 86 → 57 ms at two threads. Does nothing on
 * one kernel thread or other ops (the layers draw their noise when first used), and for layers
 * holding this seed's noise already.
 */
export function freezeNoise(nets: readonly VarShareMLP[], options: MLPApplyOptions): void {
  if (options.weights !== 'sample' || options.noise?.kind !== 'frozen') return;
  const ops = hotOps();
  const kernels = ops.name === 'wasm' && ops.kernelThreads() > 1 ? wasmKernels() : null;
  if (!kernels) return;
  const scope = options.samplingScope ?? 'full-residual';
  const wanted: { layer: VarShareDense; seed: number; requests: { n: number; seed: number }[] }[] = [];
  for (const net of nets) {
    net.layers.forEach((layer, i) => {
      if (scope === 'adapters-only' && layer.residual.kind !== 'low-rank') return;
      const seed = deriveSeed((options.noise as NoiseSpec).seed, i);
      const requests = layer.frozenNoiseRequests(seed);
      if (requests.length) wanted.push({ layer, seed, requests });
    });
  }
  const values = kernels.random.normals(wanted.flatMap((w) => w.requests.map((r) => ({ n: r.n, state: aleaState(r.seed) }))));
  let next = 0;
  for (const w of wanted) w.layer.adoptFrozenNoise(w.seed, values.slice(next, (next += w.requests.length)));
}

/**
 * A multi-layer perceptron of {@link VarShareDense} layers: every layer has a shared θ and a per-task
 * variational residual. With `residual: { kind: 'none' }` it is the plain shared MLP (same code
 * path, same θ init for the same seed), see {@link createSharedMLP}.
 */
export class VarShareMLP {
  readonly layers: readonly VarShareDense[];
  readonly numTasks: number;
  readonly activation: Activation;
  readonly name: string;

  constructor(options: VarShareMLPOptions) {
    const sizes = [options.inputDim, ...options.hiddenSizes, options.outputDim];
    const name = options.name ?? 'net';
    const layers: VarShareDense[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const isOutput = i + 2 === sizes.length;
      const residual = Array.isArray(options.residual)
        ? (options.residual as readonly ResidualSpec[])[i]
        : (options.residual as ResidualSpec | undefined);
      if (Array.isArray(options.residual) && residual === undefined) {
        throw new Error(`VarShareMLP: residual has ${options.residual.length} entries for ${sizes.length - 1} layers`);
      }
      layers.push(
        new VarShareDense({
          inputDim: sizes[i] as number,
          outputDim: sizes[i + 1] as number,
          numTasks: options.numTasks,
          seed: deriveSeed(options.seed, i),
          gain: isOutput ? (options.outputGain ?? 1) : (options.hiddenGain ?? Math.SQRT2),
          sigmaInit: options.sigmaInit ?? DEFAULT_SIGMA_INIT,
          residual: residual ?? { kind: 'full' },
          name: `${name}.${i}`,
        }),
      );
    }
    this.layers = layers;
    this.numTasks = options.numTasks;
    this.activation = options.activation ?? 'tanh';
    this.name = name;
  }

  /** Layer names, e.g. `['actor.0', 'actor.1', 'actor.2']`. */
  get layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** Residual parameters per task over all layers (the KL's number of terms per task). */
  get residualParamsPerTask(): number {
    return this.layers.reduce((n, l) => n + l.residualParamsPerTask, 0);
  }

  /**
   * @param x `[B, inputDim]`
   * @param taskIds int32 `[B]`
   * @returns `[B, outputDim]`
   */
  apply(x: tf.Tensor2D, taskIds: ArrayLike<number> | tf.Tensor1D, options: MLPApplyOptions): tf.Tensor2D {
    const ids = taskIds instanceof tf.Tensor ? (taskIds.dataSync() as Int32Array) : taskIds;
    const routing = new TaskRouting(ids, this.numTasks);
    try {
      return this.applyRouted(x, routing, options);
    } finally {
      routing.dispose();
    }
  }

  /** As {@link apply} with a routing built once and shared (e.g. by actor and critic). */
  applyRouted(x: tf.Tensor2D, routing: TaskRouting, options: MLPApplyOptions): tf.Tensor2D {
    return tf.tidy(() => routing.ungroup(this.applyGrouped(routing.group(x), options)));
  }

  /** Forward in the task-major layout `[numTasks, n, d]` (see {@link TaskRouting}). */
  applyGrouped(xg: tf.Tensor3D, options: MLPApplyOptions): tf.Tensor3D {
    return tf.tidy(() => {
      const scope = options.samplingScope ?? 'full-residual';
      let h: tf.Tensor3D = xg;
      this.layers.forEach((layer, i) => {
        let weights = options.weights;
        if (weights === 'sample' && scope === 'adapters-only' && layer.residual.kind !== 'low-rank') weights = 'mean';
        const noise = weights === 'sample' && options.noise ? { kind: options.noise.kind, seed: deriveSeed(options.noise.seed, i) } : undefined;
        const input = i === 0 && options.inputGradient === false ? { inputGradient: false } : {};
        h = layer.applyGrouped(h, noise ? { weights, noise, ...input } : { weights, ...input }, i + 1 < this.layers.length ? this.activation : 'none');
      });
      return h;
    });
  }

  /**
   * Precomputes every layer's effective weights for one weights mode (`mean`, `shared`, or `sample`
   * with frozen noise) so that repeated forwards within a rollout segment cost one batched matmul
   * per layer and nothing else. Values equal {@link applyGrouped} with the same options; no
   * gradients. Dispose the snapshot when the segment ends (or the parameters change).
   */
  snapshot(options: MLPApplyOptions): MLPSnapshot {
    const scope = options.samplingScope ?? 'full-residual';
    const weights = this.layers.map((layer, i) => {
      let mode = options.weights;
      if (mode === 'sample' && scope === 'adapters-only' && layer.residual.kind !== 'low-rank') mode = 'mean';
      const noise = mode === 'sample' && options.noise ? { kind: options.noise.kind, seed: deriveSeed(options.noise.seed, i) } : undefined;
      return { w: layer.effectiveWeight(noise ? { weights: mode, noise } : { weights: mode }), b: layer.bias };
    });
    return new MLPSnapshot(weights, this.numTasks, this.activation);
  }

  /** Per-task KL summed over all layers, `[numTasks]`. */
  kl(sigmaPrior: SigmaPriorValue | SigmaPrior): tf.Tensor1D {
    return tf.tidy(() => tf.addN(this.layers.map((l) => l.kl(sigmaPrior))) as tf.Tensor1D);
  }

  /** Whether every layer can take its KL without the tape (see {@link VarShareDense.klWithoutTape}). */
  klWithoutTape(sigmaPrior: SigmaPriorValue | SigmaPrior): boolean {
    return this.layers.every((l) => l.klWithoutTape(sigmaPrior));
  }

  /**
   * {@link kl}'s values (the same float32 sums over layers, in order) with the gradient of
   * Σ_m dy_m·KL_m delivered to `sink`, without the tape; only where {@link klWithoutTape}.
   * @param dy `[numTasks]`
   */
  klWithGradient(sigmaPrior: SigmaPriorValue | SigmaPrior, dy: Float32Array, sink: GradientSink): Float32Array {
    let out: Float32Array | null = null;
    for (const l of this.layers) {
      const v = l.klWithGradient(sigmaPrior, dy, sink);
      if (out === null) out = v;
      else for (let t = 0; t < out.length; t++) out[t] = (out[t] as number) + (v[t] as number);
    }
    return out ?? new Float32Array(this.numTasks);
  }

  /** θ and biases of every layer. */
  sharedVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.sharedVariables());
  }

  /** μ and ρ of every layer. */
  posteriorVariables(): tf.Variable[] {
    return this.layers.flatMap((l) => l.posteriorVariables());
  }

  /** All variables' values, keyed `<layer>/<var>`. */
  getState(): NamedArrays {
    const out: NamedArrays = {};
    for (const l of this.layers) for (const [k, v] of Object.entries(l.getState())) out[`${l.name}/${k}`] = v;
    return out;
  }

  /** Restores {@link getState} output. */
  setState(state: NamedArrays): void {
    for (const l of this.layers) {
      const prefix = `${l.name}/`;
      const sub: NamedArrays = {};
      for (const [k, v] of Object.entries(state)) if (k.startsWith(prefix)) sub[k.slice(prefix.length)] = v;
      l.setState(sub);
    }
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

/** The plain shared MLP: a {@link VarShareMLP} without residuals (identical θ init and forward code). */
export function createSharedMLP(options: Omit<VarShareMLPOptions, 'residual' | 'sigmaInit'>): VarShareMLP {
  return new VarShareMLP({ ...options, residual: { kind: 'none' } });
}

/** Frozen effective weights of a {@link VarShareMLP} (see {@link VarShareMLP.snapshot}). */
export class MLPSnapshot {
  constructor(
    private readonly weights: readonly { readonly w: tf.Tensor; readonly b: tf.Variable }[],
    readonly numTasks: number,
    readonly activation: Activation,
  ) {}

  /** `[numTasks, n, in]` → `[numTasks, n, out]` ({@link applyGroupedArrays} on tensors). */
  applyGrouped(xg: tf.Tensor3D): tf.Tensor3D {
    const [T, n] = xg.shape;
    const y = this.applyGroupedArrays(xg.dataSync() as Float32Array, n);
    return tf.tensor3d(y, [T, n, y.length / (T * n)]);
  }

  /**
   * The forward on arrays, for acting (no tensors): `[numTasks, n, in]` row-major →
   * `[numTasks, n, out]`. The training forward's implementation (the dense kernel on the same
   * effective weights, `HotOps.denseArrays`), so acting and training see the same outputs.
   */
  applyGroupedArrays(xg: Float32Array, n: number): Float32Array {
    const ops = hotOps();
    let h = xg;
    let width = h.length / (this.numTasks * n);
    this.weights.forEach(({ w, b }, i) => {
      h = ops.denseArrays(h, [this.numTasks, n, width], w, b, i + 1 < this.weights.length ? this.activation : 'none');
      width = w.shape[w.rank - 1] as number;
    });
    return h;
  }

  /** `[B, in]` → `[B, out]` with a routing for the batch. */
  applyRouted(x: tf.Tensor2D, routing: TaskRouting): tf.Tensor2D {
    return tf.tidy(() => routing.ungroup(this.applyGrouped(routing.group(x))));
  }

  dispose(): void {
    for (const { w } of this.weights) {
      releaseHotOpsState(w); // its copy in the kernel memory (wasm), kept across the rollout's calls
      w.dispose();
    }
  }
}
