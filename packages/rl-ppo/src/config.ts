import { networkConfigSchema, weightModesConfigSchema } from '@varshare/core';
import { z } from 'zod';

/**
 * PPO hyperparameters, named as CleanRL's `ppo.py` / `ppo_continuous_action.py` names them
 * (camelCase of `learning_rate`, `num_steps`, `gae_lambda`, …) with CleanRL's defaults.
 */
export const ppoHyperparamsSchema = z
  .object({
    learningRate: z.number().positive().default(2.5e-4).describe('Adam learning rate (CleanRL learning_rate).'),
    annealLr: z.boolean().default(true).describe('Linearly anneal the learning rate to 0 over the run (anneal_lr).'),
    numSteps: z.number().int().positive().default(128).describe('Rollout steps per env per update (num_steps).'),
    gamma: z.number().min(0).max(1).default(0.99).describe('Discount factor γ (gamma).'),
    gaeLambda: z.number().min(0).max(1).default(0.95).describe('GAE λ (gae_lambda).'),
    numMinibatches: z.number().int().positive().default(4).describe('Minibatches per epoch (num_minibatches).'),
    updateEpochs: z.number().int().positive().default(4).describe('Epochs over each rollout batch (update_epochs).'),
    normAdv: z.boolean().default(true).describe('Normalise advantages per minibatch (norm_adv).'),
    clipCoef: z.number().positive().default(0.2).describe('PPO ratio clip ε (clip_coef).'),
    clipVloss: z.boolean().default(true).describe('Clipped value loss (clip_vloss).'),
    entCoef: z.number().min(0).default(0.01).describe('Entropy bonus coefficient (ent_coef).'),
    vfCoef: z.number().min(0).default(0.5).describe('Value loss coefficient (vf_coef).'),
    maxGradNorm: z.number().positive().default(0.5).describe('Global gradient-norm clip over all parameters (max_grad_norm).'),
    targetKl: z.number().positive().nullable().default(null).describe('Stop the epochs early when approx_kl exceeds this (target_kl); null = off.'),
    minibatchSampling: z
      .enum(['uniform', 'stratified-by-task'])
      .default('uniform')
      .describe("Minibatches shuffled over the whole batch (CleanRL), or 'stratified-by-task': equal rows per task in every minibatch (needs round-robin tasks; faster: no padding or gather in task routing)."),
    adamEps: z.number().positive().default(1e-5).describe('Adam ε (CleanRL: 1e-5).'),
  })
  .strict();

/**
 * How KL_total enters the loss: loss = PPO + β · KL_total / normaliser + hyperprior.
 * - `per-sample` (default): KL_total / (samples per rollout batch), the ELBO scaling for one pass
 *   over the batch: each residual weight's KL gradient is β/B·∂KL_i (≈ β/B on ρ while σ ≪ σ_prior),
 *   about 0.1–0.3× PPO's gradient on ρ — the KL and PPO then compete, and β decides (README,
 *   "gradient scale").
 * - `per-weight`: KL_total / (numTasks × residual weights per task over actor and critic), the mean
 *   KL per residual weight: an O(1) loss term, but a per-weight gradient of β/N ≈ 1e-7 — below Adam's
 *   ε and ~1 % of PPO's gradient on ρ, so the KL does not move σ (measured: +0.7 % in 100k steps).
 * - `sum`: the raw sum over all ~10⁵ weights per task (what the public code did; it swamps PPO
 *   unless β is tiny).
 */
export const klConfigSchema = z
  .object({
    normalisation: z.enum(['per-sample', 'per-weight', 'sum']).default('per-sample').describe('Divisor of KL_total in the loss: rollout batch size, residual weight count, or 1 (see README, "gradient scale").'),
  })
  .strict();

/** Optimizer parameter groups: one Adam per group, each with its own learning-rate scale. */
export const optimizerConfigSchema = z
  .object({
    thetaLrScale: z.number().positive().default(1).describe('Learning-rate multiplier of the shared weights θ, biases and log-std.'),
    posteriorLrScale: z.number().positive().default(1).describe('Learning-rate multiplier of the posterior parameters μ and ρ.'),
    rhoLrScale: z
      .number()
      .positive()
      .default(3)
      .describe('Extra learning-rate multiplier of ρ (σ = softplus(ρ)) on top of posteriorLrScale: σ moves by at most ~e^(lr·scale) per step, so this sets how far σ can travel in a run.'),
    posteriorAdamEps: z
      .number()
      .positive()
      .nullable()
      .default(1e-8)
      .describe("Adam ε of the posterior group (μ, ρ); null = ppo.adamEps. Gradients on ρ are ~1e-6–1e-5 per weight: with ε = 1e-5 Adam would damp them like SGD with step lr·g/ε (README, 'gradient scale')."),
  })
  .strict();

/**
 * Running normalisation (CleanRL's NormalizeObservation / NormalizeReward wrappers). Default
 * `per-task`: each task keeps its own statistics, since task dynamics differ in scale (a long heavy
 * pole swings differently from a short light one); `shared` pools all tasks; `none` turns it off.
 */
export const normalisationConfigSchema = z
  .object({
    observation: z.enum(['per-task', 'shared', 'none']).default('per-task').describe('Running observation normalisation.'),
    reward: z.enum(['per-task', 'shared', 'none']).default('per-task').describe('Reward scaling by the running std of the discounted return.'),
    clipObservation: z.number().positive().default(10).describe('Clip normalised observations to ±this.'),
    clipReward: z.number().positive().default(10).describe('Clip scaled rewards to ±this.'),
  })
  .strict();

/** Periodic deterministic evaluation. */
export const evalConfigSchema = z
  .object({
    interval: z.number().int().positive().default(10).describe('Evaluate every this many PPO updates (and after the last).'),
    episodes: z.number().int().min(1).default(10).describe('Episodes per task per evaluation (spec: enough episodes; ≥ 10 by default).'),
    deterministic: z.boolean().default(true).describe('Greedy actions (argmax / Gaussian mean) in evaluation.'),
  })
  .strict();

/** Everything rl-ppo needs besides the suite, the controller config and the seed. */
export const trainingConfigSchema = z
  .object({
    ppo: ppoHyperparamsSchema.default(ppoHyperparamsSchema.parse({})),
    kl: klConfigSchema.default(klConfigSchema.parse({})),
    optimizer: optimizerConfigSchema.default(optimizerConfigSchema.parse({})),
    normalisation: normalisationConfigSchema.default(normalisationConfigSchema.parse({})),
    network: networkConfigSchema.default(networkConfigSchema.parse({})),
    weights: weightModesConfigSchema.default(weightModesConfigSchema.parse({})),
    eval: evalConfigSchema.default(evalConfigSchema.parse({})),
    envsPerTask: z.number().int().positive().default(4).describe('Env copies per task in the training vector env (num_envs = tasks × this).'),
  })
  .strict();

export type PpoHyperparams = z.infer<typeof ppoHyperparamsSchema>;
export type KlConfig = z.infer<typeof klConfigSchema>;
export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;
export type NormalisationConfig = z.infer<typeof normalisationConfigSchema>;
export type EvalConfig = z.infer<typeof evalConfigSchema>;
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;

/**
 * The widest hidden layer from which `PPOTrainer.create({ threads })` splits kernel calls over the
 * threads. Narrower networks' products stay below the split threshold, while the shared memory that
 * helper threads need makes every operand copy slower (+5–10 % on a cartpole-mt update, measured):
 * they keep one kernel thread. At 400 wide (arm-mt10) the update measured 0.98–1.14× with two
 * kernel threads on this 2-vCPU machine (`tools/bench/kernel-threads-ab.ts`, profile-update.ts; the
 * products gain, the copies on the shared memory lose most of it again).
 */
export const KERNEL_THREADS_MIN_WIDTH = 256;
