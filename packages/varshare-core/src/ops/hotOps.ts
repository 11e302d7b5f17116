import type { AdamArray, AddedSums, AdamStepConstants } from '../adamStep';
import { tf } from '../backend';
import type { LayerActivation } from '../denseLayer';
import { wasmHeap } from '../kernels/heap';
import { wasmKernels } from '../kernels/wasmKernels';
import type { KernelStats } from '../kernels/matmulKernel';
import { tfjsOps } from './tfjsOps';
import { createWasmOps } from './wasmOps';

export type { KernelStats };

/** The two implementations of {@link HotOps}. */
export type HotOpsName = 'tfjs' | 'wasm';

/**
 * σ = softplus(ρ), σ' = sigmoid(ρ) and Σ log σ per task for the current value of one ρ variable,
 * computed once per value of ρ (a variable gets a new dataId on every assign) and kept by the
 * implementation until ρ changes or is released. Nothing here is on a gradient tape.
 */
export interface PosteriorParts {
  /** σ, ρ's shape (owned by the implementation: do not dispose). */
  readonly sigma: tf.Tensor;
  /** σ' = dσ/dρ, ρ's shape (owned by the implementation: do not dispose). */
  readonly dSigma: tf.Tensor;
  /** Σ log σ per task `[numTasks]` (sums over each task's rows·cols), float64. */
  readonly logSigmaSums: Float64Array;
  /** σ's values, row-major like ρ (a fresh copy). */
  sigmaValues(): Float32Array;
}

/** One dense layer's parameters for {@link HotOps.dense}. */
/**
 * One median of {@link HotOps.posteriorMedians}: parts of variables' values — a μ as it is
 * (`of: 'values'`) or the σ = softplus(ρ) of a ρ (`of: 'sigma'`), entries [start, start + length)
 * of the row-major values — taken as they are or as absolute values (`abs`).
 */
export interface PosteriorMedianQuery {
  readonly abs: boolean;
  readonly parts: readonly { readonly of: 'values' | 'sigma'; readonly variable: tf.Variable; readonly start: number; readonly length: number }[];
}

/** Options of {@link HotOps.dense}. */
export interface DenseOptions {
  /** Whether the gradient with respect to the input is wanted (default true). */
  readonly inputGradient?: boolean;
}

export interface DenseLayerParams {
  /** θ, `[in, out]`. */
  readonly theta: tf.Variable;
  /** b, `[out]`. */
  readonly bias: tf.Variable;
  /**
   * The task residual of a full-residual layer: μ `[numTasks, in, out]` alone (posterior-mean
   * weights W_m = θ + μ_m), or with ρ (same shape) and frozen noise ε (same shape) for sampled
   * weights W_m = θ + (μ_m + σ_m⊙ε_m). Absent for shared weights (W = θ for every task).
   */
  readonly residual?: { readonly mu: tf.Variable; readonly noise?: { readonly rho: tf.Variable; readonly eps: tf.Tensor } };
}

/**
 * σ_prior of a KL for {@link HotOps.taskKl}:
 * - `constant`: one number, or one per task, receiving no gradient (baseline, exp1–exp4);
 * - `tensor`: a tensor broadcastable to μ that may take a gradient — a scalar is the learned
 *   per-layer prior of exp5 — with `detachSigma` (stabiliser C: σ's term of the KL passes no
 *   gradient into σ_prior; see `gaussianKl`'s `detachSigmaForPrior`).
 */
export type KlPrior =
  | { readonly kind: 'constant'; readonly sigmaPrior: number | readonly number[] }
  | { readonly kind: 'tensor'; readonly sigmaPrior: tf.Tensor; readonly detachSigma: boolean };

/**
 * An optimizer's float32 arrays where the Adam step reads them, and the step itself
 * (`adamStepReference`'s arithmetic in both implementations, bit for bit). On `wasm` the arrays are
 * regions of the kernel memory (where the dense and KL kernels work), handed out as
 * {@link AdamArray} handles since that memory may grow or move.
 */
export interface AdamMemory {
  /** `n` zero floats; valid until {@link dispose}. */
  alloc(n: number): AdamArray;
  /** One Adam step in place on `p`, `m`, `v` (arrays from {@link alloc}, same length) with gradient `g`. */
  step(p: AdamArray, g: AdamArray, m: AdamArray, v: AdamArray, k: AdamStepConstants): void;
  /** Σ g², float64, in `sumSquaresReference`'s order (by blocks of 65,536; `g` from {@link alloc}). */
  sumSquares(g: AdamArray): number;
  /**
   * g ← g + x, float32 (each sum rounded once, as `Math.fround(g + x)`), for `g` and `x` from
   * {@link alloc} of the same length; returns Σ x² (`added`), the new Σ g² (`total`) and the Σ g²
   * before (`before`: the first term's, e.g. the PPO gradient's norm) as {@link sumSquares} computes
   * them (one pass on the wasm kernel).
   */
  addInto(g: AdamArray, x: AdamArray): AddedSums;
  /**
   * One {@link step} whose result `variable` is then assigned (a new tensor with p's values). On
   * `wasm` without a copy out of the kernel memory: the kernels read the variable from `p` in place
   * (as after {@link assigned}) and its tfjs tensor takes p's values only when first read through
   * tfjs (an op, `dataSync`); elsewhere a copy at once. `reload`: p first takes the variable's
   * values (p is not in sync with it, e.g. the variable was assigned elsewhere).
   */
  stepVariable(variable: tf.Variable, p: AdamArray, g: AdamArray, m: AdamArray, v: AdamArray, k: AdamStepConstants, reload: boolean): void;
  /**
   * `variable` was just assigned `p`'s values (after a {@link step}): on `wasm` the kernels read
   * the variable from `p` in place (no copy into the kernel memory) until either changes; a no-op
   * elsewhere.
   */
  assigned(p: AdamArray, variable: tf.Tensor): void;
  /** Gives the arrays' memory back (wasm: their kernel-memory regions); they must not be used after. */
  dispose(): void;
}

/**
 * Where ops deliver the gradients of large parameters (a VarShare layer's μ and ρ) straight from
 * their backward pass, instead of returning them to tfjs's autodiff as new tensors: an optimizer
 * that copies them into its own memory at once saves a tensor allocation and a copy of every μ/ρ
 * value per gradient term (see {@link HotOps.withGradientSink}).
 */
export interface GradientSink {
  /**
   * A trainable scalar variable the caller puts in the `tf.variableGrads` var list: an op whose
   * differentiable inputs all go to the sink (the KL of a constant prior) takes it as its input
   * so that the tape reaches it. Its gradient is 0 and means nothing.
   */
  readonly anchor: tf.Variable;
  /**
   * ∂loss/∂`param` as computed by one op (row-major, `param`'s size): a view valid only during the
   * call — copy it at once, and do not call any op or kernel before. An op calls this once per
   * parameter it uses; the gradient of a parameter used by several ops is the sum of the calls.
   */
  accept(param: tf.Variable, grad: Float32Array): void;
  /**
   * Optional: an array of `param`'s size where the next op may write ∂loss/∂`param` itself (the
   * array the sink would copy it into), or null. An op that can writes it there and then calls
   * {@link accept} with a view of that same array, which the sink need not copy; the `wasm` ops can
   * for arrays of their {@link AdamMemory} (regions of the kernel memory).
   */
  target?(param: tf.Variable): AdamArray | null;
}

/**
 * The VarShare hot ops: what a minibatch step spends its time on besides tfjs's own ops. Each op
 * computes a spec quantity whose reference function is named in its doc; the `tfjs`
 * implementation is built from those references (tensor ops and autodiff; what runs on the cpu and
 * tensorflow backends), the `wasm` implementation runs the WebAssembly SIMD kernels
 * (`src/kernels/*.wat`) on the wasm backend, with closed-form gradients. `hotOps.conformance.test.ts`
 * holds both to the references. Chosen once, by `initBackend`; read it with {@link hotOps}.
 *
 * Tensor-returning ops behave like tfjs ops: the caller owns the result (tidy applies) and
 * gradients flow to the inputs named in each op.
 */
export interface HotOps {
  readonly name: HotOpsName;

  /**
   * σ, σ' and Σ log σ per task of a ρ variable `[numTasks, rows, cols]` (reference:
   * `posteriorSigma`, `posteriorSigmaDerivative`, `logSigmaPerTask`).
   */
  posteriorParts(rho: tf.Variable): PosteriorParts;

  /**
   * φ = μ + σ⊙ε with σ = softplus(ρ), differentiable in μ and ρ (reference: `sampledResidual` of
   * `posteriorSigma(ρ)`). Shapes `[numTasks, rows, cols]`.
   */
  sampleResidual(mu: tf.Variable, rho: tf.Variable, eps: tf.Tensor): tf.Tensor;

  /**
   * Batched matmul of task-major blocks, `a` `[T, n, k]` · `b` `[T, k, m]` → `[T, n, m]`,
   * differentiable in both (reference: `tf.matMul`).
   */
  groupedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D;

  /**
   * A full-residual (or shared-weights) dense layer for task-major rows: act(X_t W_t + b) with
   * W_t = `effectiveWeights`(θ, μ_t or `sampledResidual`(μ_t, σ_t, ε_t)), differentiable in x, θ, b,
   * μ and ρ (reference: `denseLayer`). Low-rank residuals and local noise are not a hot op: the
   * layer composes them from {@link groupedMatMul} and {@link sampleResidual}.
   * @param xg `[T, n, in]`
   * @param options `inputGradient: false` when `xg` is data that takes no gradient (a network's
   *   observations): its gradient is then zeros, and an implementation may skip computing ∂x.
   *   Defaults to true.
   * @returns `[T, n, out]`
   */
  dense(xg: tf.Tensor3D, layer: DenseLayerParams, activation: LayerActivation, options?: DenseOptions): tf.Tensor3D;

  /**
   * act(X_t W_t + b) with the effective weights given (a rollout snapshot's), no gradient
   * (reference: `denseLayer`).
   * @param xg `[T, n, in]`
   * @param w `[T, in, out]`, or `[in, out]` for every task
   * @param bias `[out]`
   */
  denseWithWeights(xg: tf.Tensor3D, w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation): tf.Tensor3D;

  /**
   * {@link denseWithWeights} on arrays (the acting path: no tensor for the input or the output):
   * the same values.
   * @param x `[T, n, in]` row-major
   * @param w `[T, in, out]`, or `[in, out]` for every task
   * @param bias `[out]`
   * @returns `[T, n, out]`, a new array
   */
  denseArrays(x: Float32Array, shape: readonly [number, number, number], w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation): Float32Array;

  /**
   * KL_m = Σ KL(N(μ, σ²) ‖ N(0, σ_p²)) over a factor's entries per task, σ = softplus(ρ),
   * differentiable in μ, ρ and a tensor σ_prior (reference: `gaussianKl` summed per task).
   * @param mu `[numTasks, rows, cols]`
   * @param rho `[numTasks, rows, cols]`
   * @returns `[numTasks]`
   */
  taskKl(mu: tf.Variable, rho: tf.Variable, prior: KlPrior): tf.Tensor1D;

  /**
   * {@link taskKl} under a constant σ_prior without the tape: the values `[numTasks]` (those
   * `taskKl` gives), and the gradient of Σ_m dy_m·KL_m with respect to μ and ρ delivered to `sink`
   * (as `taskKl`'s backward delivers it for an upstream gradient `dy`). Absent on ops sets without
   * a sink (take the tape then).
   * @param sigmaPrior one value, or one per task
   * @param dy `[numTasks]`
   */
  readonly klWithGradient?: (mu: tf.Variable, rho: tf.Variable, sigmaPrior: number | readonly number[], dy: Float32Array, sink: GradientSink) => Float32Array;

  /**
   * Exact medians of unions of posterior values read where they are (the diagnostics): for each
   * query the value `median` (@varshare/base) gives for its parts' values concatenated, or for their
   * absolute values — the middle value, the mean of the two middle values for an even count, NaN
   * for none or any NaN. Absent on ops sets without such a path (the diagnostics select in JS then).
   */
  readonly posteriorMedians?: (queries: readonly PosteriorMedianQuery[]) => number[];

  /**
   * Runs `fn` with `sink` receiving the μ and ρ gradients of the ops that support it: ops recorded
   * while `fn` runs (typically a `tf.variableGrads` call) with the sink active do not take μ and ρ
   * as tape inputs — `tf.variableGrads` returns no gradient for them — and deliver ∂loss/∂μ and
   * ∂loss/∂ρ to `sink.accept` from their backward instead. `wasm`: the full-residual
   * {@link dense} layer and the {@link taskKl} of a constant or scalar prior; `tfjs` (and every
   * other op): gradients flow through autodiff as usual, so a caller takes each parameter's
   * gradient from whichever of the two it arrives by. Nests (the innermost sink wins); `null` runs
   * `fn` without one.
   */
  withGradientSink<T>(sink: GradientSink | null, fn: () => T): T;

  /** Memory for one optimizer's arrays (reference: `adamStepReference`); `dispose` it with the optimizer. */
  adamMemory(): AdamMemory;

  /**
   * A float32 tensor's values: on `wasm` a zero-copy view of the tfjs heap, valid only until the
   * next tensor allocation (copy out of it at once); `dataSync()` otherwise.
   */
  readValues(t: tf.Tensor): Float32Array;

  /** The wasm matmul kernel's work since {@link resetKernelStats}; null for `tfjs`. */
  kernelStats(): KernelStats | null;
  resetKernelStats(): void;

  /**
   * Threads the kernels split large calls over (the caller and threads − 1 helper workers on the
   * same shared memory); results are bit-identical for every count. `tfjs` runs on one thread and
   * ignores it. Default 1.
   */
  setKernelThreads(threads: number): void;
  /** The count set by {@link setKernelThreads} that is in effect (always 1 for `tfjs`). */
  kernelThreads(): number;

  /** Frees what the implementation keeps for a tensor or variable (kernel memory, cached σ). */
  release(owner: object): void;
}

let chosen: { readonly ops: HotOps; readonly backend: string } | null = null;
let wasmOps: HotOps | null | undefined;

/**
 * The wasm implementation when it can run on `backend` — the tfjs-wasm backend with heap views,
 * and a runtime with WebAssembly SIMD (the kernels are compiled once) — else null.
 */
function wasmImplementation(backend: string): HotOps | null {
  if (backend !== 'wasm' || wasmHeap() === null) return null;
  if (wasmOps === undefined) {
    const kernels = wasmKernels();
    wasmOps = kernels ? createWasmOps(kernels) : null;
  }
  return wasmOps;
}

/**
 * The one place the implementation is chosen (called by `initBackend`): `wasm` whenever it can
 * run on the backend, else `tfjs`.
 */
export function chooseHotOps(backend: string): HotOps {
  const ops = wasmImplementation(backend) ?? tfjsOps;
  chosen = { ops, backend };
  return ops;
}

/**
 * The hot ops chosen by `initBackend`. If the tfjs backend was changed behind initBackend's back
 * (`tf.setBackend`), the choice is made again for the new backend, as initBackend would.
 */
export function hotOps(): HotOps {
  const backend = tf.getBackend();
  return chosen !== null && chosen.backend === backend ? chosen.ops : chooseHotOps(backend);
}

/**
 * Forces one implementation on the current backend until the next `initBackend` (tests and
 * benchmarks compare them). `wasm` needs the tfjs-wasm backend and WebAssembly SIMD.
 */
export function useHotOps(name: HotOpsName): HotOps {
  const backend = tf.getBackend();
  const ops = name === 'tfjs' ? tfjsOps : wasmImplementation(backend);
  if (!ops) throw new Error(`useHotOps: the wasm hot ops need the wasm backend with WebAssembly SIMD (backend: ${backend})`);
  chosen = { ops, backend };
  return ops;
}

/** Frees what either implementation keeps for `owner` (a layer's variables and noise on dispose). */
export function releaseHotOpsState(owner: object): void {
  tfjsOps.release(owner);
  wasmOps?.release(owner);
}

/**
 * A float32 tensor's values for reading at once: on the wasm hot ops a zero-copy view of the tfjs
 * heap, valid only until the next tensor allocation (copy out of it before creating any tensor);
 * elsewhere `dataSync()`. Throws for other dtypes.
 */
export function readValues(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`readValues: expected a float32 tensor, got ${t.dtype}`);
  return hotOps().readValues(t);
}

/**
 * Matmul calls, flops (2·T·n·k·m per product) and wall milliseconds spent in the wasm matmul
 * kernel (operand packing included) since {@link resetKernelStats}; null when the `tfjs` hot ops
 * are in use. What the benchmarks report as the matmuls' GFLOP/s.
 */
export function kernelStats(): KernelStats | null {
  return hotOps().kernelStats();
}

/** {@link HotOps.withGradientSink} on the chosen hot ops. */
export function withGradientSink<T>(sink: GradientSink | null, fn: () => T): T {
  return hotOps().withGradientSink(sink, fn);
}

/** Zeroes {@link kernelStats}. */
export function resetKernelStats(): void {
  hotOps().resetKernelStats();
}

/**
 * Splits the wasm kernels' large calls (the per-task products, strided copies, effective weights,
 * the ∂ρ product) over `threads` threads: the caller and threads − 1 workers sharing the kernel
 * memory. Every output value is computed by the same float32 operations whichever thread computes
 * it, so results do not depend on the count. No effect on the `tfjs` hot ops. Call with 1 to stop
 * the workers (they never keep the process alive).
 */
export function setKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`setKernelThreads: threads must be a positive integer, got ${threads}`);
  hotOps().setKernelThreads(threads);
}
