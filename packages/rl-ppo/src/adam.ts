import { median } from '@varshare/base';
import { adamStepConstants, hotOps, tf, type AdamArray, type AdamMemory, type AdamStepConstants, type NamedArrays } from '@varshare/core';

// The step's arithmetic (the reference loop and its bit-identical wasm kernel) lives in core,
// behind its hot-ops interface; this module keeps the groups, the state and checkpoints.
export { adamStepConstants, adamStepReference } from '@varshare/core';
export type { AdamStepConstants } from '@varshare/core';

/**
 * Adam (Kingma & Ba) in PyTorch's form, which CleanRL uses: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε). One instance per parameter group; the
 * learning rate is passed on every step (linear annealing × the group's scale), and the whole state
 * (step count and moments, keyed by stable parameter names) goes into checkpoints.
 *
 * The arithmetic is PyTorch's for float32 parameters, in float32 and in its order of operations
 * (`adamStepReference`). The step is fused per parameter on the CPU: a VarShare agent has ~20×
 * more parameters than the plain MLP (μ and ρ per task), and the ~12 tensor ops per parameter of an
 * op-by-op Adam cost more on wasm (≈5 µs dispatch each, plus one pass over memory per op) than the
 * arithmetic. The moments, the gradients and a copy of each parameter's values live in the
 * {@link AdamMemory} of the hot ops chosen when the optimizer is made (`hotOps().adamMemory`: the
 * memory of core's WebAssembly SIMD Adam kernel on wasm, plain arrays and the reference loop
 * otherwise; bit-identical either way). The parameter copy is re-read from its variable only when
 * the variable was assigned by anyone else (a checkpoint restore, say): a variable's `dataId`
 * changes on every assign.
 *
 * A step is either {@link applyArrays}, or {@link stage} per gradient (and {@link stageAdd} or
 * {@link hold} + {@link stageHeld} per second term), {@link stagedSumSquares} (for global grad-norm
 * clipping), then {@link applyStaged}.
 */
export class Adam {
  private step = 0;
  private readonly m = new Map<string, AdamArray>();
  private readonly v = new Map<string, AdamArray>();
  /** Per parameter: its values as last written or read, and the staged gradient. */
  private readonly p = new Map<string, AdamArray>();
  private readonly g = new Map<string, AdamArray>();
  /** The variable's dataId when `p` was last in sync with it. */
  private readonly synced = new Map<string, object>();
  private readonly staged = new Set<string>();
  /** Σ g² of a staged gradient once known (computed, or returned by the kernel's add), until it changes. */
  private readonly stagedSq = new Map<string, number>();
  /** Σ g² of a staged gradient just before its second term was added (the first term's alone). */
  private readonly firstSq = new Map<string, number>();
  private readonly memory: AdamMemory;
  /** Constants of the last step per parameter (for {@link lastStepAbsMedian}). */
  private readonly lastStep = new Map<string, AdamStepConstants>();

  /**
   * @param params stable name → variable (the names key the checkpointed moments).
   * @param lrScales optional per-parameter learning-rate multipliers (stable name → factor applied
   *   on top of the step's lr; e.g. ρ faster than μ in one posterior group). Defaults to 1.
   */
  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-5,
    private readonly lrScales: ReadonlyMap<string, number> = new Map(),
  ) {
    for (const [name, f] of lrScales) {
      if (!params.has(name)) throw new Error(`Adam: lr scale for unknown parameter '${name}'`);
      if (!(f > 0) || !Number.isFinite(f)) throw new Error(`Adam: lr scale of '${name}' must be a finite number > 0, got ${f}`);
    }
    // Zero-initialised moments (until dispose()); and per parameter room for a second gradient
    // term (held, or copied in by stageAdd; the kernel adds it).
    const memory = hotOps().adamMemory();
    this.memory = memory;
    for (const [name, p] of params) {
      this.m.set(name, memory.alloc(p.size));
      this.v.set(name, memory.alloc(p.size));
      this.p.set(name, memory.alloc(p.size));
      this.g.set(name, memory.alloc(p.size));
      this.second.set(name, memory.alloc(p.size));
    }
  }

  /** Per parameter: a second gradient term, {@link hold}'s or {@link stageAdd}'s copy. */
  private readonly second = new Map<string, AdamArray>();
  /** Parameters whose second term {@link hold} has (until {@link stageHeld} or a step). */
  private readonly held = new Set<string>();

  /** Number of steps taken. */
  get steps(): number {
    return this.step;
  }

  /** One step with `grads` (stable name → gradient) at learning rate `lr`. Missing grads are skipped. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const arrays = new Map<string, Float32Array>();
    for (const [name, g] of grads) arrays.set(name, g.dataSync() as Float32Array);
    this.applyArrays(arrays, lr);
  }

  /**
   * One step with gradients already on the CPU, each multiplied by `gradScale` first (the global
   * grad-norm clip factor; 1 = no clipping). Missing grads are skipped.
   * @param grads stable name → gradient values (row-major, the parameter's size)
   */
  applyArrays(grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    this.discardStaged();
    for (const [name, g] of grads) this.stage(name, g);
    this.applyStaged(lr, gradScale);
  }

  /**
   * Copies one parameter's gradient in for the next {@link applyStaged} (the array may be a
   * short-lived view, e.g. of the wasm heap: it is read at once).
   */
  stage(name: string, grad: Float32Array): void {
    const g = this.g.get(name);
    if (!g) throw new Error(`Adam: no parameter '${name}' in this group`);
    if (grad.length !== g.length) throw new Error(`Adam: gradient of '${name}' has ${grad.length} values, parameter has ${g.length}`);
    copyUnlessSame(g.values(), grad);
    this.staged.add(name);
    this.stagedSq.delete(name);
    this.firstSq.delete(name);
  }

  /**
   * Adds a second gradient term into a parameter's staged gradient (the gradient of another part of
   * the loss, e.g. the KL term's), staging a zero gradient first if nothing was staged for it;
   * float32 sums, on the Adam kernel on wasm (one pass that also gives the new Σ g², kept for
   * {@link stagedSumSquares}).
   * @returns Σ x² of the added term, float64, in the order of {@link stagedSumSquares}' sums
   */
  stageAdd(name: string, grad: Float32Array): number {
    const x = this.secondOf(name, grad);
    x.values().set(grad);
    this.held.delete(name);
    return this.addSecond(name, x);
  }

  /**
   * Adds another contribution to a parameter's staged gradient in float32 (a parameter used by
   * several ops of one loss: ∂loss/∂p is the sum); stages it when nothing was. Leaves a
   * {@link hold}'s term alone.
   */
  addToStaged(name: string, grad: Float32Array): void {
    const g = this.g.get(name);
    if (!g) throw new Error(`Adam: no parameter '${name}' in this group`);
    if (grad.length !== g.length) throw new Error(`Adam: gradient of '${name}' has ${grad.length} values, parameter has ${g.length}`);
    if (!this.staged.has(name)) {
      this.stage(name, grad);
      return;
    }
    addFloat32(g.values(), grad);
    this.stagedSq.delete(name);
    this.firstSq.delete(name);
  }

  /**
   * Keeps a gradient term of one parameter aside (copied at once: the array may be a short-lived
   * view, e.g. of a kernel's memory) for a later {@link stageHeld} — a term computed before the
   * gradient it is added to is staged (the KL's, delivered by a `GradientSink`). A second call
   * for the same parameter adds to the held term (float32 sums).
   */
  hold(name: string, grad: Float32Array): void {
    const x = this.secondOf(name, grad).values();
    if (!this.held.has(name)) copyUnlessSame(x, grad);
    else addFloat32(x, grad);
    this.held.add(name);
  }

  /**
   * Where `name`'s gradient may be written in place before {@link stage} (its gradient array, or
   * null once something is staged for it): a `GradientSink` offers it to the ops (see `target`).
   */
  stageTarget(name: string): AdamArray | null {
    const g = this.g.get(name);
    if (!g) throw new Error(`Adam: no parameter '${name}' in this group`);
    return this.staged.has(name) ? null : g;
  }

  /** Where `name`'s second term may be written in place before {@link hold} (null once one is held). */
  holdTarget(name: string): AdamArray | null {
    const x = this.second.get(name);
    if (!x) throw new Error(`Adam: no parameter '${name}' in this group`);
    return this.held.has(name) ? null : x;
  }

  /** Whether {@link hold} has a term for `name` not yet staged. */
  holds(name: string): boolean {
    return this.held.has(name);
  }

  /**
   * Adds the held term of `name` into its staged gradient, as {@link stageAdd} would add it.
   * @returns Σ x² of the held term, float64, in the order of {@link stagedSumSquares}' sums
   */
  stageHeld(name: string): number {
    if (!this.held.has(name)) throw new Error(`Adam: no held gradient term for '${name}'`);
    this.held.delete(name);
    return this.addSecond(name, this.second.get(name) as AdamArray);
  }

  /** The second-term array of `name`, after checking `grad` fits it. */
  private secondOf(name: string, grad: Float32Array): AdamArray {
    const x = this.second.get(name);
    if (!x) throw new Error(`Adam: no parameter '${name}' in this group`);
    if (grad.length !== x.length) throw new Error(`Adam: gradient of '${name}' has ${grad.length} values, parameter has ${x.length}`);
    return x;
  }

  /** g ← g + x (staging a zero gradient first if none), keeping the new Σ g²; returns Σ x². */
  private addSecond(name: string, x: AdamArray): number {
    const g = this.g.get(name) as AdamArray;
    if (!this.staged.has(name)) g.values().fill(0);
    this.staged.add(name);
    const { added, total, before } = this.memory.addInto(g, x);
    this.stagedSq.set(name, total);
    if (!this.firstSq.has(name)) this.firstSq.set(name, before);
    return added;
  }

  /**
   * Σ g² over the staged gradients, in float64 (before any clipping scale); only the parameters
   * `include` accepts when given.
   */
  stagedSumSquares(include?: (name: string) => boolean): number {
    let sum = 0;
    // In the parameters' order, whatever order they were staged in.
    for (const name of this.params.keys()) if (this.staged.has(name) && (!include || include(name))) sum += this.currentSq(name);
    return sum;
  }

  /**
   * {@link stagedSumSquares} of the staged gradients as they were before a second term was added
   * (the first term's alone, e.g. the PPO gradient's with the KL's added second): the same numbers
   * that function gave before the adds, taken from the sums the adds computed in their pass.
   */
  firstSumSquares(include?: (name: string) => boolean): number {
    let sum = 0;
    for (const name of this.params.keys()) if (this.staged.has(name) && (!include || include(name))) sum += this.firstSq.get(name) ?? this.currentSq(name);
    return sum;
  }

  /** Σ g² of a staged gradient now (kept until it changes). */
  private currentSq(name: string): number {
    let sq = this.stagedSq.get(name);
    if (sq === undefined) {
      sq = this.memory.sumSquares(this.g.get(name) as AdamArray);
      this.stagedSq.set(name, sq);
    }
    return sq;
  }

  /** Forgets the staged gradients and held terms without a step (e.g. when the step is refused). */
  discardStaged(): void {
    this.staged.clear();
    this.stagedSq.clear();
    this.firstSq.clear();
    this.held.clear();
  }

  /**
   * One step over the staged parameters, gradients multiplied by `gradScale` (the global grad-norm
   * clip factor; 1 = no clipping), then clears the staging. Parameters without a staged gradient
   * are left as they are.
   */
  applyStaged(lr: number, gradScale = 1): void {
    this.step += 1;
    const base = adamStepConstants(lr, this.beta1, this.beta2, this.eps, this.step, gradScale);
    this.lastStep.clear();
    for (const [name, variable] of this.params) {
      if (!this.staged.has(name)) continue;
      const f = this.lrScales.get(name);
      const k = f === undefined ? base : adamStepConstants(lr * f, this.beta1, this.beta2, this.eps, this.step, gradScale);
      this.lastStep.set(name, k);
      const p = this.p.get(name) as AdamArray;
      const g = this.g.get(name) as AdamArray;
      const m = this.m.get(name) as AdamArray;
      const v = this.v.get(name) as AdamArray;
      // p holds the variable's values unless it was assigned elsewhere since the last step; the
      // stepped values go to the variable without a copy on wasm (read in place by the kernels).
      this.memory.stepVariable(variable, p, g, m, v, k, this.synced.get(name) !== variable.dataId);
      this.synced.set(name, variable.dataId);
    }
    this.staged.clear();
    this.stagedSq.clear();
    this.firstSq.clear();
    this.held.clear();
  }

  /**
   * Median over the entries of the parameters `include` accepts of |Δp| in the last step, recomputed
   * from the updated moments with that step's float32 constants (the increment the step added).
   * Large parameter sets are sampled with a fixed stride (at most `maxSamples` entries, the same
   * entries every call), which keeps this cheap enough to run after every step.
   * NaN when no accepted parameter took a step.
   */
  lastStepAbsMedian(include: (name: string) => boolean, maxSamples = 65536): number {
    let total = 0;
    const names: string[] = [];
    for (const name of this.params.keys()) {
      if (!include(name) || !this.lastStep.has(name)) continue;
      names.push(name);
      total += (this.m.get(name) as AdamArray).length;
    }
    if (total === 0) return Number.NaN;
    const stride = Math.max(1, Math.ceil(total / maxSamples));
    const out = new Float32Array(Math.ceil(total / stride));
    const f = Math.fround;
    let o = 0;
    let offset = 0; // index of the next sampled entry in the concatenation of all accepted parameters
    let base = 0;
    for (const name of names) {
      const k = this.lastStep.get(name) as AdamStepConstants;
      const m = (this.m.get(name) as AdamArray).values();
      const v = (this.v.get(name) as AdamArray).values();
      for (let i = offset - base; i < m.length; i += stride) {
        out[o++] = Math.abs(f(k.negStep * f((m[i] as number) / f(f(f(Math.sqrt(v[i] as number)) / k.bc2sqrt) + k.eps))));
        offset += stride;
      }
      base += m.length;
    }
    return median(out.subarray(0, o));
  }

  getState(): { step: number; arrays: NamedArrays } {
    const arrays: NamedArrays = {};
    for (const [name, p] of this.params) {
      arrays[`m/${name}`] = { shape: [...p.shape], data: (this.m.get(name) as AdamArray).values().slice() };
      arrays[`v/${name}`] = { shape: [...p.shape], data: (this.v.get(name) as AdamArray).values().slice() };
    }
    return { step: this.step, arrays };
  }

  setState(state: { step: number; arrays: NamedArrays }): void {
    this.step = state.step;
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, moment] of map) {
        const saved = state.arrays[`${kind}/${name}`];
        if (!saved) throw new Error(`Adam state has no '${kind}/${name}'`);
        if (saved.data.length !== moment.length) throw new Error(`Adam state '${kind}/${name}' has ${saved.data.length} values, expected ${moment.length}`);
        moment.values().set(saved.data);
      }
    }
  }

  /**
   * Gives the optimizer's memory back (on wasm, regions of the kernel memory; also given back if
   * the optimizer is garbage-collected without this). The optimizer must not be used after.
   */
  dispose(): void {
    this.memory.dispose();
  }
}

/** dst.set(src), skipped when src is dst itself (a gradient written in place, see stageTarget). */
function copyUnlessSame(dst: Float32Array, src: Float32Array): void {
  if (src.buffer === dst.buffer && src.byteOffset === dst.byteOffset && src.length === dst.length) return;
  dst.set(src);
}

/** dst ← dst + src elementwise, each sum rounded to float32 (as the tape's add of two terms). */
function addFloat32(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + (src[i] as number);
}
