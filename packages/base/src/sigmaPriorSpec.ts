/**
 * σ_prior of one PPO update, as plain numbers — the one vocabulary the controllers decide in
 * (`KlPriorController.beforeUpdate`) and core's `SigmaPrior` is built from (`SigmaPrior.fromSpec`)
 * and follows between updates (`SigmaPrior.applySpec`); core's checkpoint state `SigmaPriorState`
 * shares the global and per-task forms. Spec: prior N(0, σ_prior² I) on every residual φ_m.
 */

/** One σ_prior for every task and layer (baseline σ = 1, exp1 σ = 0.01, exp2, exp3). */
export interface GlobalSigmaPrior {
  readonly kind: 'global';
  /** σ_prior > 0. */
  readonly value: number;
}

/** One σ_prior,m per task, constant within an update and set between updates (exp4); no gradient. */
export interface PerTaskSigmaPrior {
  readonly kind: 'per-task';
  /** σ_prior,m > 0, shape [numTasks], index = task id. */
  readonly values: readonly number[];
}

/** One trainable log σ_prior,layer per VarShare layer (exp5), with the spec's three stabilisers. */
export interface LearnedPerLayerSigmaPrior {
  readonly kind: 'learned-per-layer';
  /** σ_prior,layer at creation (the variable is log σ, initialised to log(init)). */
  readonly init: number;
  /** Learning-rate multiplier for the log σ_prior variables (stabiliser A). */
  readonly lrScale: number;
  /** λ_hyper of the hyperprior spring (stabiliser B). */
  readonly hyperLambda: number;
  /** σ target of the spring. */
  readonly target: number;
  /** Detach posterior σ on the KL path into σ_prior (stabiliser C). */
  readonly detachSigma: boolean;
  /** Layers that get one variable each (e.g. `actor.0 … critic.2`), in creation order. */
  readonly layerNames: readonly string[];
}

/** σ_prior to use in one update: exactly one of the three forms. */
export type SigmaPriorSpec = GlobalSigmaPrior | PerTaskSigmaPrior | LearnedPerLayerSigmaPrior;

/** `'global' | 'per-task' | 'learned-per-layer'`. */
export type SigmaPriorKind = SigmaPriorSpec['kind'];
