/**
 * `@varshare/base` — the vocabulary every other package shares, below the leaf packages (it imports
 * no `@varshare/*` package and no TensorFlow; every package and app may import it): the seeded
 * generator and seed derivations, the median, every metric key name, the σ_prior value forms and
 * the spec defaults read in more than one place.
 *
 * ```ts
 * import { Rng, deriveSeed, median, CONTROLLER_BETA, priorSigmaTask, type SigmaPriorSpec } from '@varshare/base';
 * const rng = new Rng(deriveSeed(runSeed, 11));
 * ```
 */

// Seeded randomness
export { Rng, deriveSeed, deriveEnvSeed, foldEnvSeed } from './rng';
export type { RngState, RngStateInput } from './rng';

// JSON values
export type { JsonObject, JsonValue } from './json';

// Robust centre
export { keyToFloat, median, medianAbsoluteDeviation } from './median';

// Metric keys (CONTRACTS.md "Metric keys")
export {
  UPDATE, ENV_STEPS, WALL_S, TRAIN_RETURN_MEAN, TRAIN_SUCCESS_RATE, TRAIN_RETURN, TRAIN_SUCCESS,
  trainReturnTask, trainSuccessTask, EVAL_RETURN_MEAN, EVAL_SUCCESS_RATE, EVAL_RETURN,
  EVAL_SUCCESS, evalReturnTask, evalSuccessTask, EVAL_EPISODES_PER_TASK, LOSSES_POLICY_LOSS,
  LOSSES_VALUE_LOSS, LOSSES_ENTROPY, LOSSES_APPROX_KL, LOSSES_CLIPFRAC, LOSSES_EXPLAINED_VARIANCE,
  LOSSES_OLD_APPROX_KL, LOSSES_KL_TERM, LOSSES_TOTAL, CHARTS_LEARNING_RATE, CHARTS_SPS,
  CHARTS_ROLLOUT_S, CHARTS_UPDATE_S, CHARTS_MINIBATCH_UPDATES, VARSHARE_KL_TOTAL, VARSHARE_RATIO_R,
  VARSHARE_KL, VARSHARE_MU_ABS_MEDIAN, VARSHARE_SIGMA_MEDIAN, VARSHARE_SIGMA_MEAN,
  VARSHARE_LOG_SIGMA_MEAN, varshareKlTask, varshareMuAbsMedianTask, varshareSigmaMedianTask,
  varshareSigmaMeanTask, varshareLogSigmaMeanTask, varshareRatioRLayer, varshareMuAbsMedianLayer,
  varshareSigmaMedianLayer, varshareKlLayer, CONTROLLER_BETA, CONTROLLER_TRIGGER_UP_COUNT,
  CONTROLLER_TRIGGER_DOWN_COUNT, CONTROLLER_R_RAW, CONTROLLER_R_EMA, PRIOR_SIGMA,
  PRIOR_HYPER_PENALTY, PRIOR_LOG_SIGMA, PRIOR_DELTA, PRIOR_DELTA_EMA, PRIOR_Z, priorSigmaTask,
  priorDeltaTask, priorDeltaEmaTask, priorZTask, priorSigmaLayer, priorLogSigmaLayer,
  GRAD_PPO_NORM, GRAD_KL_NORM, GRAD_PPO_RMS, GRAD_KL_RMS, gradPpoNorm, gradKlNorm, gradPpoRms,
  gradKlRms, GRAD_TOTAL_NORM, GRAD_CLIP_FRACTION, STEP_RHO_ABS_MEDIAN, TIMING_KEYS, isTimingKey,
  metricFamily, QUALIFIED_PREFIXES, splitMetricKey, looksLikeLayerName,
} from './metricNames';
export type { GradGroup, MetricFamily, MetricKeyParts } from './metricNames';

// σ_prior of an update
export type { GlobalSigmaPrior, LearnedPerLayerSigmaPrior, PerTaskSigmaPrior, SigmaPriorKind, SigmaPriorSpec } from './sigmaPriorSpec';

// Exp3's noise-to-weight ratio R (the controller's signal and the logged diagnostic)
export { noiseToWeightRatio } from './noiseToWeightRatio';

// Worker threads with a synchronous request/reply channel
export { WorkerError, WorkerLink, serveRequests, siblingModule, workerInput } from './threads';
export type { Reply } from './threads';

// Spec defaults shared across packages
export { DEFAULT_BASELINE_SIGMA_PRIOR, DEFAULT_R_BAND, DEFAULT_RATIO_K } from './specDefaults';
