import { DEFAULT_BASELINE_SIGMA_PRIOR, DEFAULT_R_BAND, DEFAULT_RATIO_K } from '@varshare/base';
import { z } from 'zod';

/**
 * Baseline KL weight β1 (spec: "β1 is the 'baseline β' you would otherwise have used").
 *
 * With the PPO package's default KL normalisation (`per-sample`: KL_total ÷ rollout batch size B,
 * the ELBO scaling) the KL's gradient on one residual weight is β/B·∂KL_i: on ρ about β/B ≈ 8e-6
 * at cartpole-mt's B = 1,280 while σ ≪ σ_prior, against PPO's ~2e-5–5e-5 — the two compete, so β
 * decides where σ settles; on μ it is β/B·μ/σ_prior², which bites once σ_prior is near |μ|
 * (exp1, exp4's tight tasks, exp5's learned priors). Change it in one place for every variant with
 * `beta.beta1` (all three β sources name their starting/baseline β `beta1`).
 */
export const DEFAULT_BETA1 = 0.01;

/** Default σ_prior of the baseline prior (the unit prior, 1.0); owned by `@varshare/base`, which the report reads too. */
export { DEFAULT_BASELINE_SIGMA_PRIOR };

/** Ratio controller: default β_min = DEFAULT_BETA_MIN_FACTOR · β1 (1e-4 for β1 = 0.01, the spec's example). */
export const DEFAULT_BETA_MIN_FACTOR = 1e-2;
/** Ratio controller: default β_max = DEFAULT_BETA_MAX_FACTOR · β1 (100 for β1 = 0.01, the spec's example). */
export const DEFAULT_BETA_MAX_FACTOR = 1e4;

/** A rate in (0, 1] with a default. */
const unitInterval = (fallback: number, what: string) => z.number().gt(0).lte(1).default(fallback).describe(what);

// ---------------------------------------------------------------------------------------------
// β sources
// ---------------------------------------------------------------------------------------------

/** Baseline / exp1: β(t) = β1 for every update. */
export const FixedBetaSchema = z
  .strictObject({
    kind: z.literal('fixed').describe('Constant KL weight (baseline, exp1).'),
    beta1: z
      .number()
      .nonnegative()
      .default(DEFAULT_BETA1)
      .describe('KL weight β (multiplies KL_total ÷ the normaliser, see the trainer\'s kl.normalisation). Defaults to 0.01.'),
  })
  .describe('Fixed β (no annealing).');

/** Exp2: three-phase warm-up → hold → late ramp-up schedule of β over T PPO updates. */
export const AnnealBetaSchema = z
  .strictObject({
    kind: z.literal('anneal').describe('Time-based three-phase β schedule (exp2).'),
    beta1: z
      .number()
      .nonnegative()
      .default(DEFAULT_BETA1)
      .describe('Hold value β1 reached at the end of warm-up (= baseline β). Defaults to 0.01.'),
    beta2: z
      .number()
      .nonnegative()
      .optional()
      .describe('Final value β2 reached at t = T after the late ramp. Defaults to 2·beta1.'),
    warmFrac: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('T_warm / T: end of the linear 0 → β1 warm-up. Defaults to 0.10.'),
    rampStartFrac: z
      .number()
      .min(0)
      .max(1)
      .default(0.8)
      .describe('T_ramp_start / T: start of the linear β1 → β2 ramp. Defaults to 0.80.'),
  })
  .superRefine((v, ctx) => {
    if (v.rampStartFrac < v.warmFrac) {
      ctx.addIssue({
        code: 'custom',
        path: ['rampStartFrac'],
        message: `must be >= warmFrac (${v.warmFrac}), got ${v.rampStartFrac}`,
      });
    }
    if (v.beta2 !== undefined && v.beta2 < v.beta1) {
      ctx.addIssue({
        code: 'custom',
        path: ['beta2'],
        message: `must be >= beta1 (${v.beta1}) — the spec's late phase ramps β up, got ${v.beta2}`,
      });
    }
  })
  .transform((v) => ({ ...v, beta2: v.beta2 ?? 2 * v.beta1 }))
  .describe('Three-phase β annealing (exp2).');

/** Exp3: event-triggered multiplicative β controller on the noise-to-weight ratio R. */
export const RatioBetaSchema = z
  .strictObject({
    kind: z.literal('ratio').describe('Noise-to-weight ratio β controller (exp3).'),
    beta1: z
      .number()
      .positive()
      .default(DEFAULT_BETA1)
      .describe('Initial β of the controller (= baseline β). Defaults to 0.01.'),
    alpha: unitInterval(0.05, 'EMA rate α in R_ema ← (1−α)·R_ema + α·R_raw. Defaults to 0.05.'),
    K: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_RATIO_K)
      .describe('K_controller: β may change once every K PPO updates. Defaults to 20.'),
    rMin: z.number().nonnegative().default(DEFAULT_R_BAND.rMin).describe('Lower band edge R_min. Defaults to 0.05.'),
    rMax: z.number().positive().default(DEFAULT_R_BAND.rMax).describe('Upper band edge R_max. Defaults to 0.20.'),
    gammaUp: z
      .number()
      .min(1)
      .default(1.1)
      .describe('β ← min(β·γ_up, β_max) when R_ema > R_max. Defaults to 1.10.'),
    gammaDown: z
      .number()
      .min(1)
      .default(1.1)
      .describe('β ← max(β/γ_down, β_min) when R_ema < R_min. Defaults to 1.10.'),
    betaMin: z
      .number()
      .positive()
      .optional()
      .describe('Lower bound β_min. Defaults to 1e-2·beta1 (= 1e-4 for the default β1).'),
    betaMax: z
      .number()
      .positive()
      .optional()
      .describe('Upper bound β_max. Defaults to 1e4·beta1 (= 100 for the default β1).'),
    eps: z
      .number()
      .nonnegative()
      .default(1e-8)
      .describe('ε in R_raw = median(σ)/(median(|θ|)+ε). Defaults to 1e-8.'),
    rEmaInit: z
      .union([z.literal('first'), z.number().nonnegative()])
      .default('first')
      .describe(
        "R_ema before any observation: 'first' sets R_ema to the first R_raw seen (no bias); a number r0 " +
          "blends the first R_raw into r0 like every later one. Defaults to 'first'.",
      ),
  })
  .superRefine((v, ctx) => {
    if (v.rMin >= v.rMax) {
      ctx.addIssue({ code: 'custom', path: ['rMin'], message: `must be < rMax (${v.rMax}), got ${v.rMin}` });
    }
    const betaMin = v.betaMin ?? DEFAULT_BETA_MIN_FACTOR * v.beta1;
    const betaMax = v.betaMax ?? DEFAULT_BETA_MAX_FACTOR * v.beta1;
    if (betaMin > v.beta1) {
      ctx.addIssue({ code: 'custom', path: ['betaMin'], message: `must be <= beta1 (${v.beta1}), got ${betaMin}` });
    }
    if (betaMax < v.beta1) {
      ctx.addIssue({ code: 'custom', path: ['betaMax'], message: `must be >= beta1 (${v.beta1}), got ${betaMax}` });
    }
  })
  .transform((v) => ({
    ...v,
    betaMin: v.betaMin ?? DEFAULT_BETA_MIN_FACTOR * v.beta1,
    betaMax: v.betaMax ?? DEFAULT_BETA_MAX_FACTOR * v.beta1,
  }))
  .describe('Event-triggered β controller (exp3).');

/** The β source: a discriminated union on `kind`. Defaults to `{ kind: 'fixed', beta1: 0.01 }`. */
export const BetaSourceSchema = z
  .discriminatedUnion('kind', [FixedBetaSchema, AnnealBetaSchema, RatioBetaSchema])
  .describe("Where β(t) comes from: 'fixed' | 'anneal' | 'ratio'.");

// ---------------------------------------------------------------------------------------------
// σ_prior sources
// ---------------------------------------------------------------------------------------------

/** Baseline / exp1 / exp2 / exp3: one σ_prior for every task and layer. */
export const FixedPriorSchema = z
  .strictObject({
    kind: z.literal('fixed').describe('Global fixed prior scale.'),
    sigma: z
      .number()
      .positive()
      .default(DEFAULT_BASELINE_SIGMA_PRIOR)
      .describe('σ_prior of N(0, σ_prior² I) for all tasks and layers. Defaults to 1.0 (exp1 uses 0.01).'),
  })
  .describe('Fixed global σ_prior.');

/** Exp4: per-task σ_prior from the critic loss-gap signal, bounded sigmoid mapping. */
export const LossGapPriorSchema = z
  .strictObject({
    kind: z.literal('loss-gap').describe('Per-task σ_prior from the critic loss gap (exp4).'),
    K: z
      .number()
      .int()
      .positive()
      .default(20)
      .describe('K_prior: one meta-update of σ_prior every K PPO updates. Defaults to 20.'),
    alpha: unitInterval(0.05, 'EMA rate α in Δ̄_m ← (1−α)·Δ̄_m + α·Δ_m. Defaults to 0.05.'),
    sigmaMin: z.number().positive().default(0.01).describe('Lower bound σ_min. Defaults to 0.01.'),
    sigmaMax: z
      .number()
      .positive()
      .default(0.1)
      .describe(
        "Upper bound σ_max. Defaults to 0.1: the spec's 0.3 scaled to this weight scale (median |μ| ≈ 0.02–0.03, |θ| ≈ 0.1), " +
          'so the range runs from a prior that dominates μ (0.01) to one that barely touches it.',
      ),
    kappa: z
      .number()
      .nonnegative()
      .default(1)
      .describe('Sensitivity κ in sigmoid(κ·z_m). Defaults to 1.0.'),
    eps: z
      .number()
      .positive()
      .default(1e-8)
      .describe('ε in s = MAD + ε (keeps z finite when all Δ̄ are equal). Defaults to 1e-8.'),
    deltaEmaInit: z
      .enum(['debiased', 'first'])
      .default('debiased')
      .describe(
        "Start of Δ̄: 'debiased' = 0 with Adam's bias correction Δ̄/(1 − (1−α)ⁿ) after n meta-updates, an average " +
          "of all gaps so far with weights (1−α)^age; 'first' = the first Δ, which then keeps weight (1−α)ⁿ⁻¹. Defaults to 'debiased'.",
      ),
  })
  .superRefine((v, ctx) => {
    if (v.sigmaMin > v.sigmaMax) {
      ctx.addIssue({
        code: 'custom',
        path: ['sigmaMin'],
        message: `must be <= sigmaMax (${v.sigmaMax}), got ${v.sigmaMin}`,
      });
    }
  })
  .describe('Loss-gap adaptive σ_prior (exp4).');

/** Exp5: layer-wise learnable log σ_prior (Empirical Bayes), created and trained by the PPO package. */
export const LearnedPriorSchema = z
  .strictObject({
    kind: z.literal('learned').describe('Layer-wise learned σ_prior (exp5, Empirical Bayes).'),
    init: z
      .number()
      .positive()
      .default(0.1)
      .describe('Initial σ_prior,layer (the variable holds log σ, initialised to log(init)). Defaults to 0.1.'),
    lrScale: z
      .number()
      .positive()
      .default(0.5)
      .describe(
        'Stabiliser A: learning-rate multiplier for log σ_prior relative to the network (θ, μ at ×1; ρ at ×3). Adam moves a ' +
          'scalar with a steady gradient by ~lr·lrScale per step whatever its size, so this bounds how far σ_prior can travel: ' +
          'at 0.1 every layer moved together at that limit (0.1 → 0.094). Defaults to 0.5.',
      ),
    hyperLambda: z
      .number()
      .nonnegative()
      .default(1e-2)
      .describe('Stabiliser B: λ_hyper of the hyperprior spring λ·Σ(log σ − log target)² (spec: 1e-3 to 1e-2). Defaults to 1e-2.'),
    target: z
      .number()
      .positive()
      .default(0.1)
      .describe('σ target of the hyperprior (log_sigma_target = log(target)). Defaults to 0.1.'),
    detachSigma: z
      .boolean()
      .default(true)
      .describe(
        'Stabiliser C: in the KL gradient path to σ_prior use a detached posterior σ, so σ_prior is driven by μ ' +
          '(systematic specialisation) rather than posterior noise. Defaults to true.',
      ),
  })
  .describe('Empirical Bayes learned σ_prior (exp5).');

/** The σ_prior source: a discriminated union on `kind`. Defaults to `{ kind: 'fixed', sigma: 1.0 }`. */
export const PriorSourceSchema = z
  .discriminatedUnion('kind', [FixedPriorSchema, LossGapPriorSchema, LearnedPriorSchema])
  .describe("Where σ_prior comes from: 'fixed' | 'loss-gap' | 'learned'.");

/**
 * Full controller config: two independent toggles, composed. Defaults to the baseline
 * `{ beta: { kind: 'fixed', beta1: 0.01 }, prior: { kind: 'fixed', sigma: 1.0 } }`.
 */
export const KlPriorControllerConfigSchema = z
  .strictObject({
    beta: BetaSourceSchema.prefault({ kind: 'fixed' }).describe(
      "β source. Defaults to { kind: 'fixed', beta1: 0.01 }.",
    ),
    prior: PriorSourceSchema.prefault({ kind: 'fixed' }).describe(
      "σ_prior source. Defaults to { kind: 'fixed', sigma: 1.0 }.",
    ),
  })
  .describe('KL weight β and prior scale σ_prior controllers (spec experiments 1–5 and baseline).');

/** Resolved fixed-β config (defaults filled in). */
export type FixedBetaConfig = z.output<typeof FixedBetaSchema>;
/** Resolved exp2 schedule config; `beta2` is always set (2·beta1 when omitted). */
export type AnnealBetaConfig = z.output<typeof AnnealBetaSchema>;
/** Resolved exp3 controller config; `betaMin`/`betaMax` are always set (derived from beta1 when omitted). */
export type RatioBetaConfig = z.output<typeof RatioBetaSchema>;
/** Resolved β source (one of the three kinds). */
export type BetaSourceConfig = z.output<typeof BetaSourceSchema>;
/** Resolved fixed global σ_prior config. */
export type FixedPriorConfig = z.output<typeof FixedPriorSchema>;
/** Resolved exp4 loss-gap prior config. */
export type LossGapPriorConfig = z.output<typeof LossGapPriorSchema>;
/** Resolved exp5 learned-prior config. */
export type LearnedPriorConfig = z.output<typeof LearnedPriorSchema>;
/** Resolved σ_prior source (one of the three kinds). */
export type PriorSourceConfig = z.output<typeof PriorSourceSchema>;
/** Resolved controller config: `{ beta, prior }` with every default filled in. */
export type KlPriorControllerConfig = z.output<typeof KlPriorControllerConfigSchema>;
/** What a user may write (defaults omitted). */
export type KlPriorControllerConfigInput = z.input<typeof KlPriorControllerConfigSchema>;

/**
 * Formats zod issues as `path.to.field: message` lines, so errors name the offending key.
 * @param error a ZodError from any schema in this file
 * @param prefix optional path prefix, e.g. `controller`
 */
export function formatConfigIssues(error: z.ZodError, prefix?: string): string {
  return error.issues
    .map((issue) => {
      const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.');
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${path || '(root)'}: ${message}`;
    })
    .join('; ');
}

/**
 * Parses a controller config (input form, defaults omitted) into the resolved form.
 * Throws an Error whose message names every offending field (`beta.gammaUp: …`).
 */
export function parseControllerConfig(input: unknown, what = 'controller config'): KlPriorControllerConfig {
  const result = KlPriorControllerConfigSchema.safeParse(input);
  if (!result.success) throw new Error(`Invalid ${what}: ${formatConfigIssues(result.error)}`);
  return result.data;
}
