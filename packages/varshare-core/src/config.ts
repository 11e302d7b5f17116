import { z } from 'zod';

/**
 * Initial posterior σ = softplus(ρ₀) of every residual weight. 0.02 is ~15 % of the median |θ| of a
 * 64-wide orthogonal init (R ≈ 0.18, inside exp3's band [0.05, 0.2]): large enough that the KL's and
 * PPO's gradients on ρ are well above Adam's ε (σ' = sigmoid(ρ) ≈ σ scales both), so σ moves within
 * a run — at 1e-3 it stayed within 1 % of its start in every variant (README, "gradient scale").
 */
export const DEFAULT_SIGMA_INIT = 0.02;

/** Network architecture and posterior options, identical for every variant (spec: general requirements). */
export const networkConfigSchema = z
  .object({
    hiddenSizes: z.array(z.number().int().positive()).min(1).default([64, 64]).describe('Hidden layer widths of actor and critic.'),
    activation: z.enum(['tanh', 'relu']).default('tanh').describe('Hidden activation (CleanRL PPO: tanh).'),
    hiddenGain: z.number().positive().default(Math.SQRT2).describe('Orthogonal-init gain of hidden layers.'),
    actorOutputGain: z.number().positive().default(0.01).describe('Orthogonal-init gain of the actor output layer (CleanRL: 0.01).'),
    criticOutputGain: z.number().positive().default(1).describe('Orthogonal-init gain of the critic output layer (CleanRL: 1.0).'),
    residual: z
      .enum(['full', 'low-rank', 'none'])
      .default('full')
      .describe("Per-task residual φ_m: 'full' (in×out), 'low-rank' (A_m B_m), 'none' (plain shared MLP, no KL)."),
    rank: z.number().int().positive().default(4).describe("Rank r of the residual when residual = 'low-rank'."),
    sigmaInit: z
      .number()
      .positive()
      .default(DEFAULT_SIGMA_INIT)
      .describe('Initial posterior σ = softplus(ρ₀); 0.02 ≈ 15% of the median |θ| at init (R inside exp3\'s band), above exp1\'s σ_prior 0.01 and below the others.'),
  })
  .strict();

/** Options of {@link networkConfigSchema} after defaults. */
export type NetworkConfig = z.infer<typeof networkConfigSchema>;

/**
 * Which weights act and train (spec: "clearly separate rollout-time and training-time behaviour").
 * Defaults: rollouts and updates both use sampled weights with noise frozen per rollout segment, so
 * the PPO ratio compares the same weights; evaluation uses posterior means.
 */
export const weightModesConfigSchema = z
  .object({
    rollout: z.enum(['mean', 'sample']).default('sample').describe('Weights used to act during rollout collection.'),
    train: z.enum(['mean', 'sample']).default('sample').describe('Weights used in the PPO loss during updates.'),
    noise: z
      .enum(['frozen', 'local'])
      .default('frozen')
      .describe("Noise of 'sample': 'frozen' = one ε per task per rollout segment, reused in its update; 'local' = fresh per forward (local reparameterisation)."),
    samplingScope: z
      .enum(['full-residual', 'adapters-only'])
      .default('full-residual')
      .describe("Layers that sample: every residual layer, or only low-rank adapter layers ('adapters-only' needs residual = 'low-rank')."),
    eval: z.enum(['mean', 'sample']).default('mean').describe('Weights used in evaluation (spec: posterior means).'),
  })
  .strict();

/** Options of {@link weightModesConfigSchema} after defaults. */
export type WeightModesConfig = z.infer<typeof weightModesConfigSchema>;
