/**
 * @varshare/rl-ppo — multi-task PPO (CleanRL's algorithm) with VarShare actor and critic, the KL
 * term under controller-supplied β and σ_prior, exact checkpoint/resume.
 */
export { PPOTrainer, NonFiniteLossError } from './ppoTrainer';
export type { ActingMode, Checkpoint, CheckpointJson, PPOTrainerOptions, UpdateResult } from './ppoTrainer';
export { MultiTaskAgent } from './agent';
export type { ActionSpec, AgentOptions, ParamGroup } from './agent';
export { Adam, adamStepConstants, adamStepReference } from './adam';
export type { AdamStepConstants } from './adam';
export { bootstrapTruncated, computeGae, truncatedRows } from './gae';
export type { GaeInput, GaeOutput } from './gae';
export { ObservationNormalizer, RewardScaler, RunningMeanStd, groupRows } from './runningStats';
export type { NormGrouping, RewardScalerState, RunningMeanStdState } from './runningStats';
export { categoricalLogProbEntropy, gaussianLogProbEntropy, sampleCategorical, sampleGaussian } from './distributions';
export { CheckpointFormatError, saveCheckpoint, loadCheckpoint } from './checkpointFile';
export type { CheckpointFile } from './checkpointFile';
export {
  evalConfigSchema,
  klConfigSchema,
  normalisationConfigSchema,
  optimizerConfigSchema,
  ppoHyperparamsSchema,
  trainingConfigSchema,
} from './config';
export type { EvalConfig, KlConfig, NormalisationConfig, OptimizerConfig, PpoHyperparams, TrainingConfig } from './config';
