/**
 * Exp3's robust noise-to-weight ratio R_raw = median(σ_all) / (median(|θ_all|) + ε), the one
 * implementation of R: exp3's signal (controllers), and the logged `varshare/ratio_R` globally and
 * per layer (core's posterior diagnostics). The medians come from the caller.
 * Non-finite inputs propagate (NaN in → NaN out); the controller rejects a non-finite R_raw.
 * @param sigmaMedian median over (task, layer, param) of the posterior std σ, ≥ 0
 * @param thetaAbsMedian median over (layer, param) of |θ| of the shared weights, ≥ 0
 * @param eps ε ≥ 0 guarding a zero denominator. Defaults to 1e-8.
 * @throws RangeError on negative inputs (a std and an absolute value cannot be negative)
 */
export function noiseToWeightRatio(sigmaMedian: number, thetaAbsMedian: number, eps = 1e-8): number {
  if (sigmaMedian < 0 || thetaAbsMedian < 0 || eps < 0) {
    throw new RangeError(
      `noiseToWeightRatio: inputs must be >= 0, got sigmaMedian=${sigmaMedian}, thetaAbsMedian=${thetaAbsMedian}, eps=${eps}`,
    );
  }
  return sigmaMedian / (thetaAbsMedian + eps);
}
