import { tf, type NamedArrays } from '@varshare/core';

/**
 * Adam (Kingma & Ba) in PyTorch's form, which CleanRL uses: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε). One instance per parameter group; the
 * learning rate is passed on every step (linear annealing × the group's scale), and the whole state
 * (step count and moments, keyed by stable parameter names) goes into checkpoints.
 *
 * The step is one fused loop per parameter on the CPU (moments are float32 arrays held here): a
 * VarShare agent has ~20× more parameters than the plain MLP (μ and ρ per task), and the ~12 tensor
 * ops per parameter of an op-by-op Adam cost more on wasm (≈5 µs dispatch each, plus one pass
 * over memory per op) than the arithmetic. Per element the math is the formula above in float64,
 * with m, v and p rounded to float32 when stored.
 */
export class Adam {
  private step = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  /** @param params stable name → variable (the names key the checkpointed moments). */
  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-5,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.size));
      this.v.set(name, new Float32Array(p.size));
    }
  }

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
    this.step += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const stepSize = lr / bc1;
    const invBc2 = 1 / bc2;
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name) as Float32Array;
      const v = this.v.get(name) as Float32Array;
      if (g.length !== m.length) throw new Error(`Adam: gradient of '${name}' has ${g.length} values, parameter has ${m.length}`);
      const values = Float32Array.from(p.dataSync() as Float32Array);
      for (let i = 0; i < values.length; i++) {
        const gi = (g[i] as number) * gradScale;
        const mi = (m[i] = b1 * (m[i] as number) + (1 - b1) * gi);
        const vi = (v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi);
        values[i] = (values[i] as number) - (stepSize * mi) / (Math.sqrt(vi * invBc2) + eps);
      }
      tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
    }
  }

  getState(): { step: number; arrays: NamedArrays } {
    const arrays: NamedArrays = {};
    for (const [name, p] of this.params) {
      arrays[`m/${name}`] = { shape: [...p.shape], data: Float32Array.from(this.m.get(name) as Float32Array) };
      arrays[`v/${name}`] = { shape: [...p.shape], data: Float32Array.from(this.v.get(name) as Float32Array) };
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
        moment.set(saved.data);
      }
    }
  }

  /** Kept for API compatibility: the moments are plain arrays, nothing to free. */
  dispose(): void {}
}
