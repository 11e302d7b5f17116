/**
 * Every metric key of CONTRACTS.md "Metric keys", in one place. Writers build keys with these
 * constants/functions; the report classifies keys with `metricFamily` / `splitMetricKey`.
 * `<task>` is a task name, `<layer>` a layer name such as `actor.0` or `critic.2`.
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
/** `train/return/<task>` */
export const trainReturnTask = (task: string): string => `train/return/${task}`;
/** `train/success/<task>` */
export const trainSuccessTask = (task: string): string => `train/success/${task}`;

// ── evaluation ──────────────────────────────────────────────────────────────────────────────────
/** `eval/return_mean` */
export const EVAL_RETURN_MEAN = 'eval/return_mean';
/** `eval/success_rate` */
export const EVAL_SUCCESS_RATE = 'eval/success_rate';
/** `eval/return/<task>` */
export const evalReturnTask = (task: string): string => `eval/return/${task}`;
/** `eval/success/<task>` */
export const evalSuccessTask = (task: string): string => `eval/success/${task}`;

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
/** `charts/learning_rate` */
export const CHARTS_LEARNING_RATE = 'charts/learning_rate';
/** Env steps per second (timing: excluded from determinism comparisons). */
export const CHARTS_SPS = 'charts/SPS';

// ── VarShare diagnostics (spec "Metrics to log" B) ──────────────────────────────────────────────
/** `varshare/kl_total` */
export const VARSHARE_KL_TOTAL = 'varshare/kl_total';
/** Global noise-to-weight ratio R = median(σ) / (median(|θ|) + ε). */
export const VARSHARE_RATIO_R = 'varshare/ratio_R';
/** `varshare/kl/<task>` */
export const varshareKlTask = (task: string): string => `varshare/kl/${task}`;
/** `varshare/mu_abs_median/<task>` */
export const varshareMuAbsMedianTask = (task: string): string => `varshare/mu_abs_median/${task}`;
/** `varshare/sigma_median/<task>` */
export const varshareSigmaMedianTask = (task: string): string => `varshare/sigma_median/${task}`;
/** `varshare/sigma_mean/<task>` */
export const varshareSigmaMeanTask = (task: string): string => `varshare/sigma_mean/${task}`;
/** `varshare/log_sigma_mean/<task>` */
export const varshareLogSigmaMeanTask = (task: string): string => `varshare/log_sigma_mean/${task}`;
/** `varshare/ratio_R/<layer>` */
export const varshareRatioRLayer = (layer: string): string => `varshare/ratio_R/${layer}`;
/** `varshare/mu_abs_median/<layer>` (same prefix as the per-task key; layer names look like `actor.0`). */
export const varshareMuAbsMedianLayer = (layer: string): string => `varshare/mu_abs_median/${layer}`;
/** `varshare/sigma_median/<layer>` (same prefix as the per-task key). */
export const varshareSigmaMedianLayer = (layer: string): string => `varshare/sigma_median/${layer}`;

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
/** `prior/sigma/<task>` (exp4). */
export const priorSigmaTask = (task: string): string => `prior/sigma/${task}`;
/** `prior/delta/<task>` — loss gap Δ_m (exp4). */
export const priorDeltaTask = (task: string): string => `prior/delta/${task}`;
/** `prior/delta_ema/<task>` — Δ̄_m (exp4). */
export const priorDeltaEmaTask = (task: string): string => `prior/delta_ema/${task}`;
/** `prior/z/<task>` (exp4). */
export const priorZTask = (task: string): string => `prior/z/${task}`;
/** `prior/sigma/<layer>` (exp5; same prefix as the per-task key). */
export const priorSigmaLayer = (layer: string): string => `prior/sigma/${layer}`;
/** `prior/log_sigma/<layer>` (exp5). */
export const priorLogSigmaLayer = (layer: string): string => `prior/log_sigma/${layer}`;

// ── KL pressure (every variant) ─────────────────────────────────────────────────────────────────
/** Parameter groups of the KL-pressure keys: θ (shared weights, biases, log-std), μ, ρ, learned σ_prior. */
export type GradGroup = 'theta' | 'mu' | 'rho' | 'prior';
/** `grad/ppo_norm/<group>` — L2 norm of the PPO loss's gradient on the group, mean over the update's minibatch steps. */
export const gradPpoNorm = (group: GradGroup): string => `grad/ppo_norm/${group}`;
/** `grad/kl_norm/<group>` — L2 norm of the gradient of β·KL/normaliser (+ hyperprior) on the group, mean over the steps. */
export const gradKlNorm = (group: GradGroup): string => `grad/kl_norm/${group}`;
/** `grad/ppo_rms/<group>` — the PPO gradient per parameter (norm ÷ √count): compare with the optimizer's ε. */
export const gradPpoRms = (group: GradGroup): string => `grad/ppo_rms/${group}`;
/** `grad/kl_rms/<group>` — the KL gradient per parameter (norm ÷ √count): compare with the optimizer's ε. */
export const gradKlRms = (group: GradGroup): string => `grad/kl_rms/${group}`;
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
export const TIMING_KEYS: readonly string[] = [WALL_S, CHARTS_SPS, 'charts/rollout_s', 'charts/update_s'];

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

const FAMILIES: ReadonlySet<string> = new Set(['train', 'eval', 'losses', 'charts', 'varshare', 'controller', 'prior', 'grad', 'step']);

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
  'train/return',
  'train/success',
  'eval/return',
  'eval/success',
  'varshare/kl',
  'varshare/mu_abs_median',
  'varshare/sigma_median',
  'varshare/sigma_mean',
  'varshare/log_sigma_mean',
  'varshare/ratio_R',
  'prior/sigma',
  'prior/log_sigma',
  'prior/delta',
  'prior/delta_ema',
  'prior/z',
  'grad/ppo_norm',
  'grad/kl_norm',
  'grad/ppo_rms',
  'grad/kl_rms',
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
