import type { GlobalSigmaPrior, PerTaskSigmaPrior, SigmaPriorKind, SigmaPriorSpec } from '@varshare/base';
import { tf } from './backend';
import type { SigmaPriorValue } from './gaussianKl';

/**
 * Plain-JSON state of a {@link SigmaPrior} (checkpoints): the global and per-task forms are
 * `@varshare/base`'s, the learned form holds the trained log σ_prior,layer values.
 */
export type SigmaPriorState =
  | GlobalSigmaPrior
  | PerTaskSigmaPrior
  | { readonly kind: 'learned-per-layer'; readonly logSigma: Record<string, number>; readonly detachSigma: boolean };

/**
 * The single source of σ_prior for every VarShare layer of a model (actor and critic heads
 * included). Three forms, one per kind of experiment:
 * - `global(v)`: one number for all tasks and layers (baseline σ=1, Experiment 1 σ=0.01, 2, 3);
 * - `perTask(values)`: one number per task, set from outside between updates (Experiment 4); no
 *   gradient flows into it;
 * - `learnedPerLayer(names, init)`: one trainable log σ_prior per layer (Experiment 5).
 *
 * Layers ask it with {@link SigmaPrior.forLayer}; nothing else in the project supplies σ_prior.
 */
export class SigmaPrior {
  private constructor(
    private state:
      | { kind: 'global'; value: number }
      | { kind: 'per-task'; values: number[] }
      | { kind: 'learned-per-layer'; vars: Map<string, tf.Variable>; detachSigma: boolean },
  ) {}

  /**
   * The prior a controller's first decision asks for (`KlPriorController.beforeUpdate(state, 0)`):
   * `global` → {@link SigmaPrior.global}, `per-task` → {@link SigmaPrior.perTask},
   * `learned-per-layer` → {@link SigmaPrior.learnedPerLayer} over `spec.layerNames` with `spec.init`
   * and `spec.detachSigma` (its lrScale, hyperLambda and target belong to the optimizer and the loss).
   */
  static fromSpec(spec: SigmaPriorSpec): SigmaPrior {
    switch (spec.kind) {
      case 'global':
        return SigmaPrior.global(spec.value);
      case 'per-task':
        return SigmaPrior.perTask(spec.values);
      case 'learned-per-layer':
        return SigmaPrior.learnedPerLayer(spec.layerNames, spec.init, spec.detachSigma);
    }
  }

  /** One σ_prior for every task and layer. */
  static global(value: number): SigmaPrior {
    assertPositive(value, 'sigmaPrior');
    return new SigmaPrior({ kind: 'global', value });
  }

  /** One σ_prior per task (`values[m]` for task m), constant until {@link setPerTask}. */
  static perTask(values: readonly number[]): SigmaPrior {
    values.forEach((v, i) => assertPositive(v, `sigmaPrior[${i}]`));
    return new SigmaPrior({ kind: 'per-task', values: [...values] });
  }

  /**
   * One trainable `log σ_prior` per layer, initialised to `log(init)` (spec: log 0.1).
   * @param detachSigma see `GaussianKlOptions.detachSigmaForPrior`.
   */
  static learnedPerLayer(layerNames: readonly string[], init: number, detachSigma: boolean): SigmaPrior {
    assertPositive(init, 'sigmaPrior.init');
    const vars = new Map<string, tf.Variable>();
    for (const name of layerNames) {
      // tidy frees the initial scalar; the variable keeps its own reference to the data
      vars.set(name, tf.tidy(() => tf.variable(tf.scalar(Math.log(init)), true, `log_sigma_prior/${name}/${uniqueId()}`)));
    }
    return new SigmaPrior({ kind: 'learned-per-layer', vars, detachSigma });
  }

  /** `'global' | 'per-task' | 'learned-per-layer'`. */
  get kind(): SigmaPriorKind {
    return this.state.kind;
  }

  /** Whether the KL should detach σ on the path into σ_prior (learned prior only). */
  get detachSigma(): boolean {
    return this.state.kind === 'learned-per-layer' && this.state.detachSigma;
  }

  /**
   * σ_prior for one layer's residuals, broadcastable to `[numTasks, ...]` parameter tensors:
   * a number (global), a `[numTasks, 1, 1]` tensor (per task), or `exp(log σ_prior,layer)` (learned,
   * differentiable). Call inside `tf.tidy`.
   */
  forLayer(layerName: string, numTasks: number): SigmaPriorValue {
    const s = this.state;
    if (s.kind === 'global') return s.value;
    if (s.kind === 'per-task') {
      if (s.values.length !== numTasks) {
        throw new Error(`sigmaPrior: ${s.values.length} per-task values for ${numTasks} tasks`);
      }
      return tf.tensor3d(s.values, [numTasks, 1, 1]);
    }
    const v = s.vars.get(layerName);
    if (!v) throw new Error(`sigmaPrior: no learned prior for layer '${layerName}'`);
    return tf.exp(v);
  }

  /**
   * σ_prior as plain numbers when it is a constant (no gradient): the global value, or one value per
   * task; `null` for the learned prior.
   */
  constantValue(numTasks: number): number | readonly number[] | null {
    const s = this.state;
    if (s.kind === 'global') return s.value;
    if (s.kind === 'per-task') {
      if (s.values.length !== numTasks) throw new Error(`sigmaPrior: ${s.values.length} per-task values for ${numTasks} tasks`);
      return s.values;
    }
    return null;
  }

  /**
   * Follows the controller's decision for the next update: a global or per-task spec replaces the
   * values ({@link SigmaPrior.setGlobal}, {@link SigmaPrior.setPerTask}); a learned prior keeps its
   * variables, which move by gradient only.
   * @throws Error when the spec's kind is not this prior's
   */
  applySpec(spec: SigmaPriorSpec): void {
    if (spec.kind === 'global') this.setGlobal(spec.value);
    else if (spec.kind === 'per-task') this.setPerTask(spec.values);
    else if (this.state.kind !== 'learned-per-layer') throw new Error(`sigmaPrior: a learned-per-layer spec for a ${this.state.kind} prior`);
  }

  /** Replaces the global value (controllers that change σ_prior between updates). */
  setGlobal(value: number): void {
    if (this.state.kind !== 'global') throw new Error(`sigmaPrior: setGlobal on a ${this.state.kind} prior`);
    assertPositive(value, 'sigmaPrior');
    this.state.value = value;
  }

  /** Replaces the per-task values (Experiment 4's meta-update). */
  setPerTask(values: readonly number[]): void {
    if (this.state.kind !== 'per-task') throw new Error(`sigmaPrior: setPerTask on a ${this.state.kind} prior`);
    if (values.length !== this.state.values.length) {
      throw new Error(`sigmaPrior: expected ${this.state.values.length} per-task values, got ${values.length}`);
    }
    values.forEach((v, i) => assertPositive(v, `sigmaPrior[${i}]`));
    this.state.values = [...values];
  }

  /** Trainable variables (the per-layer log σ_prior; empty for the other kinds). */
  trainableVariables(): tf.Variable[] {
    return this.state.kind === 'learned-per-layer' ? [...this.state.vars.values()] : [];
  }

  /** Learned log σ_prior per layer (tensors, for a penalty such as the hyperprior). */
  logSigmaByLayer(): Map<string, tf.Variable> {
    return this.state.kind === 'learned-per-layer' ? new Map(this.state.vars) : new Map();
  }

  /** Current values as plain JSON (for logging and checkpoints). */
  getState(): SigmaPriorState {
    const s = this.state;
    if (s.kind === 'global') return { kind: 'global', value: s.value };
    if (s.kind === 'per-task') return { kind: 'per-task', values: [...s.values] };
    const logSigma: Record<string, number> = {};
    for (const [name, v] of s.vars) logSigma[name] = (v.dataSync() as Float32Array)[0] as number;
    return { kind: 'learned-per-layer', logSigma, detachSigma: s.detachSigma };
  }

  /** Restores values saved by {@link getState}; the kind (and layer names) must match. */
  setState(saved: SigmaPriorState): void {
    const s = this.state;
    if (saved.kind !== s.kind) throw new Error(`sigmaPrior: state of kind ${saved.kind} for a ${s.kind} prior`);
    if (s.kind === 'global' && saved.kind === 'global') s.value = saved.value;
    else if (s.kind === 'per-task' && saved.kind === 'per-task') this.setPerTask(saved.values);
    else if (s.kind === 'learned-per-layer' && saved.kind === 'learned-per-layer') {
      for (const [name, v] of s.vars) {
        const value = saved.logSigma[name];
        if (value === undefined) throw new Error(`sigmaPrior: state has no layer '${name}'`);
        tf.tidy(() => v.assign(tf.scalar(value)));
      }
    }
  }

  /** Frees the learned variables. */
  dispose(): void {
    if (this.state.kind === 'learned-per-layer') for (const v of this.state.vars.values()) v.dispose();
  }
}

function assertPositive(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${field} must be a finite number > 0, got ${value}`);
}

let counter = 0;
/** tf variable names must be unique per process. */
export function uniqueId(): number {
  counter += 1;
  return counter;
}
