/**
 * @varshare/rl-ppo — multi-task PPO (CleanRL's algorithm) with VarShare actor and critic, the KL
 * term under controller-supplied β and σ_prior, exact checkpoint/resume.
 */
export { PPOTrainer, NonFiniteLossError, KERNEL_THREADS_MIN_WIDTH } from './ppoTrainer';
export type { ActingMode, Checkpoint, CheckpointJson, PPOTrainerOptions, UpdateResult } from './ppoTrainer';
// The phases of one update, in order (ppoTrainer.ts wires them):
export { collectRollout } from './rollout';
export type { EnvCursor, RolloutBatch, RolloutContext } from './rollout';
export { MinibatchDealer } from './minibatches';
export { fusedPpoLoss, ppoLoss, ppoLossValues } from './ppoLoss';
export type { FusedLossOutputs, LossArrays, LossBatch, LossConfig, LossParts, PolicyOutputs, PpoLossGradients, PpoLossStats } from './ppoLoss';
export { hyperpriorPenaltyTensor, klRegulariser, klRegulariserWithoutTape } from './regulariser';
export type { LearnedPriorSettings } from './regulariser';
export { explainedVariance, optimiseEpochs } from './optimisation';
export type { OptimiseContext, OptimiseResult, TrainingBatch } from './optimisation';
export { criticLossGap } from './lossGap';
export type { CriticLossGap } from './lossGap';
export { evaluatePolicy } from './evaluation';
export type { EvaluationContext } from './evaluation';
export { EpisodeWindows } from './episodeWindows';
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
