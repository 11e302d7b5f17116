import {
  Rng,
  TaskRouting,
  deriveSeed,
  klBreakdown,
  posteriorDiagnostics,
  tensorValues,
  tf,
  type MLPApplyOptions,
  type MLPSnapshot,
  type NamedArrays,
  type RngState,
  type SigmaPriorState,
} from '@varshare/core';
import {
  createKlPriorController,
  hyperpriorPenalty as hyperpriorPenaltyValue,
  type ControllerState,
  type KlPriorController,
  type KlPriorControllerConfig,
  type SigmaPriorSpec,
} from '@varshare/controllers';
import { createSuite, prepareSuite, type SuiteOptionsInput, type VectorEnv } from '@varshare/envs';
import * as M from '@varshare/metrics';
import { Adam } from './adam';
import { MultiTaskAgent, type ActionSpec, type ParamGroup } from './agent';
import type { TrainingConfig } from './config';
import { categoricalLogProbEntropy, gaussianLogProbEntropy, sampleCategorical, sampleGaussian } from './distributions';
import { bootstrapTruncated, computeGae, truncatedRows } from './gae';
import { ObservationNormalizer, RewardScaler, groupRows, type RewardScalerState, type RunningMeanStdState } from './runningStats';

/** Fisher–Yates shuffle with the run's generator. */
function shuffleInPlace(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
}

/**
 * Options of {@link PPOTrainer}. Suites that load a WASM module (arm-mt10) must be prepared first:
 * `await prepareSuite(suite)` from `@varshare/envs`, or use {@link PPOTrainer.create}.
 */
export interface PPOTrainerOptions {
  /** Parsed training config (see `trainingConfigSchema`). */
  readonly config: TrainingConfig;
  /** Resolved controller config (β source × σ_prior source) of the variant. */
  readonly controller: KlPriorControllerConfig;
  /** Suite name (`cartpole-mt`, …) and its options (continuous, maxEpisodeSteps, taskSampling). */
  readonly suite: string;
  readonly suiteOptions?: Omit<SuiteOptionsInput, 'seed' | 'rowsPerTask'>;
  readonly seed: number;
  /** Total env steps of the run; T = floor(totalSteps / (numEnvs × numSteps)) PPO updates. */
  readonly totalSteps: number;
}

/** One row of `metrics.jsonl` (and optionally `eval.jsonl`) per PPO update. */
export interface UpdateResult {
  readonly metrics: Record<string, number>;
  readonly eval: Record<string, number> | null;
}

/** What acts and trains (logged in `config.json` meta and checked by the report). */
export interface ActingMode {
  readonly rolloutWeights: 'mean' | 'sample';
  readonly trainWeights: 'mean' | 'sample';
  readonly noise: 'frozen' | 'local';
  readonly samplingScope: 'full-residual' | 'adapters-only';
  readonly evalWeights: 'mean' | 'sample';
  readonly network: 'varshare' | 'shared-mlp';
}

/** Everything needed to continue a run exactly: JSON part plus float32 arrays. */
export interface Checkpoint {
  readonly json: CheckpointJson;
  readonly arrays: NamedArrays;
}

/** JSON part of a {@link Checkpoint}. */
export interface CheckpointJson {
  readonly format: 'varshare-ppo-checkpoint/1';
  readonly update: number;
  readonly envSteps: number;
  readonly rng: RngState;
  readonly env: unknown;
  readonly obsNorm: RunningMeanStdState[];
  readonly rewardScaler: RewardScalerState;
  readonly controller: ControllerState;
  readonly sigmaPrior: SigmaPriorState;
  readonly adamSteps: Record<ParamGroup, number>;
  readonly episodeWindows: { returns: number[][]; successes: number[][] };
  readonly evalCount: number;
}

/** Parameter groups of the KL-pressure diagnostics (`grad/{ppo,kl}_norm/<group>`). */
const PRESSURE_GROUPS = ['theta', 'mu', 'rho', 'prior'] as const;
type PressureGroup = (typeof PRESSURE_GROUPS)[number];
/** Posterior parameter names are `<layer>/mu<k>` and `<layer>/rho<k>` (see MultiTaskAgent.parameterGroups). */
const isMu = (name: string): boolean => /\/mu\d+$/.test(name);
const isRho = (name: string): boolean => /\/rho\d+$/.test(name);
/** Entries of ρ sampled (fixed stride) for the median |Δρ| of each optimizer step. */
const RHO_STEP_SAMPLES = 8192;

/** Finished episodes kept per task for the `train/*` metrics. */
const EPISODE_WINDOW = 10;

/** A loss that is NaN or infinite: training stops with this error and the last checkpoint stays. */
export class NonFiniteLossError extends Error {}

/**
 * Multi-task PPO (CleanRL's loop) with VarShare actor and critic. One {@link PPOTrainer.runUpdate}
 * call is one PPO update: anneal lr → controller decides β, σ_prior → roll out → bootstrap → GAE →
 * epochs of shuffled mixed-task minibatches → diagnostics → controller signals → log → evaluate.
 * Every random draw comes from generators seeded by the run seed.
 */
export class PPOTrainer {
  readonly config: TrainingConfig;
  readonly env: VectorEnv;
  readonly agent: MultiTaskAgent;
  readonly controller: KlPriorController;
  readonly taskNames: readonly string[];
  readonly numEnvs: number;
  readonly totalUpdates: number;
  readonly batchSize: number;
  readonly minibatchSize: number;
  readonly obsDim: number;
  private readonly action: ActionSpec;
  private readonly actLow: Float32Array | null;
  private readonly actHigh: Float32Array | null;
  private readonly options: PPOTrainerOptions;
  private readonly rng: Rng;
  private readonly obsNorm: ObservationNormalizer;
  private readonly rewardScaler: RewardScaler;
  private readonly optimizers: Record<ParamGroup, Adam>;
  private controllerState: ControllerState;
  private obs: Float32Array;
  private taskIds: Int32Array;
  private update = 0;
  private envSteps = 0;
  private evalCount = 0;
  private episodeReturns: number[][];
  private episodeSuccesses: number[][];

  constructor(options: PPOTrainerOptions) {
    const { config, seed } = options;
    this.options = options;
    this.config = config;
    this.rng = new Rng(deriveSeed(seed, 11));
    this.env = createSuite(options.suite, { ...options.suiteOptions, seed: deriveSeed(seed, 12), rowsPerTask: config.envsPerTask });
    this.taskNames = this.env.taskNames;
    this.numEnvs = this.env.numRows;
    const numTasks = this.env.numTasks;
    this.batchSize = this.numEnvs * config.ppo.numSteps;
    this.minibatchSize = Math.floor(this.batchSize / config.ppo.numMinibatches);
    if (this.minibatchSize < 1) throw new Error(`ppo.numMinibatches (${config.ppo.numMinibatches}) exceeds the batch size ${this.batchSize}`);
    this.totalUpdates = Math.floor(options.totalSteps / this.batchSize);
    if (this.totalUpdates < 1) {
      throw new Error(`steps (${options.totalSteps}) is smaller than one PPO batch (${this.numEnvs} envs × ${config.ppo.numSteps} steps = ${this.batchSize})`);
    }
    if (config.weights.samplingScope === 'adapters-only' && config.network.residual !== 'low-rank') {
      throw new Error("weights.samplingScope 'adapters-only' needs network.residual 'low-rank' (there are no adapters to sample)");
    }
    const space = this.env.singleActionSpace;
    this.action = space.kind === 'discrete' ? { kind: 'discrete', n: space.n } : { kind: 'continuous', dim: space.shape.reduce((a, b) => a * b, 1) };
    this.actLow = space.kind === 'box' ? space.low : null;
    this.actHigh = space.kind === 'box' ? space.high : null;
    this.obsDim = this.env.observationSize;
    const layerNames = ['actor', 'critic'].flatMap((n) => Array.from({ length: config.network.hiddenSizes.length + 1 }, (_, i) => `${n}.${i}`));
    this.controller = createKlPriorController(options.controller, { numTasks, taskNames: this.taskNames, layerNames, totalUpdates: this.totalUpdates });
    this.controllerState = this.controller.init();
    const first = this.controller.beforeUpdate(this.controllerState, 0);
    this.agent = new MultiTaskAgent({ obsDim: this.obsDim, action: this.action, numTasks, network: config.network, sigmaPrior: first.sigmaPrior, seed });
    const groups = this.agent.parameterGroups();
    const eps = config.ppo.adamEps;
    const opt = config.optimizer;
    // ρ may step faster than μ within the posterior group (optimizer.rhoLrScale).
    const rhoScales = new Map([...groups.posterior.keys()].filter(isRho).map((name) => [name, opt.rhoLrScale] as const));
    this.optimizers = {
      theta: new Adam(groups.theta, 0.9, 0.999, eps),
      posterior: new Adam(groups.posterior, 0.9, 0.999, opt.posteriorAdamEps ?? eps, rhoScales),
      prior: new Adam(groups.prior, 0.9, 0.999, eps),
    };
    this.obsNorm = new ObservationNormalizer(config.normalisation.observation, this.obsDim, numTasks, config.normalisation.clipObservation);
    this.rewardScaler = new RewardScaler(config.normalisation.reward, this.numEnvs, numTasks, config.ppo.gamma, config.normalisation.clipReward);
    const reset = this.env.reset();
    this.obs = Float32Array.from(reset.observations);
    this.taskIds = Int32Array.from(reset.taskIds);
    this.episodeReturns = this.taskNames.map(() => []);
    this.episodeSuccesses = this.taskNames.map(() => []);
  }

  /** Prepares the suite (e.g. loads MuJoCo for arm-mt10), then constructs the trainer. */
  static async create(options: PPOTrainerOptions): Promise<PPOTrainer> {
    await prepareSuite(options.suite);
    return new PPOTrainer(options);
  }

  /** Completed PPO updates. */
  get completedUpdates(): number {
    return this.update;
  }

  /** Env steps taken so far. */
  get envStepCount(): number {
    return this.envSteps;
  }

  /** Whether all T updates are done. */
  get done(): boolean {
    return this.update >= this.totalUpdates;
  }

  /** Rollout/training/evaluation weight modes (spec: log the acting mode). */
  actingMode(): ActingMode {
    const w = this.config.weights;
    return {
      rolloutWeights: w.rollout,
      trainWeights: w.train,
      noise: w.noise,
      samplingScope: w.samplingScope,
      evalWeights: w.eval,
      network: this.config.network.residual === 'none' ? 'shared-mlp' : 'varshare',
    };
  }

  /** Learning rate of update `t` (0-based) before group scales: CleanRL's linear annealing. */
  learningRateAt(t: number): number {
    const { learningRate, annealLr } = this.config.ppo;
    return annealLr ? (1 - t / this.totalUpdates) * learningRate : learningRate;
  }

  // ---------------------------------------------------------------- one PPO update
  /** Runs PPO update number `completedUpdates` and returns its log rows. */
  runUpdate(): UpdateResult {
    if (this.done) throw new Error(`all ${this.totalUpdates} updates are done`);
    const t = this.update;
    const started = performance.now();
    const cfg = this.config;
    const lr = this.learningRateAt(t);

    // --- controller: β and σ_prior for this update (decided from the state after update t−1)
    const { beta, sigmaPrior } = this.controller.beforeUpdate(this.controllerState, t);
    this.applySigmaPrior(sigmaPrior);

    // --- rollout
    const segmentSeed = this.rng.nextSeed();
    const rolloutStart = performance.now();
    const batch = this.collectRollout(segmentSeed);
    const rolloutSeconds = (performance.now() - rolloutStart) / 1000;

    // --- GAE (truncation already bootstrapped into the rewards)
    const { advantages, returns } = computeGae({
      rewards: batch.rewards,
      values: batch.values,
      episodeEnds: batch.episodeEnds,
      lastValues: batch.lastValues,
      numSteps: cfg.ppo.numSteps,
      numEnvs: this.numEnvs,
      gamma: cfg.ppo.gamma,
      lambda: cfg.ppo.gaeLambda,
    });

    // --- exp4's diagnostic batch: the fresh rollout, before the epochs train on it (out of sample)
    const lossGap = this.controller.wantsLossGap(this.controllerState, t) ? this.criticLossGap(batch.obs, returns, batch.taskIds) : null;

    // --- update epochs
    const updateStart = performance.now();
    const losses = this.optimise({ ...batch, advantages, returns }, beta, lr, segmentSeed);
    const updateSeconds = (performance.now() - updateStart) / 1000;

    // --- diagnostics and controller signals
    const residual = this.config.network.residual !== 'none';
    const diag = residual ? posteriorDiagnostics([this.agent.actor, this.agent.critic]) : null;
    this.controllerState = this.controller.afterUpdate(this.controllerState, {
      update: t,
      ...(diag ? { rRaw: diag.ratioR } : {}),
      ...(lossGap ? { lShared: lossGap.lShared, lAdapt: lossGap.lAdapt } : {}),
    });
    this.update += 1;

    // --- log
    const metrics: Record<string, number> = {};
    metrics[M.UPDATE] = this.update;
    metrics[M.ENV_STEPS] = this.envSteps;
    metrics[M.WALL_S] = 0; // filled by the caller that owns the run clock
    Object.assign(metrics, this.trainEpisodeMetrics());
    Object.assign(metrics, losses);
    metrics[M.CHARTS_LEARNING_RATE] = lr;
    metrics[M.CHARTS_SPS] = this.batchSize / ((performance.now() - started) / 1000);
    metrics['charts/rollout_s'] = rolloutSeconds;
    metrics['charts/update_s'] = updateSeconds;
    if (diag) Object.assign(metrics, this.varshareMetrics(diag));
    Object.assign(metrics, this.controller.logs(this.controllerState, t));
    Object.assign(metrics, this.learnedPriorMetrics());

    // --- evaluate
    const evaluate = this.update % cfg.eval.interval === 0 || this.done;
    const evalRow = evaluate ? this.evaluate() : null;
    return { metrics, eval: evalRow };
  }

  private applySigmaPrior(spec: SigmaPriorSpec): void {
    if (spec.kind === 'global') this.agent.sigmaPrior.setGlobal(spec.value);
    else if (spec.kind === 'per-task') this.agent.sigmaPrior.setPerTask(spec.values);
    // learned: the variables live in the agent and move by gradient only.
  }

  private weightOptions(mode: 'mean' | 'sample', seed: number): MLPApplyOptions {
    const w = this.config.weights;
    return mode === 'mean' ? { weights: 'mean' } : { weights: 'sample', noise: { kind: w.noise, seed }, samplingScope: w.samplingScope };
  }

  // ---------------------------------------------------------------- rollout
  private collectRollout(segmentSeed: number) {
    const { numSteps } = this.config.ppo;
    const N = this.numEnvs;
    const D = this.obsDim;
    const actDim = this.action.kind === 'discrete' ? 1 : this.action.dim;
    const obsBuf = new Float32Array(numSteps * N * D);
    const taskBuf = new Int32Array(numSteps * N);
    const actBuf = new Float32Array(numSteps * N * actDim);
    const logpBuf = new Float32Array(numSteps * N);
    const valBuf = new Float32Array(numSteps * N);
    const rewBuf = new Float32Array(numSteps * N);
    const endBuf = new Uint8Array(numSteps * N);
    const mode = this.config.weights.rollout;
    const frozen = mode === 'mean' || this.config.weights.noise === 'frozen';
    const opts = this.weightOptions(mode, segmentSeed);
    // One snapshot of the effective weights per segment: acting costs one matmul per layer.
    const snaps: [MLPSnapshot, MLPSnapshot] | null = frozen ? [this.agent.actor.snapshot(opts), this.agent.critic.snapshot(opts)] : null;
    try {
      for (let step = 0; step < numSteps; step++) {
        const ids = this.taskIds;
        const obsN = this.obsNorm.normalize(this.obs, ids, true);
        obsBuf.set(obsN, step * N * D);
        taskBuf.set(ids, step * N);
        const localSeed = frozen ? 0 : this.rng.nextSeed();
        const { head, values } = this.forward(obsN, ids, snaps, opts, localSeed);
        valBuf.set(values, step * N);
        const { envActions, stored, logProbs } = this.selectActions(head, ids, false);
        actBuf.set(stored, step * N * actDim);
        logpBuf.set(logProbs, step * N);

        const res = this.env.step(envActions);
        this.envSteps += N;
        const ends = new Uint8Array(N);
        for (let i = 0; i < N; i++) ends[i] = (res.terminated[i] as number) | (res.truncated[i] as number);
        const scaled = this.rewardScaler.scale(res.rewards, ends, ids);
        // Bootstrap on truncation (not on termination): r_t += γ V(s_final).
        const truncRows = truncatedRows(res.truncated);
        if (truncRows.length > 0) {
          const finalObs = new Float32Array(truncRows.length * D);
          const finalIds = new Int32Array(truncRows.length);
          truncRows.forEach((row, k) => {
            finalObs.set(res.finalObservations.subarray(row * D, (row + 1) * D), k * D);
            finalIds[k] = ids[row] as number;
          });
          const finalN = this.obsNorm.normalize(finalObs, finalIds, false);
          const v = this.forward(finalN, finalIds, snaps, opts, frozen ? 0 : this.rng.nextSeed(), true).values;
          bootstrapTruncated(scaled, truncRows, v, this.config.ppo.gamma);
        }
        rewBuf.set(scaled, step * N);
        endBuf.set(ends, step * N);
        for (const ep of res.episodes) this.recordEpisode(ep.taskId, ep.return, ep.success);
        this.obs = Float32Array.from(res.observations);
        this.taskIds = Int32Array.from(res.taskIds);
      }
      const lastN = this.obsNorm.normalize(this.obs, this.taskIds, false);
      const lastValues = this.forward(lastN, this.taskIds, snaps, opts, frozen ? 0 : this.rng.nextSeed(), true).values;
      return { obs: obsBuf, taskIds: taskBuf, actions: actBuf, logProbs: logpBuf, values: valBuf, rewards: rewBuf, episodeEnds: endBuf, lastValues };
    } finally {
      snaps?.forEach((s) => s.dispose());
    }
  }

  /** Batched actor+critic forward for all rows; returns the actor head and the values on the CPU. */
  private forward(
    obs: Float32Array,
    ids: Int32Array,
    snaps: [MLPSnapshot, MLPSnapshot] | null,
    opts: MLPApplyOptions,
    localSeed: number,
    criticOnly = false,
  ): { head: Float32Array; values: Float32Array } {
    const rows = ids.length;
    const routing = new TaskRouting(ids, this.agent.numTasks);
    const outDim = this.action.kind === 'discrete' ? this.action.n : this.action.dim;
    const packed = tf.tidy(() => {
      const x = tf.tensor2d(obs, [rows, this.obsDim]);
      const localOpts = (seed: number): MLPApplyOptions => ({ ...opts, ...(opts.noise ? { noise: { kind: opts.noise.kind, seed } } : {}) });
      const value = snaps ? snaps[1].applyRouted(x, routing) : this.agent.critic.applyRouted(x, routing, localOpts(deriveSeed(localSeed, 1)));
      if (criticOnly) return value;
      const head = snaps ? snaps[0].applyRouted(x, routing) : this.agent.actor.applyRouted(x, routing, localOpts(deriveSeed(localSeed, 0)));
      return tf.concat([head, value], 1);
    });
    const data = packed.dataSync() as Float32Array;
    packed.dispose();
    if (criticOnly) return { head: new Float32Array(0), values: Float32Array.from(data) };
    const head = new Float32Array(rows * outDim);
    const values = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      head.set(data.subarray(r * (outDim + 1), r * (outDim + 1) + outDim), r * outDim);
      values[r] = data[r * (outDim + 1) + outDim] as number;
    }
    return { head, values };
  }

  /** Samples (or greedily picks) actions; continuous actions are stored unclipped and clipped for the env. */
  private selectActions(head: Float32Array, ids: Int32Array, greedy: boolean): { envActions: Int32Array | Float32Array; stored: Float32Array; logProbs: Float32Array } {
    const rows = ids.length;
    if (this.action.kind === 'discrete') {
      const { actions, logProbs } = sampleCategorical(head, rows, this.action.n, this.rng, greedy);
      return { envActions: actions, stored: Float32Array.from(actions), logProbs };
    }
    const d = this.action.dim;
    const logStdAll = (this.agent.logStd as tf.Variable).dataSync() as Float32Array;
    const logStds = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) logStds.set(logStdAll.subarray((ids[r] as number) * d, ((ids[r] as number) + 1) * d), r * d);
    const { actions, logProbs } = sampleGaussian(head, logStds, rows, d, this.rng, greedy);
    const clipped = new Float32Array(actions.length);
    for (let i = 0; i < actions.length; i++) {
      const j = i % d;
      clipped[i] = Math.min(this.actHigh![j] as number, Math.max(this.actLow![j] as number, actions[i] as number));
    }
    return { envActions: clipped, stored: actions, logProbs };
  }

  private recordEpisode(task: number, ret: number, success: boolean): void {
    const r = this.episodeReturns[task] as number[];
    const s = this.episodeSuccesses[task] as number[];
    r.push(ret);
    s.push(success ? 1 : 0);
    if (r.length > EPISODE_WINDOW) r.shift();
    if (s.length > EPISODE_WINDOW) s.shift();
  }

  /** `train/*`: mean over the last episodes of each task (window 10), then over tasks that have any. */
  private trainEpisodeMetrics(): Record<string, number> {
    const out: Record<string, number> = {};
    const retMeans: number[] = [];
    const sucMeans: number[] = [];
    this.taskNames.forEach((name, t) => {
      const r = this.episodeReturns[t] as number[];
      if (r.length === 0) return;
      const s = this.episodeSuccesses[t] as number[];
      const rm = r.reduce((a, b) => a + b, 0) / r.length;
      const sm = s.reduce((a, b) => a + b, 0) / s.length;
      out[M.trainReturnTask(name)] = rm;
      out[M.trainSuccessTask(name)] = sm;
      retMeans.push(rm);
      sucMeans.push(sm);
    });
    if (retMeans.length > 0) {
      out[M.TRAIN_RETURN_MEAN] = retMeans.reduce((a, b) => a + b, 0) / retMeans.length;
      out[M.TRAIN_SUCCESS_RATE] = sucMeans.reduce((a, b) => a + b, 0) / sucMeans.length;
    }
    return out;
  }

  // ---------------------------------------------------------------- optimisation
  private klNormaliser(): number {
    switch (this.config.kl.normalisation) {
      case 'per-weight':
        return Math.max(1, this.agent.numTasks * this.agent.residualWeightsPerTask);
      case 'per-sample':
        return this.batchSize;
      case 'sum':
        return 1;
    }
  }

  /**
   * The PPO part of one minibatch's loss: pg_loss − ent_coef·entropy + vf_coef·v_loss (the KL term
   * is {@link klLoss}, differentiated separately so each term's gradient can be measured).
   * Returns the scalar loss and the logged parts [pg, v, entropy, approx_kl, old_approx_kl, clipfrac].
   */
  private minibatchLoss(
    mb: { obs: tf.Tensor2D; actions: tf.Tensor; oldLogProbs: tf.Tensor1D; advantages: tf.Tensor1D; returns: tf.Tensor1D; oldValues: tf.Tensor1D; routing: TaskRouting },
    opts: MLPApplyOptions,
    localSeed: number,
  ): { loss: tf.Scalar; parts: tf.Tensor1D } {
    const p = this.config.ppo;
    const seeded = (k: number): MLPApplyOptions => (opts.noise?.kind === 'local' ? { ...opts, noise: { kind: 'local', seed: deriveSeed(localSeed, k) } } : opts);
    const head = this.agent.actor.applyRouted(mb.obs, mb.routing, seeded(0));
    let logProb: tf.Tensor1D;
    let entropy: tf.Tensor1D;
    if (this.action.kind === 'discrete') {
      ({ logProb, entropy } = categoricalLogProbEntropy(head, tf.cast(mb.actions, 'int32') as tf.Tensor1D));
    } else {
      // One-hot matmul rather than gather: the gather gradient needs UnsortedSegmentSum, absent on wasm.
      // Built on the CPU: tf.oneHot rejects depth 1 (a single-task suite such as gym:<one id>).
      const T = this.agent.numTasks;
      const rows = new Float32Array(mb.routing.taskIds.length * T);
      mb.routing.taskIds.forEach((t, i) => (rows[i * T + t] = 1));
      const oneHot = tf.tensor2d(rows, [mb.routing.taskIds.length, T]);
      const logStd = tf.matMul(oneHot, this.agent.logStd as unknown as tf.Tensor2D);
      ({ logProb, entropy } = gaussianLogProbEntropy(head, logStd as tf.Tensor2D, mb.actions as tf.Tensor2D));
    }
    const logRatio = tf.sub(logProb, mb.oldLogProbs);
    const ratio = tf.exp(logRatio);
    let adv: tf.Tensor1D = mb.advantages;
    if (p.normAdv) {
      const { mean, variance } = tf.moments(adv);
      // torch .std() is the unbiased estimate; CleanRL divides by (std + 1e-8).
      const n = adv.shape[0];
      const std = tf.sqrt(tf.mul(variance, n > 1 ? n / (n - 1) : 1));
      adv = tf.div(tf.sub(adv, mean), tf.add(std, 1e-8));
    }
    const pg1 = tf.mul(tf.neg(adv), ratio);
    const pg2 = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - p.clipCoef, 1 + p.clipCoef));
    const pgLoss = tf.mean(tf.maximum(pg1, pg2));
    const newValue = tf.reshape(this.agent.critic.applyRouted(mb.obs, mb.routing, seeded(1)), [-1]);
    let vLoss: tf.Tensor;
    if (p.clipVloss) {
      const unclipped = tf.square(tf.sub(newValue, mb.returns));
      const clippedV = tf.add(mb.oldValues, tf.clipByValue(tf.sub(newValue, mb.oldValues), -p.clipCoef, p.clipCoef));
      vLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(clippedV, mb.returns)))));
    } else {
      vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(newValue, mb.returns))));
    }
    const entLoss = tf.mean(entropy);
    const loss = tf.addN([pgLoss, tf.mul(-p.entCoef, entLoss), tf.mul(p.vfCoef, vLoss)]) as tf.Scalar;
    const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
    const oldApproxKl = tf.mean(tf.neg(logRatio));
    const clipfrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), p.clipCoef), 'float32'));
    const parts = tf.stack([pgLoss, vLoss, entLoss, approxKl, oldApproxKl, clipfrac]) as tf.Tensor1D;
    return { loss, parts };
  }

  /**
   * The regulariser part of the loss: β·KL_total/normaliser + hyperprior penalty (it depends on μ, ρ
   * and the learned σ_prior only, not on the minibatch). Returns the scalar and the logged parts
   * [KL_total, hyperprior penalty].
   */
  private klLoss(beta: number): { loss: tf.Scalar; parts: tf.Tensor1D } {
    const klTotal = tf.sum(this.agent.kl());
    const hyper = this.hyperpriorPenaltyTensor();
    const loss = tf.add(tf.mul(beta / this.klNormaliser(), klTotal), hyper) as tf.Scalar;
    return { loss, parts: tf.stack([klTotal, hyper]) as tf.Tensor1D };
  }

  /** λ_hyper · Σ_layers (log σ_prior,layer − log target)² for the learned prior, else 0. */
  private hyperpriorPenaltyTensor(): tf.Scalar {
    const spec = this.controller.config.prior;
    const logs = [...this.agent.sigmaPrior.logSigmaByLayer().values()];
    if (spec.kind !== 'learned' || logs.length === 0) return tf.scalar(0);
    const target = Math.log(spec.target);
    return tf.mul(spec.hyperLambda, tf.addN(logs.map((l) => tf.square(tf.sub(l, target))))) as tf.Scalar;
  }

  private optimise(
    batch: { obs: Float32Array; taskIds: Int32Array; actions: Float32Array; logProbs: Float32Array; values: Float32Array; advantages: Float32Array; returns: Float32Array },
    beta: number,
    lr: number,
    segmentSeed: number,
  ): Record<string, number> {
    const p = this.config.ppo;
    const o = this.config.optimizer;
    const B = this.batchSize;
    const D = this.obsDim;
    const actDim = this.action.kind === 'discrete' ? 1 : this.action.dim;
    const groups = this.agent.parameterGroups();
    const allVars = new Map<string, tf.Variable>([...groups.theta, ...groups.posterior, ...groups.prior]);
    const varList = [...allVars.values()];
    const nameOf = new Map<string, string>([...allVars].map(([stable, v]) => [v.name, stable]));
    const klVars = [...groups.posterior.values(), ...groups.prior.values()];
    const groupOf = (stable: string): ParamGroup => (groups.theta.has(stable) ? 'theta' : groups.posterior.has(stable) ? 'posterior' : 'prior');
    const klNorm = this.klNormaliser();
    const pressure = { ppo: { theta: 0, mu: 0, rho: 0, prior: 0 }, kl: { theta: 0, mu: 0, rho: 0, prior: 0 }, totalNorm: 0, clipped: 0, rhoStep: 0 };
    const opts = this.weightOptions(this.config.weights.train, segmentSeed);
    const sums = new Float64Array(9);
    let count = 0;
    let stopped = false;
    const stratified = p.minibatchSampling === 'stratified-by-task' ? groupRows(batch.taskIds, this.agent.numTasks) : null;
    const perTask = stratified ? Math.floor(this.minibatchSize / this.agent.numTasks) : 0;
    if (stratified && (perTask < 1 || stratified.some((rows) => rows.length !== (stratified[0] as Int32Array).length || rows.length < perTask * Math.floor(B / this.minibatchSize)))) {
      throw new Error("ppo.minibatchSampling 'stratified-by-task' needs every task to hold the same number of rows in the batch (round-robin task sampling) and at least one row per task per minibatch");
    }
    const indices = Int32Array.from({ length: B }, (_, i) => i);
    for (let epoch = 0; epoch < p.updateEpochs && !stopped; epoch++) {
      if (stratified) {
        // Shuffle each task's rows, then deal them: minibatch k takes the k-th slice of every task,
        // task-major, so routing needs no gather and no padding.
        for (const rows of stratified) shuffleInPlace(rows, this.rng);
        let o = 0;
        for (let k = 0; k < Math.floor(B / this.minibatchSize); k++) {
          for (const rows of stratified) {
            indices.set(rows.subarray(k * perTask, (k + 1) * perTask), o);
            o += perTask;
          }
        }
      } else {
        shuffleInPlace(indices, this.rng);
      }
      const mbSize = stratified ? perTask * this.agent.numTasks : this.minibatchSize;
      const dealt = stratified ? mbSize * Math.floor(B / this.minibatchSize) : B;
      for (let start = 0; start + mbSize <= dealt; start += mbSize) {
        const idx = indices.subarray(start, start + mbSize);
        const n = idx.length;
        const obs = new Float32Array(n * D);
        const ids = new Int32Array(n);
        const act = new Float32Array(n * actDim);
        const f = (src: Float32Array) => Float32Array.from(idx, (k) => src[k] as number);
        idx.forEach((k, r) => {
          obs.set(batch.obs.subarray(k * D, (k + 1) * D), r * D);
          act.set(batch.actions.subarray(k * actDim, (k + 1) * actDim), r * actDim);
          ids[r] = batch.taskIds[k] as number;
        });
        const routing = new TaskRouting(ids, this.agent.numTasks);
        const localSeed = this.config.weights.noise === 'local' ? this.rng.nextSeed() : 0;
        const partsT = tf.tidy(() => {
          const mb = {
            obs: tf.tensor2d(obs, [n, D]),
            actions: this.action.kind === 'discrete' ? tf.tensor1d(act) : tf.tensor2d(act, [n, actDim]),
            oldLogProbs: tf.tensor1d(f(batch.logProbs)),
            advantages: tf.tensor1d(f(batch.advantages)),
            returns: tf.tensor1d(f(batch.returns)),
            oldValues: tf.tensor1d(f(batch.values)),
            routing,
          };
          let parts: tf.Tensor1D | null = null;
          const { grads } = tf.variableGrads(() => {
            const r = this.minibatchLoss(mb, opts, localSeed);
            parts = tf.keep(r.parts);
            return r.loss;
          }, varList);
          let klParts: tf.Tensor1D | null = null;
          const klGrads =
            klVars.length > 0
              ? tf.variableGrads(() => {
                  const r = this.klLoss(beta);
                  klParts = tf.keep(r.parts);
                  return r.loss;
                }, klVars).grads
              : {};
          // Global grad-norm clipping over every parameter (CleanRL clip_grad_norm_), fused with
          // Adam: each gradient is copied once into its optimizer, the norm summed there in float64.
          // The PPO and KL gradients are staged one after the other, so each term's norm per
          // parameter group is measured on the way (the KL-pressure diagnostics).
          const opt = this.optimizers;
          for (const [varName, g] of Object.entries(grads)) {
            const stable = nameOf.get(varName) as string;
            opt[groupOf(stable)].stage(stable, tensorValues(g));
          }
          pressure.ppo.theta += Math.sqrt(opt.theta.stagedSumSquares());
          pressure.ppo.mu += Math.sqrt(opt.posterior.stagedSumSquares(isMu));
          pressure.ppo.rho += Math.sqrt(opt.posterior.stagedSumSquares(isRho));
          pressure.ppo.prior += Math.sqrt(opt.prior.stagedSumSquares());
          const klSq = { theta: 0, mu: 0, rho: 0, prior: 0 };
          for (const [varName, g] of Object.entries(klGrads)) {
            const stable = nameOf.get(varName) as string;
            const group = groupOf(stable);
            const sq = opt[group].stageAdd(stable, tensorValues(g));
            klSq[group === 'posterior' ? (isRho(stable) ? 'rho' : 'mu') : group] += sq;
          }
          for (const k of PRESSURE_GROUPS) pressure.kl[k] += Math.sqrt(klSq[k]);
          // The clip norm is the network's (θ, μ, ρ), as CleanRL clips the agent's parameters. A learned
          // σ_prior's gradient sums over every residual weight of its layer (~10⁴ terms): inside the
          // norm it would clip, i.e. slow, the whole network in exp5 only.
          const priorSq = opt.prior.stagedSumSquares();
          const norm = Math.sqrt(opt.theta.stagedSumSquares() + opt.posterior.stagedSumSquares());
          // Never apply a non-finite step: the weights (and so the next checkpoint) stay good.
          if (!Number.isFinite(norm) || !Number.isFinite(priorSq)) {
            for (const o of Object.values(opt)) o.discardStaged();
            throw new NonFiniteLossError(`non-finite gradient norm (${norm}) at update ${this.update + 1}, epoch ${epoch}`);
          }
          const scale = Math.min(1, p.maxGradNorm / (norm + 1e-6));
          pressure.totalNorm += norm;
          if (scale < 1) pressure.clipped += 1;
          opt.theta.applyStaged(lr * o.thetaLrScale, scale);
          opt.posterior.applyStaged(lr * o.posteriorLrScale, scale);
          if (groups.prior.size > 0) opt.prior.applyStaged(lr * this.priorLrScale(), 1);
          const rhoStep = opt.posterior.lastStepAbsMedian(isRho, RHO_STEP_SAMPLES);
          if (Number.isFinite(rhoStep)) pressure.rhoStep += rhoStep;
          return tf.concat([parts as unknown as tf.Tensor1D, klParts ?? tf.zeros([2])]) as tf.Tensor1D;
        });
        const values = partsT.dataSync();
        partsT.dispose();
        // pg − c_ent·entropy + c_vf·v_loss + β·KL_total/normaliser + hyperprior
        const total = (values[0] as number) - p.entCoef * (values[2] as number) + p.vfCoef * (values[1] as number) + (beta * (values[6] as number)) / klNorm + (values[7] as number);
        if (!Number.isFinite(total)) {
          throw new NonFiniteLossError(`non-finite loss (${total}) at update ${this.update + 1}, epoch ${epoch}: policy ${values[0]}, value ${values[1]}, KL ${values[6]}`);
        }
        for (let k = 0; k < 8; k++) sums[k] = (sums[k] as number) + (values[k] as number);
        sums[8] = (sums[8] as number) + total;
        count += 1;
        if (p.targetKl !== null && (values[3] as number) > p.targetKl) {
          stopped = true;
          break;
        }
      }
    }
    const mean = (k: number) => (sums[k] as number) / count;
    let varY = 0;
    let varRes = 0;
    let meanY = 0;
    for (let i = 0; i < B; i++) meanY += batch.returns[i] as number;
    meanY /= B;
    for (let i = 0; i < B; i++) {
      varY += ((batch.returns[i] as number) - meanY) ** 2;
      varRes += ((batch.returns[i] as number) - (batch.values[i] as number)) ** 2;
    }
    const out: Record<string, number> = {
      [M.LOSSES_POLICY_LOSS]: mean(0),
      [M.LOSSES_VALUE_LOSS]: mean(1),
      [M.LOSSES_ENTROPY]: mean(2),
      [M.LOSSES_APPROX_KL]: mean(3),
      'losses/old_approx_kl': mean(4),
      [M.LOSSES_CLIPFRAC]: mean(5),
      [M.LOSSES_EXPLAINED_VARIANCE]: varY === 0 ? Number.NaN : 1 - varRes / varY,
      'losses/kl_term': (beta * mean(6)) / klNorm,
      'losses/total': mean(8),
      'charts/minibatch_updates': count,
    };
    // KL pressure: which term drives each parameter group, averaged over the minibatch steps.
    const sizes = this.groupSizes();
    for (const k of PRESSURE_GROUPS) {
      if (k === 'prior' && sizes.prior === 0) continue;
      const ppoNorm = pressure.ppo[k] / count;
      const klNormK = pressure.kl[k] / count;
      out[M.gradPpoNorm(k)] = ppoNorm;
      out[M.gradKlNorm(k)] = klNormK;
      out[M.gradPpoRms(k)] = sizes[k] > 0 ? ppoNorm / Math.sqrt(sizes[k]) : 0;
      out[M.gradKlRms(k)] = sizes[k] > 0 ? klNormK / Math.sqrt(sizes[k]) : 0;
    }
    out[M.GRAD_TOTAL_NORM] = pressure.totalNorm / count;
    out[M.GRAD_CLIP_FRACTION] = pressure.clipped / count;
    if (sizes.rho > 0) out[M.STEP_RHO_ABS_MEDIAN] = pressure.rhoStep / count;
    return out;
  }

  /** Number of parameters per KL-pressure group. */
  private groupSizes(): Record<PressureGroup, number> {
    const groups = this.agent.parameterGroups();
    const count = (m: Map<string, tf.Variable>, keep: (name: string) => boolean = () => true) => [...m].reduce((n, [name, v]) => n + (keep(name) ? v.size : 0), 0);
    return { theta: count(groups.theta), mu: count(groups.posterior, isMu), rho: count(groups.posterior, isRho), prior: count(groups.prior) };
  }

  private priorLrScale(): number {
    const prior = this.controller.config.prior;
    return prior.kind === 'learned' ? prior.lrScale : 1;
  }

  // ---------------------------------------------------------------- loss-gap signal (exp4)
  /**
   * Critic loss per task on a diagnostic batch, with shared-only weights (θ) and with adapted
   * posterior-mean weights (θ + μ_m), no sampling (spec, Experiment 4):
   *   L_shared,m = mean_{B_m} (V_θ(s) − V_target)²,  L_adapt,m = mean_{B_m} (V_{θ+μ_m}(s) − V_target)².
   * @param obs normalised observations `[n, obsDim]`; `targets` `[n]`; `taskIds` `[n]`
   */
  criticLossGap(obs: Float32Array, targets: Float32Array, taskIds: Int32Array): { lShared: number[]; lAdapt: number[] } {
    const n = taskIds.length;
    const routing = new TaskRouting(taskIds, this.agent.numTasks);
    const packed = tf.tidy(() => {
      const x = tf.tensor2d(obs, [n, this.obsDim]);
      const shared = this.agent.critic.applyRouted(x, routing, { weights: 'shared' });
      const adapted = this.agent.critic.applyRouted(x, routing, { weights: 'mean' });
      return tf.concat([shared, adapted], 1);
    });
    const v = packed.dataSync();
    packed.dispose();
    const T = this.agent.numTasks;
    const sumS = new Float64Array(T);
    const sumA = new Float64Array(T);
    const cnt = new Float64Array(T);
    for (let i = 0; i < n; i++) {
      const t = taskIds[i] as number;
      const target = targets[i] as number;
      sumS[t] = (sumS[t] as number) + ((v[2 * i] as number) - target) ** 2;
      sumA[t] = (sumA[t] as number) + ((v[2 * i + 1] as number) - target) ** 2;
      cnt[t] = (cnt[t] as number) + 1;
    }
    return {
      lShared: Array.from(sumS, (s, t) => (cnt[t] ? s / (cnt[t] as number) : 0)),
      lAdapt: Array.from(sumA, (s, t) => (cnt[t] ? s / (cnt[t] as number) : 0)),
    };
  }

  // ---------------------------------------------------------------- metrics
  private varshareMetrics(diag: ReturnType<typeof posteriorDiagnostics>): Record<string, number> {
    const out: Record<string, number> = {};
    const kl = klBreakdown([this.agent.actor, this.agent.critic], this.agent.sigmaPrior);
    out[M.VARSHARE_KL_TOTAL] = kl.perTask.reduce((a, b) => a + b, 0);
    this.taskNames.forEach((name, t) => {
      const s = diag.perTask[t];
      out[M.varshareKlTask(name)] = kl.perTask[t] as number;
      if (!s) return;
      out[M.varshareMuAbsMedianTask(name)] = s.muAbsMedian;
      out[M.varshareSigmaMedianTask(name)] = s.sigmaMedian;
      out[M.varshareSigmaMeanTask(name)] = s.sigmaMean;
      out[M.varshareLogSigmaMeanTask(name)] = s.logSigmaMean;
    });
    out[M.VARSHARE_RATIO_R] = diag.ratioR;
    for (const layer of diag.perLayer) {
      out[M.varshareRatioRLayer(layer.layer)] = layer.ratioR;
      out[M.varshareMuAbsMedianLayer(layer.layer)] = layer.muAbsMedian;
      out[M.varshareSigmaMedianLayer(layer.layer)] = layer.sigmaMedian;
      out[`varshare/kl_layer/${layer.layer}`] = (kl.perLayer[layer.layer] ?? []).reduce((a, b) => a + b, 0);
    }
    return out;
  }

  private learnedPriorMetrics(): Record<string, number> {
    const state = this.agent.sigmaPrior.getState();
    if (state.kind !== 'learned-per-layer') return {};
    const out: Record<string, number> = {};
    for (const [layer, logSigma] of Object.entries(state.logSigma)) {
      out[M.priorSigmaLayer(layer)] = Math.exp(logSigma);
      out[M.priorLogSigmaLayer(layer)] = logSigma;
    }
    const prior = this.controller.config.prior;
    if (prior.kind === 'learned') {
      out[M.PRIOR_HYPER_PENALTY] = hyperpriorPenaltyValue(Object.values(state.logSigma), { hyperLambda: prior.hyperLambda, target: prior.target });
    }
    return out;
  }

  // ---------------------------------------------------------------- evaluation
  /**
   * Deterministic evaluation (spec: posterior means, greedy actions unless configured otherwise):
   * a fresh vector env with `eval.episodes` rows per task, seeded from the run seed and the
   * evaluation index; each row runs exactly one episode. Observation statistics are used, not updated.
   */
  evaluate(): Record<string, number> {
    const e = this.config.eval;
    this.evalCount += 1;
    const env = createSuite(this.options.suite, {
      ...this.options.suiteOptions,
      seed: deriveSeed(deriveSeed(this.options.seed, 13), this.evalCount),
      rowsPerTask: e.episodes,
    });
    const evalRng = new Rng(deriveSeed(deriveSeed(this.options.seed, 14), this.evalCount));
    const mode = this.config.weights.eval;
    const opts = this.weightOptions(mode, evalRng.nextSeed());
    const frozen = mode === 'mean' || this.config.weights.noise === 'frozen';
    const snaps: [MLPSnapshot, MLPSnapshot] | null = frozen ? [this.agent.actor.snapshot(opts), this.agent.critic.snapshot(opts)] : null;
    const rows = env.numRows;
    const done = new Uint8Array(rows);
    const returns = new Float64Array(rows);
    const success = new Uint8Array(rows);
    const rowTask = new Int32Array(rows);
    let remaining = rows;
    try {
      let { observations, taskIds } = env.reset();
      const savedRng = this.rng.getState();
      while (remaining > 0) {
        const obsN = this.obsNorm.normalize(observations, taskIds, false);
        const { head } = this.forward(obsN, taskIds, snaps, opts, frozen ? 0 : evalRng.nextSeed());
        const { envActions } = this.selectActions(head, taskIds, e.deterministic);
        const ids = Int32Array.from(taskIds);
        const res = env.step(envActions);
        for (const ep of res.episodes) {
          if (done[ep.row]) continue;
          done[ep.row] = 1;
          returns[ep.row] = ep.return;
          success[ep.row] = ep.success ? 1 : 0;
          rowTask[ep.row] = ids[ep.row] as number;
          remaining -= 1;
        }
        observations = res.observations;
        taskIds = res.taskIds;
      }
      // Stochastic evaluation draws from the run generator; restore it so evaluation never changes training.
      this.rng.setState(savedRng);
    } finally {
      snaps?.forEach((s) => s.dispose());
      env.close();
    }
    const out: Record<string, number> = {};
    out[M.UPDATE] = this.update;
    out[M.ENV_STEPS] = this.envSteps;
    const taskRet: number[] = [];
    const taskSuc: number[] = [];
    this.taskNames.forEach((name, t) => {
      let r = 0;
      let s = 0;
      let c = 0;
      for (let i = 0; i < rows; i++) {
        if (rowTask[i] !== t) continue;
        r += returns[i] as number;
        s += success[i] as number;
        c += 1;
      }
      out[M.evalReturnTask(name)] = r / c;
      out[M.evalSuccessTask(name)] = s / c;
      taskRet.push(r / c);
      taskSuc.push(s / c);
    });
    out[M.EVAL_RETURN_MEAN] = taskRet.reduce((a, b) => a + b, 0) / taskRet.length;
    out[M.EVAL_SUCCESS_RATE] = taskSuc.reduce((a, b) => a + b, 0) / taskSuc.length;
    out['eval/episodes_per_task'] = e.episodes;
    return out;
  }

  // ---------------------------------------------------------------- checkpoint
  /** Every bit of state at this update boundary. */
  getCheckpoint(): Checkpoint {
    const arrays: NamedArrays = {};
    for (const [k, v] of Object.entries(this.agent.getState())) arrays[`agent/${k}`] = v;
    const adamSteps = {} as Record<ParamGroup, number>;
    for (const g of ['theta', 'posterior', 'prior'] as const) {
      const s = this.optimizers[g].getState();
      adamSteps[g] = s.step;
      for (const [k, v] of Object.entries(s.arrays)) arrays[`adam/${g}/${k}`] = v;
    }
    arrays['rollout/obs'] = { shape: [this.obs.length], data: Float32Array.from(this.obs) };
    arrays['rollout/task_ids'] = { shape: [this.taskIds.length], data: Float32Array.from(this.taskIds) };
    return {
      json: {
        format: 'varshare-ppo-checkpoint/1',
        update: this.update,
        envSteps: this.envSteps,
        rng: this.rng.getState(),
        env: this.env.getState(),
        obsNorm: this.obsNorm.getState(),
        rewardScaler: this.rewardScaler.getState(),
        controller: this.controllerState,
        sigmaPrior: this.agent.sigmaPrior.getState(),
        adamSteps,
        episodeWindows: { returns: this.episodeReturns.map((r) => [...r]), successes: this.episodeSuccesses.map((s) => [...s]) },
        evalCount: this.evalCount,
      },
      arrays,
    };
  }

  /** Restores a {@link getCheckpoint} of a trainer built with the same options. */
  restoreCheckpoint(ckpt: Checkpoint): void {
    const { json, arrays } = ckpt;
    if (json.format !== 'varshare-ppo-checkpoint/1') throw new Error(`unknown checkpoint format '${String(json.format)}'`);
    const sub = (prefix: string): NamedArrays => {
      const out: NamedArrays = {};
      for (const [k, v] of Object.entries(arrays)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
      return out;
    };
    this.agent.setState(sub('agent/'));
    for (const g of ['theta', 'posterior', 'prior'] as const) this.optimizers[g].setState({ step: json.adamSteps[g], arrays: sub(`adam/${g}/`) });
    this.update = json.update;
    this.envSteps = json.envSteps;
    this.rng.setState(json.rng);
    this.env.setState(json.env as Parameters<VectorEnv['setState']>[0]);
    this.obsNorm.setState(json.obsNorm);
    this.rewardScaler.setState(json.rewardScaler);
    this.controllerState = this.controller.restore(json.controller);
    this.agent.sigmaPrior.setState(json.sigmaPrior);
    this.episodeReturns = json.episodeWindows.returns.map((r) => [...r]);
    this.episodeSuccesses = json.episodeWindows.successes.map((s) => [...s]);
    this.evalCount = json.evalCount;
    const obs = arrays['rollout/obs'];
    const ids = arrays['rollout/task_ids'];
    if (!obs || !ids) throw new Error('checkpoint has no rollout/obs or rollout/task_ids');
    this.obs = Float32Array.from(obs.data);
    this.taskIds = Int32Array.from(ids.data);
  }

  dispose(): void {
    this.agent.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.env.close();
  }
}
