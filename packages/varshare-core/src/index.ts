/**
 * @varshare/core — posterior, prior and KL math and VarShare layers on TensorFlow.js.
 *
 * ```ts
 * import { tf, initBackend, gaussianKl, VarShareDense } from '@varshare/core';
 * await initBackend();
 * const layer = new VarShareDense({ inputDim: 4, outputDim: 8, numTasks: 3, seed: 1 });
 * const y = layer.apply(x, taskIds, { weights: 'mean' });
 * ```
 */
export { tf, initBackend, registerFastBatchMatMulGrad, registerSharingWasmKernels } from './backend';
export type { BackendName } from './backend';
export { Rng, deriveSeed, tfSeed } from './rng';
export type { RngState } from './rng';
export { orthogonalInit } from './orthogonal';
export { gaussianKl, stopGradient } from './gaussianKl';
export type { GaussianKlOptions, SigmaPriorValue } from './gaussianKl';
export { SigmaPrior } from './sigmaPrior';
export type { SigmaPriorState } from './sigmaPrior';
export { TaskRouting } from './taskRouting';
export { VarShareDense, inverseSoftplus } from './varShareDense';
export type { ApplyOptions, NamedArrays, NoiseSpec, ResidualSpec, VarShareDenseOptions, WeightMode } from './varShareDense';
export { VarShareMLP, MLPSnapshot, createSharedMLP, freezeNoise } from './varShareMlp';
export type { Activation, MLPApplyOptions, SamplingScope, VarShareMLPOptions } from './varShareMlp';
export { posteriorDiagnostics, klBreakdown } from './diagnostics';
export type { KlBreakdown, LayerDiagnostics, ModelDiagnostics, PosteriorStats } from './diagnostics';
export { median } from '@varshare/base';
export { hotOps, readValues, kernelStats, resetKernelStats, setKernelThreads, withGradientSink } from './ops/hotOps';
export type { AdamMemory, DenseLayerParams, DenseOptions, GradientSink, HotOps, HotOpsName, KernelStats, KlPrior, PosteriorMedianQuery, PosteriorParts } from './ops/hotOps';
export { posteriorSigma } from './posteriorSigma';
export { effectiveWeights, sampledResidual } from './effectiveWeights';
export { denseLayer } from './denseLayer';
export type { LayerActivation } from './denseLayer';
export { adamStepConstants, adamStepReference } from './adamStep';
export type { AdamArray, AddedSums, AdamStepConstants } from './adamStep';
export { DEFAULT_SIGMA_INIT, networkConfigSchema, weightModesConfigSchema } from './config';
export type { NetworkConfig, WeightModesConfig } from './config';
