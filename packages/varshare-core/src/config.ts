import { z } from 'zod';

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
      .default(1e-3)
      .describe('Initial posterior σ = softplus(ρ₀); below every σ_prior the experiments use (0.01 … 1).'),
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
