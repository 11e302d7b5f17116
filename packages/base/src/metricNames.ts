/**
 * Every metric key the project writes (CONTRACTS.md "Metric keys" and the extra diagnostics), in one
 * place. Writers (controllers, rl-ppo, the trainer) build keys with these constants/functions; the
 * report reads and classifies keys with them (`metricFamily` / `splitMetricKey`). It lives below
 * the leaf packages because controllers write keys and cannot import `@varshare/metrics`;
 * `@varshare/metrics` re-exports all of it. `<task>` is a task name, `<layer>` a layer name such as
 * `actor.0` or `critic.2`, `<group>` a {@link GradGroup}.
 *
 * A key written `<base>/<qualifier>` has its base as a constant here (`VARSHARE_SIGMA_MEDIAN`) and
 * a builder per qualifier kind (`varshareSigmaMedianTask`, `varshareSigmaMedianLayer`): compare
 * `splitMetricKey(key).base` with the constant.
 */

// ── run bookkeeping fields (first keys of every metrics.jsonl / eval.jsonl record) ──────────────
/** PPO update index (the x axis of metrics.jsonl; resume truncates by it). */
export const UPDATE = 'update';
/** Environment steps consumed so far (all envs). */
export const ENV_STEPS = 'env_steps';
/** Seconds since the run started (timing: excluded from determinism comparisons). */
export const WALL_S = 'wall_s';

// ── training ────────────────────────────────────────────────────────────────────────────────────
/** `train/return_mean` */
export const TRAIN_RETURN_MEAN = 'train/return_mean';
/** `train/success_rate` */
export const TRAIN_SUCCESS_RATE = 'train/success_rate';
/** Base of `train/return/<task>`. */
export const TRAIN_RETURN = 'train/return';
/** Base of `train/success/<task>`. */
export const TRAIN_SUCCESS = 'train/success';
/** `train/return/<task>` */
export const trainReturnTask = (task: string): string => `${TRAIN_RETURN}/${task}`;
/** `train/success/<task>` */
export const trainSuccessTask = (task: string): string => `${TRAIN_SUCCESS}/${task}`;

// ── evaluation ──────────────────────────────────────────────────────────────────────────────────
/** `eval/return_mean` */
export const EVAL_RETURN_MEAN = 'eval/return_mean';
/** `eval/success_rate` */
export const EVAL_SUCCESS_RATE = 'eval/success_rate';
/** Base of `eval/return/<task>`. */
export const EVAL_RETURN = 'eval/return';
/** Base of `eval/success/<task>`. */
export const EVAL_SUCCESS = 'eval/success';
/** `eval/return/<task>` */
export const evalReturnTask = (task: string): string => `${EVAL_RETURN}/${task}`;
/** `eval/success/<task>` */
export const evalSuccessTask = (task: string): string => `${EVAL_SUCCESS}/${task}`;
/** Episodes per task of one evaluation (`eval.episodes`). */
export const EVAL_EPISODES_PER_TASK = 'eval/episodes_per_task';

// ── PPO (CleanRL names) ─────────────────────────────────────────────────────────────────────────
/** `losses/policy_loss` */
export const LOSSES_POLICY_LOSS = 'losses/policy_loss';
/** `losses/value_loss` */
export const LOSSES_VALUE_LOSS = 'losses/value_loss';
/** `losses/entropy` */
export const LOSSES_ENTROPY = 'losses/entropy';
/** `losses/approx_kl` */
export const LOSSES_APPROX_KL = 'losses/approx_kl';
/** `losses/clipfrac` */
export const LOSSES_CLIPFRAC = 'losses/clipfrac';
/** `losses/explained_variance` */
export const LOSSES_EXPLAINED_VARIANCE = 'losses/explained_variance';
/** CleanRL's `old_approx_kl` = mean(−log ratio), next to the k3 estimator `losses/approx_kl`. */
export const LOSSES_OLD_APPROX_KL = 'losses/old_approx_kl';
/** β · KL_total / normaliser, the KL term as it enters the loss (mean over minibatch steps). */
export const LOSSES_KL_TERM = 'losses/kl_term';
/** The whole minimised loss (PPO + KL term + hyperprior), mean over minibatch steps. */
export const LOSSES_TOTAL = 'losses/total';
/** `charts/learning_rate` */
export const CHARTS_LEARNING_RATE = 'charts/learning_rate';
/** Env steps per second (timing: excluded from determinism comparisons). */
export const CHARTS_SPS = 'charts/SPS';
/** Seconds spent collecting the update's rollout (timing). */
export const CHARTS_ROLLOUT_S = 'charts/rollout_s';
/** Seconds spent in the update's optimisation epochs (timing). */
export const CHARTS_UPDATE_S = 'charts/update_s';
/** Optimizer steps (minibatches × epochs) the update took. */
export const CHARTS_MINIBATCH_UPDATES = 'charts/minibatch_updates';

// ── VarShare diagnostics (spec "Metrics to log" B) ──────────────────────────────────────────────
/** `varshare/kl_total` */
export const VARSHARE_KL_TOTAL = 'varshare/kl_total';
/** Global noise-to-weight ratio R = median(σ) / (median(|θ|) + ε). */
export const VARSHARE_RATIO_R = 'varshare/ratio_R';
/** Base of `varshare/kl/<task>`. */
export const VARSHARE_KL = 'varshare/kl';
/** Base of `varshare/mu_abs_median/<task|layer>`. */
export const VARSHARE_MU_ABS_MEDIAN = 'varshare/mu_abs_median';
/** Base of `varshare/sigma_median/<task|layer>`. */
export const VARSHARE_SIGMA_MEDIAN = 'varshare/sigma_median';
/** Base of `varshare/sigma_mean/<task>`. */
export const VARSHARE_SIGMA_MEAN = 'varshare/sigma_mean';
/** Base of `varshare/log_sigma_mean/<task>`. */
export const VARSHARE_LOG_SIGMA_MEAN = 'varshare/log_sigma_mean';
/** `varshare/kl/<task>` */
export const varshareKlTask = (task: string): string => `${VARSHARE_KL}/${task}`;
/** `varshare/mu_abs_median/<task>` */
export const varshareMuAbsMedianTask = (task: string): string => `${VARSHARE_MU_ABS_MEDIAN}/${task}`;
/** `varshare/sigma_median/<task>` */
export const varshareSigmaMedianTask = (task: string): string => `${VARSHARE_SIGMA_MEDIAN}/${task}`;
/** `varshare/sigma_mean/<task>` */
export const varshareSigmaMeanTask = (task: string): string => `${VARSHARE_SIGMA_MEAN}/${task}`;
/** `varshare/log_sigma_mean/<task>` */
export const varshareLogSigmaMeanTask = (task: string): string => `${VARSHARE_LOG_SIGMA_MEAN}/${task}`;
/** `varshare/ratio_R/<layer>` */
export const varshareRatioRLayer = (layer: string): string => `${VARSHARE_RATIO_R}/${layer}`;
/** `varshare/mu_abs_median/<layer>` (same prefix as the per-task key; layer names look like `actor.0`). */
export const varshareMuAbsMedianLayer = (layer: string): string => `${VARSHARE_MU_ABS_MEDIAN}/${layer}`;
/** `varshare/sigma_median/<layer>` (same prefix as the per-task key). */
export const varshareSigmaMedianLayer = (layer: string): string => `${VARSHARE_SIGMA_MEDIAN}/${layer}`;
/**
 * `varshare/kl_layer/<layer>` — the layer's KL summed over tasks. Not in `QUALIFIED_PREFIXES`: the
 * report has always read it as one unqualified key per layer.
 */
export const varshareKlLayer = (layer: string): string => `varshare/kl_layer/${layer}`;

// ── controllers ─────────────────────────────────────────────────────────────────────────────────
/** β(t), logged by all variants. */
export const CONTROLLER_BETA = 'controller/beta';
/** `controller/trigger_up_count` */
export const CONTROLLER_TRIGGER_UP_COUNT = 'controller/trigger_up_count';
/** `controller/trigger_down_count` */
export const CONTROLLER_TRIGGER_DOWN_COUNT = 'controller/trigger_down_count';
/** `controller/R_raw` */
export const CONTROLLER_R_RAW = 'controller/R_raw';
/** `controller/R_ema` */
export const CONTROLLER_R_EMA = 'controller/R_ema';

// ── priors ──────────────────────────────────────────────────────────────────────────────────────
/** Global σ_prior (baseline, exp1, exp2, exp3). */
export const PRIOR_SIGMA = 'prior/sigma';
/** exp5 hyperprior penalty λ_hyper Σ_layers (log σ_prior,layer − log σ_target)². */
export const PRIOR_HYPER_PENALTY = 'prior/hyper_penalty';
/** Base of `prior/log_sigma/<layer>`. */
export const PRIOR_LOG_SIGMA = 'prior/log_sigma';
/** Base of `prior/delta/<task>`. */
export const PRIOR_DELTA = 'prior/delta';
/** Base of `prior/delta_ema/<task>`. */
export const PRIOR_DELTA_EMA = 'prior/delta_ema';
/** Base of `prior/z/<task>`. */
export const PRIOR_Z = 'prior/z';
/** `prior/sigma/<task>` (exp4). */
export const priorSigmaTask = (task: string): string => `${PRIOR_SIGMA}/${task}`;
/** `prior/delta/<task>` — loss gap Δ_m (exp4). */
export const priorDeltaTask = (task: string): string => `${PRIOR_DELTA}/${task}`;
/** `prior/delta_ema/<task>` — Δ̄_m (exp4). */
export const priorDeltaEmaTask = (task: string): string => `${PRIOR_DELTA_EMA}/${task}`;
/** `prior/z/<task>` (exp4). */
export const priorZTask = (task: string): string => `${PRIOR_Z}/${task}`;
/** `prior/sigma/<layer>` (exp5; same prefix as the per-task key). */
export const priorSigmaLayer = (layer: string): string => `${PRIOR_SIGMA}/${layer}`;
/** `prior/log_sigma/<layer>` (exp5). */
export const priorLogSigmaLayer = (layer: string): string => `${PRIOR_LOG_SIGMA}/${layer}`;

// ── KL pressure (every variant) ─────────────────────────────────────────────────────────────────
/** Parameter groups of the KL-pressure keys: θ (shared weights, biases, log-std), μ, ρ, learned σ_prior. */
export type GradGroup = 'theta' | 'mu' | 'rho' | 'prior';
/** Base of `grad/ppo_norm/<group>`. */
export const GRAD_PPO_NORM = 'grad/ppo_norm';
/** Base of `grad/kl_norm/<group>`. */
export const GRAD_KL_NORM = 'grad/kl_norm';
/** Base of `grad/ppo_rms/<group>`. */
export const GRAD_PPO_RMS = 'grad/ppo_rms';
/** Base of `grad/kl_rms/<group>`. */
export const GRAD_KL_RMS = 'grad/kl_rms';
/** `grad/ppo_norm/<group>` — L2 norm of the PPO loss's gradient on the group, mean over the update's minibatch steps. */
export const gradPpoNorm = (group: GradGroup): string => `${GRAD_PPO_NORM}/${group}`;
/** `grad/kl_norm/<group>` — L2 norm of the gradient of β·KL/normaliser (+ hyperprior) on the group, mean over the steps. */
export const gradKlNorm = (group: GradGroup): string => `${GRAD_KL_NORM}/${group}`;
/** `grad/ppo_rms/<group>` — the PPO gradient per parameter (norm ÷ √count): compare with the optimizer's ε. */
export const gradPpoRms = (group: GradGroup): string => `${GRAD_PPO_RMS}/${group}`;
/** `grad/kl_rms/<group>` — the KL gradient per parameter (norm ÷ √count): compare with the optimizer's ε. */
export const gradKlRms = (group: GradGroup): string => `${GRAD_KL_RMS}/${group}`;
/** `grad/total_norm` — global gradient norm before clipping, mean over the steps. */
export const GRAD_TOTAL_NORM = 'grad/total_norm';
/** `grad/clip_fraction` — fraction of the update's steps whose gradient was clipped (max_grad_norm). */
export const GRAD_CLIP_FRACTION = 'grad/clip_fraction';
/** `step/rho_abs_median` — median over ρ entries of |Δρ| in one optimizer step, mean over the update's steps. */
export const STEP_RHO_ABS_MEDIAN = 'step/rho_abs_median';

/**
 * Keys whose values depend on the clock, not on the computation. CONTRACTS.md: identical runs give
 * byte-identical metrics.jsonl/eval.jsonl "ignoring `wall_s` and timing keys".
 */
export const TIMING_KEYS: readonly string[] = [WALL_S, CHARTS_SPS, CHARTS_ROLLOUT_S, CHARTS_UPDATE_S];

/** True for keys listed in `TIMING_KEYS`. */
export function isTimingKey(key: string): boolean {
  return TIMING_KEYS.includes(key);
}

/** Family of a metric key: its first path segment, or `run` for the bookkeeping fields. */
export type MetricFamily =
  | 'run'
  | 'train'
  | 'eval'
  | 'losses'
  | 'charts'
  | 'varshare'
  | 'controller'
  | 'prior'
  | 'grad'
  | 'step'
  | 'other';

const FAMILIES: ReadonlySet<string> = new Set<MetricFamily>(['train', 'eval', 'losses', 'charts', 'varshare', 'controller', 'prior', 'grad', 'step']);

/** Classifies a key: `train/return/reach` → `train`, `update` → `run`, `foo/bar` → `other`. */
export function metricFamily(key: string): MetricFamily {
  if (key === UPDATE || key === ENV_STEPS || key === WALL_S) return 'run';
  const slash = key.indexOf('/');
  const head = slash < 0 ? key : key.slice(0, slash);
  return FAMILIES.has(head) ? (head as MetricFamily) : 'other';
}

/**
 * Prefixes that are followed by `/<task>` or `/<layer>`. Longest first so `prior/delta_ema/x` is not
 * read as `prior/delta` + `_ema/x` (the trailing `/` in the match prevents that anyway).
 */
export const QUALIFIED_PREFIXES: readonly string[] = [
  TRAIN_RETURN,
  TRAIN_SUCCESS,
  EVAL_RETURN,
  EVAL_SUCCESS,
  VARSHARE_KL,
  VARSHARE_MU_ABS_MEDIAN,
  VARSHARE_SIGMA_MEDIAN,
  VARSHARE_SIGMA_MEAN,
  VARSHARE_LOG_SIGMA_MEAN,
  VARSHARE_RATIO_R,
  PRIOR_SIGMA,
  PRIOR_LOG_SIGMA,
  PRIOR_DELTA,
  PRIOR_DELTA_EMA,
  PRIOR_Z,
  GRAD_PPO_NORM,
  GRAD_KL_NORM,
  GRAD_PPO_RMS,
  GRAD_KL_RMS,
];

/** A key split into its family, its base name and its `<task>`/`<layer>` qualifier (if any). */
export interface MetricKeyParts {
  readonly key: string;
  readonly family: MetricFamily;
  /** Key without the qualifier, e.g. `varshare/kl` for `varshare/kl/reach`; the key itself when unqualified. */
  readonly base: string;
  /** Task or layer name (may itself contain `/`); undefined for aggregate keys such as `varshare/kl_total`. */
  readonly qualifier: string | undefined;
}

/**
 * Splits a key into family/base/qualifier using `QUALIFIED_PREFIXES`. Whether a qualifier is a task
 * or a layer is not decided here (`varshare/sigma_median/<x>` exists for both); the report knows the
 * suite's task names, and `looksLikeLayerName` helps otherwise.
 */
export function splitMetricKey(key: string): MetricKeyParts {
  const family = metricFamily(key);
  for (const prefix of QUALIFIED_PREFIXES) {
    if (key.length > prefix.length + 1 && key.startsWith(`${prefix}/`)) {
      return { key, family, base: prefix, qualifier: key.slice(prefix.length + 1) };
    }
  }
  return { key, family, base: key, qualifier: undefined };
}

/**
 * Heuristic: layer names are `<block>.<index>` (e.g. `actor.0`, `critic.2`). Prefer the suite's task
 * list when it is known; a task named like `foo.3` would be misread by this test.
 */
export function looksLikeLayerName(name: string): boolean {
  return /^[A-Za-z_][\w-]*\.\d+$/.test(name);
}
