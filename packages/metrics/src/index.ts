/**
 * `@varshare/metrics` — run directories (config/metrics/eval/summary/TensorBoard files), metric key
 * names (re-exported from `@varshare/base`), crash-safe JSONL and atomic writes, and rliable-style
 * statistics for the report. A leaf package: no `@varshare/*` import but `@varshare/base`, no TensorFlow.
 */

// Options
export { MetricsConfigSchema } from './config';
export type { MetricsConfig } from './config';

// Metric keys (CONTRACTS.md "Metric keys"): owned by @varshare/base (controllers write keys too and
// cannot import this package); re-exported so `@varshare/metrics` keeps naming every key.
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
} from '@varshare/base';
export type { GradGroup, MetricFamily, MetricKeyParts } from '@varshare/base';

// JSONL
export {
  JsonlWriter,
  JsonlCorruptError,
  readJsonl,
  truncateTornTail,
  truncateAfter,
  truncateAfterUpdate,
  serializeRecord,
  stringifyJson,
  parseJson,
} from './jsonl';
export type { JsonValue, JsonRecord, JsonlWriterOptions, JsonlReadResult, JsonlTruncateResult } from './jsonl';

// Atomic writes
export { writeFileAtomic, writeJsonAtomic, atomicTempPath, isAtomicTempFile, removeAtomicTempFiles, ATOMIC_TEMP_MARKER } from './atomicWrite';
export type { AtomicWriteOptions } from './atomicWrite';

// One writer per run directory
export { RUN_LOCK_FILE, RunLockedError, acquireRunLock, readRunLock, lockHolderState, isLockTempFile } from './runLock';
export type { RunLock, RunLockHolder } from './runLock';

// Run directory
export {
  CONFIG_FILE,
  METRICS_FILE,
  EVAL_FILE,
  SUMMARY_FILE,
  CHECKPOINTS_DIR,
  TFEVENTS_PREFIX,
  runDirPath,
  runFiles,
  seedDirName,
  encodeSuiteDirName,
  decodeSuiteDirName,
  RunMetaSchema,
  RunConfigSchema,
  RunStatusSchema,
  RunSummarySchema,
  writeSummary,
  readRunDir,
  findRunDirs,
  readRunDirs,
} from './runDir';
export type {
  RunFiles,
  RunMeta,
  RunConfig,
  RunStatus,
  RunSummary,
  MetricRecord,
  RunData,
  RunDirResult,
  ReadRunDirOptions,
  RunDirEntry,
  RunDirsResult,
} from './runDir';

// TensorBoard
export {
  TensorBoardWriter,
  crc32c,
  maskedCrc32c,
  frameRecord,
  encodeFileVersionEvent,
  encodeScalarsEvent,
  encodeSessionStartEvent,
  EVENT_FILE_VERSION,
} from './tensorboard';
export type { TensorBoardWriterOptions } from './tensorboard';

// Randomness: the generator the bootstrap takes (owned by @varshare/base)
export { Rng } from '@varshare/base';

// Statistics
export {
  mean,
  quantile,
  trimMean,
  iqm,
  aggregateMean,
  aggregateMedian,
  aggregateIqm,
  aggregateOptimalityGap,
  stratifiedBootstrapCI,
  bootstrapCI,
  probabilityOfImprovement,
  probabilityOfImprovementCI,
  pairedProbabilityOfImprovement,
  pairedProbabilityOfImprovementCI,
  scoreFractionAbove,
  performanceProfile,
  pairedDeltas,
} from './stats';
export type {
  ScoreMatrix,
  AggregateStatistic,
  ConfidenceInterval,
  BootstrapOptions,
  ProfilePoint,
  PairedDelta,
  PairedDeltas,
} from './stats';
