/** Parameters of exp2's three-phase schedule (resolved `AnnealBetaConfig` fits). */
export interface BetaScheduleParams {
  /** Hold value β1 (= baseline β). */
  readonly beta1: number;
  /** Final value β2 at t = T. */
  readonly beta2: number;
  /** T_warm / T. */
  readonly warmFrac: number;
  /** T_ramp_start / T. */
  readonly rampStartFrac: number;
}

/**
 * Exp2's β(t), warm-up → hold → late ramp-up (t and T in PPO updates):
 *   t ∈ [0, T_warm]:            β1 · t / T_warm            (β1 at once when T_warm = 0)
 *   t ∈ (T_warm, T_ramp_start]: β1
 *   t ∈ (T_ramp_start, T]:      β1 + (β2 − β1)(t − T_ramp_start)/(T − T_ramp_start)
 * with T_warm = warmFrac·T, T_ramp_start = rampStartFrac·T. t > T is clamped to T (the schedule ends
 * at β2). The composed controller calls it with t = the 0-based index of the update about to run, so
 * update 0 uses β = 0 and the last update T−1 uses just under β2.
 * @param t update index, finite, ≥ 0
 * @param T total number of PPO updates, finite, > 0
 * @throws RangeError on t < 0, T ≤ 0 or non-finite arguments
 */
export function betaSchedule(t: number, T: number, params: BetaScheduleParams): number {
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`betaSchedule: t must be a finite number >= 0, got ${t}`);
  if (!Number.isFinite(T) || T <= 0) throw new RangeError(`betaSchedule: T must be a finite number > 0, got ${T}`);
  const { beta1, beta2, warmFrac, rampStartFrac } = params;
  const tc = Math.min(t, T);
  const tWarm = warmFrac * T;
  const tRamp = rampStartFrac * T;
  if (tc <= tWarm) return tWarm > 0 ? (beta1 * tc) / tWarm : beta1;
  if (tc <= tRamp) return beta1;
  return beta1 + ((beta2 - beta1) * (tc - tRamp)) / (T - tRamp);
}
