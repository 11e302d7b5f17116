import type { LossGapPriorConfig } from './config';
import { median, medianAbsoluteDeviation } from './median';

/** Serialisable state of exp4's adaptive prior (plain JSON; goes into checkpoints). */
export interface LossGapPriorState {
  /** σ_prior,m in force until the next meta-update, shape [numTasks]. */
  readonly sigmaPrior: readonly number[];
  /** Δ_m = L_shared,m − L_adapt,m of the last meta-update, [numTasks]; null before the first. */
  readonly delta: readonly number[] | null;
  /** Δ̄_m after the last meta-update, [numTasks]; null before the first. */
  readonly deltaEma: readonly number[] | null;
  /** z_m of the last meta-update, [numTasks]; null before the first. */
  readonly z: readonly number[] | null;
  /** Update index of the last meta-update; null before the first. */
  readonly lastMetaUpdate: number | null;
  /** Number of meta-updates so far. */
  readonly metaUpdateCount: number;
}

/** Diagnostic critic losses measured (posterior means, no sampling) after update `update`. */
export interface LossGapSignal {
  readonly update: number;
  /** L_shared,m = mean over B_m of (V_θ(s) − V_target)², shape [numTasks]. */
  readonly lShared: ArrayLike<number>;
  /** L_adapt,m = mean over B_m of (V_{θ+μ_m}(s) − V_target)², shape [numTasks]. */
  readonly lAdapt: ArrayLike<number>;
}

/** σ_prior,m to use from the next update on, shape [numTasks]. */
export interface LossGapPriorOutput {
  readonly sigmaPrior: readonly number[];
}

/** Numerically stable logistic function 1 / (1 + e^(−x)). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The bounded monotone map σ_prior² = σ_min² + (σ_max² − σ_min²)·sigmoid(κ·z), clamped to
 * [σ_min, σ_max] against last-ulp rounding. z = 0 gives the variance midpoint √((σ_min² + σ_max²)/2).
 */
export function priorSigmaFromZ(
  z: number,
  config: Pick<LossGapPriorConfig, 'sigmaMin' | 'sigmaMax' | 'kappa'>,
): number {
  const { sigmaMin, sigmaMax, kappa } = config;
  const lo = sigmaMin * sigmaMin;
  const hi = sigmaMax * sigmaMax;
  const s = Math.sqrt(lo + (hi - lo) * sigmoid(kappa * z));
  return Math.min(sigmaMax, Math.max(sigmaMin, s));
}

/**
 * Robust cross-task standardisation of exp4: c = median_m Δ̄_m, s = MAD_m(Δ̄_m) + ε (unscaled MAD),
 * z_m = (Δ̄_m − c)/s.
 * @param deltaEma Δ̄, shape [numTasks]
 * @returns `{ c, s, z }` with z of shape [numTasks]
 */
export function lossGapZScores(
  deltaEma: ArrayLike<number>,
  eps: number,
): { readonly c: number; readonly s: number; readonly z: number[] } {
  const c = median(deltaEma);
  const s = medianAbsoluteDeviation(deltaEma) + eps;
  const z = Array.from(deltaEma, (d) => (d - c) / s);
  return { c, s, z };
}

/**
 * σ_prior,m before the first meta-update: the map at z = 0, √((σ_min² + σ_max²)/2) for every task
 * (0.2122 for the defaults). It is exactly what the rule outputs when no task's gap differs from the
 * median, i.e. the rule's own "no evidence yet" value, so the first meta-update moves tasks
 * symmetrically away from it; starting at σ_max would loosen every task before any evidence (the spec
 * warns against all tasks drifting up), σ_min would suppress the very specialisation Δ measures.
 */
export function initLossGapPriorState(config: LossGapPriorConfig, numTasks: number): LossGapPriorState {
  if (!Number.isInteger(numTasks) || numTasks < 1) {
    throw new RangeError(`initLossGapPriorState: numTasks must be an integer >= 1, got ${numTasks}`);
  }
  const sigma0 = priorSigmaFromZ(0, config);
  return {
    sigmaPrior: Array.from({ length: numTasks }, () => sigma0),
    delta: null,
    deltaEma: null,
    z: null,
    lastMetaUpdate: null,
    metaUpdateCount: 0,
  };
}

/** True when exp4's meta-update runs after update `update` (0-based): (update + 1) mod K = 0. */
export function isLossGapMetaUpdate(update: number, K: number): boolean {
  return (update + 1) % K === 0;
}

/**
 * One exp4 meta-update (spec, Experiment 4): Δ_m = L_shared,m − L_adapt,m;
 * Δ̄_m ← (1 − α)·Δ̄_m + α·Δ_m (Δ̄ starts at the first Δ observed, so no bias toward 0);
 * z_m = (Δ̄_m − median Δ̄)/(MAD Δ̄ + ε); σ_prior,m² = σ_min² + (σ_max² − σ_min²)·sigmoid(κ z_m).
 * Called only after meta-update steps (`isLossGapMetaUpdate(update, K)`), so σ_prior is held constant
 * in between. No gradient flows through it (plain numbers). Pure: never modifies `state`.
 * @param state state after the previous meta-update
 * @param signal diagnostic losses after update `update`, each of shape [numTasks]
 * @throws RangeError when `update` is not a meta-update step, is not after the last one, when the
 *   loss arrays do not have numTasks entries, or when a loss is not finite
 */
export function lossGapPriorSigma(
  state: LossGapPriorState,
  signal: LossGapSignal,
  config: LossGapPriorConfig,
): { state: LossGapPriorState; output: LossGapPriorOutput } {
  const { update, lShared, lAdapt } = signal;
  const numTasks = state.sigmaPrior.length;
  if (!Number.isInteger(update) || update < 0 || !isLossGapMetaUpdate(update, config.K)) {
    throw new RangeError(
      `lossGapPriorSigma: update ${update} is not a meta-update step (every K = ${config.K} updates: ` +
        `update + 1 must be a multiple of K); σ_prior is held constant in between`,
    );
  }
  if (state.lastMetaUpdate !== null && update <= state.lastMetaUpdate) {
    throw new RangeError(`lossGapPriorSigma: update ${update} is not after the last meta-update ${state.lastMetaUpdate}`);
  }
  if (lShared.length !== numTasks || lAdapt.length !== numTasks) {
    throw new RangeError(
      `lossGapPriorSigma: lShared and lAdapt need ${numTasks} entries (one per task), got ${lShared.length} and ${lAdapt.length}`,
    );
  }
  const delta: number[] = [];
  for (let m = 0; m < numTasks; m++) {
    const ls = lShared[m] as number;
    const la = lAdapt[m] as number;
    if (!Number.isFinite(ls) || !Number.isFinite(la)) {
      throw new RangeError(`lossGapPriorSigma: non-finite critic loss for task ${m} at update ${update}: lShared=${ls}, lAdapt=${la}`);
    }
    delta.push(ls - la);
  }
  const prev = state.deltaEma;
  const deltaEma = prev === null ? delta.slice() : delta.map((d, m) => (1 - config.alpha) * (prev[m] as number) + config.alpha * d);
  const { z } = lossGapZScores(deltaEma, config.eps);
  const sigmaPrior = z.map((zm) => priorSigmaFromZ(zm, config));
  return {
    state: { sigmaPrior, delta, deltaEma, z, lastMetaUpdate: update, metaUpdateCount: state.metaUpdateCount + 1 },
    output: { sigmaPrior: sigmaPrior.slice() },
  };
}
