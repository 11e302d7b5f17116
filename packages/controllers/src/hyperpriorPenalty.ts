/**
 * Exp5 stabiliser B, the hyperprior "spring": λ_hyper · Σ_layers (log σ_prior,layer − log σ_target)².
 * Plain-number twin of the PPO package's tensor version (same config values), for logging checks and tests.
 * @param logSigmaPrior log σ_prior per layer, shape [numLayers]
 * @param options `hyperLambda` = λ_hyper ≥ 0 (Defaults to 1e-3 in the config), `target` = σ_target > 0
 *   (Defaults to 0.1 in the config; log_sigma_target = log(target))
 */
export function hyperpriorPenalty(
  logSigmaPrior: ArrayLike<number>,
  options: { readonly hyperLambda: number; readonly target: number },
): number {
  if (!(options.target > 0)) throw new RangeError(`hyperpriorPenalty: target must be > 0, got ${options.target}`);
  if (!(options.hyperLambda >= 0)) {
    throw new RangeError(`hyperpriorPenalty: hyperLambda must be >= 0, got ${options.hyperLambda}`);
  }
  const logTarget = Math.log(options.target);
  let sum = 0;
  for (let i = 0; i < logSigmaPrior.length; i++) {
    const d = (logSigmaPrior[i] as number) - logTarget;
    sum += d * d;
  }
  return options.hyperLambda * sum;
}
