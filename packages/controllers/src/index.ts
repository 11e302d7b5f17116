/**
 * @varshare/controllers — KL weight β(t) and prior scale σ_prior controllers for the VarShare KL/prior
 * experiments pack (baseline and experiments 1–5), on plain numbers. Pure functions with serialisable
 * state; the PPO package feeds signals in and uses the outputs.
 */

// Options (zod schemas with defaults) and their types.
export {
  AnnealBetaSchema,
  BetaSourceSchema,
  DEFAULT_BASELINE_SIGMA_PRIOR,
  DEFAULT_BETA1,
  DEFAULT_BETA_MAX_FACTOR,
  DEFAULT_BETA_MIN_FACTOR,
  FixedBetaSchema,
  FixedPriorSchema,
  formatConfigIssues,
  KlPriorControllerConfigSchema,
  LearnedPriorSchema,
  LossGapPriorSchema,
  parseControllerConfig,
  PriorSourceSchema,
  RatioBetaSchema,
} from './config';
export type {
  AnnealBetaConfig,
  BetaSourceConfig,
  FixedBetaConfig,
  FixedPriorConfig,
  KlPriorControllerConfig,
  KlPriorControllerConfigInput,
  LearnedPriorConfig,
  LossGapPriorConfig,
  PriorSourceConfig,
  RatioBetaConfig,
} from './config';

// One function per spec quantity.
export { betaSchedule } from './betaSchedule';
export type { BetaScheduleParams } from './betaSchedule';
export { median, medianAbsoluteDeviation } from '@varshare/base';
export { noiseToWeightRatio } from '@varshare/base';
export { initRatioControllerState, isRatioDecisionUpdate, ratioControllerUpdate } from './ratioControllerUpdate';
export type { RatioControllerOutput, RatioControllerSignal, RatioControllerState } from './ratioControllerUpdate';
export {
  initLossGapPriorState,
  isLossGapMetaUpdate,
  lossGapPriorSigma,
  lossGapZScores,
  priorSigmaFromZ,
  sigmoid,
} from './lossGapPriorSigma';
export type { LossGapPriorOutput, LossGapPriorState, LossGapSignal } from './lossGapPriorSigma';
export { hyperpriorPenalty } from './hyperpriorPenalty';

// The composed β × σ_prior controller.
export { createKlPriorController } from './createKlPriorController';
export type { ControllerSignals, KlPriorController, KlPriorControllerOptions } from './createKlPriorController';
// σ_prior of an update is owned by @varshare/base (core builds SigmaPrior from it); kept here for rl-ppo.
export type { SigmaPriorSpec } from '@varshare/base';
export { ControllerStateSchema } from './controllerState';
export type { AppliedValues, BetaSourceState, ControllerState, PriorSourceState } from './controllerState';

// Variants as data.
export {
  composeVariants,
  listVariants,
  mergeControllerPatches,
  resolveVariant,
  VARIANT_PRESETS,
  VariantPresetSchema,
} from './variants';
export type { BuiltinVariantName, ResolvedVariant, SourcePatch, UserPresets, VariantPreset } from './variants';
