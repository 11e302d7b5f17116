/**
 * Defaults of the experiments pack that more than one package reads: the controllers use them as
 * schema defaults, the report when a run's config does not say, or to draw a reference line.
 * Spec: `shared/spec/kl-prior-experiments-pack.md`.
 */

/**
 * Exp3's target band for R_ema = median σ / (median |θ| + ε): the ratio controller raises β above
 * `rMax` and lowers it below `rMin`. Defaults to R_min = 0.05, R_max = 0.20 (spec, Experiment 3).
 */
export const DEFAULT_R_BAND = { rMin: 0.05, rMax: 0.2 } as const;

/** Exp3's K_controller: β may change once every K PPO updates. Defaults to 20 (spec, Experiment 3). */
export const DEFAULT_RATIO_K = 20;

/**
 * σ_prior of the baseline prior N(0, σ_prior² I): the unit prior, 1.0. Under it the KL per weight
 * is minimised at σ = 1, the value the report draws as "drifting toward ~1" (spec Exp1 / Note 4).
 */
export const DEFAULT_BASELINE_SIGMA_PRIOR = 1.0;
