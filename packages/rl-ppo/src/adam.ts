import { tf, type NamedArrays } from '@varshare/core';

/**
 * Adam (Kingma & Ba) in PyTorch's form, which CleanRL uses: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε). One instance per parameter group; the
 * learning rate is passed on every step (linear annealing × the group's scale), and the whole state
 * (step count and moments, keyed by stable parameter names) goes into checkpoints.
 */
export class Adam {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  /** @param params stable name → variable (the names key the checkpointed moments). */
  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-5,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.step;
  }

  /** One step with `grads` (stable name → gradient) at learning rate `lr`. Missing grads are skipped. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const bc1 = 1 - this.beta1 ** this.step;
    const bc2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), this.eps);
        p.assign(tf.sub(p, tf.mul(lr / bc1, tf.div(m, denom))));
      }
    });
  }

  getState(): { step: number; arrays: NamedArrays } {
    const arrays: NamedArrays = {};
    for (const [name, m] of this.m) {
      arrays[`m/${name}`] = { shape: [...m.shape], data: Float32Array.from(m.dataSync() as Float32Array) };
      const v = this.v.get(name) as tf.Variable;
      arrays[`v/${name}`] = { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    return { step: this.step, arrays };
  }

  setState(state: { step: number; arrays: NamedArrays }): void {
    this.step = state.step;
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, variable] of map) {
        const saved = state.arrays[`${kind}/${name}`];
        if (!saved) throw new Error(`Adam state has no '${kind}/${name}'`);
        variable.assign(tf.tensor(saved.data, variable.shape));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
