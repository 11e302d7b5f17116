import { Rng, deriveSeed, type RngState } from '@varshare/base';
import { hotOps, posteriorDiagnostics, setKernelThreads, tf, type BackendName, type NamedArrays, type SigmaPriorState } from '@varshare/core';
import {
  createKlPriorController,
  type ControllerState,
  type KlPriorController,
  type KlPriorControllerConfig,
} from '@varshare/controllers';
import { ShardedVectorEnv, createSuite, prepareSuite, suiteIsShardable, suiteStepsAreHeavy, type SuiteOptionsInput, type VectorEnv } from '@varshare/envs';
import * as M from '@varshare/base';
import { Adam } from './adam';
import { BackgroundEvaluator } from './backgroundEvaluator';
import { MultiTaskAgent, type ParamGroup } from './agent';
import type { TrainingConfig } from './config';
import { EpisodeWindows, type EpisodeWindowsState } from './episodeWindows';
import { evaluatePolicy } from './evaluation';
import { computeGae } from './gae';
import { criticLossGap, type CriticLossGap } from './lossGap';
import { explainedVariance, isMu, isRho, optimiseEpochs, optimiseMetrics, type PressureGroup } from './optimisation';
import type { PolicyActions } from './policy';
import { learnedPriorMetrics, posteriorMetrics } from './posteriorMetrics';
import type { LearnedPriorSettings } from './regulariser';
import { collectRollout, type EnvCursor } from './rollout';
import { ObservationNormalizer, RewardScaler, type RewardScalerState, type RunningMeanStdState } from './runningStats';

export { NonFiniteLossError } from './optimisation';
export { KERNEL_THREADS_MIN_WIDTH } from './config';
import { KERNEL_THREADS_MIN_WIDTH } from './config';

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
  /**
   * Threads of this run, the calling one included (only {@link PPOTrainer.create} starts threads).
   * Above 1, evaluations run on a worker thread while training goes on ({@link takeEvaluations}),
   * and suites whose env steps are heavy (planck, MuJoCo) step their training rows on that many
   * threads, and for networks at least {@link KERNEL_THREADS_MIN_WIDTH} wide the update's large
   * kernel calls (products, effective weights, ∂ρ) are split over them — all with the same numbers
   * as one thread. Defaults to 1.
   */
  readonly threads?: number;
}



/** One row of `metrics.jsonl` (and optionally `eval.jsonl`) per PPO update. */
export interface UpdateResult {
  readonly metrics: Record<string, number>;
  /** The evaluation row of this update when it ran here; null when there was none or it runs on the worker thread. */
  readonly eval: Record<string, number> | null;
  /** True when this update's evaluation went to the worker thread: its row comes from {@link PPOTrainer.takeEvaluations}. */
  readonly evalSubmitted: boolean;
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
  readonly episodeWindows: EpisodeWindowsState;
  readonly evalCount: number;
}

/**
 * Multi-task PPO (CleanRL's loop) with VarShare actor and critic. One {@link PPOTrainer.runUpdate}
 * call is one PPO update, read top to bottom in {@link runUpdate}: anneal lr → the controller's β and
 * σ_prior → roll out (`rollout.ts`) → advantages (`gae.ts`) → exp4's diagnostic batch (`lossGap.ts`)
 * → epochs of minibatches with the loss (`minibatches.ts`, `ppoLoss.ts`, `optimisation.ts`) →
 * diagnostics and controller signals (`posteriorMetrics.ts`) → log → evaluate (`evaluation.ts`).
 * This class holds the run's state and wires the phases; every random draw comes from generators
 * seeded by the run seed.
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
  private readonly actions: PolicyActions;
  private readonly options: PPOTrainerOptions;
  private readonly rng: Rng;
  private readonly obsNorm: ObservationNormalizer;
  private readonly rewardScaler: RewardScaler;
  private readonly optimizers: Record<ParamGroup, Adam>;
  /** Exp5's settings from the controller's σ_prior spec (null for the other variants). */
  private readonly learnedPrior: LearnedPriorSettings | null;
  private readonly episodes: EpisodeWindows;
  private readonly cursor: EnvCursor;
  /** The evaluation env, kept across evaluations (in-process suites); built at the first evaluation. */
  private evalEnv: VectorEnv | null;
  /** Whether create() split the kernels over threads (stopped again in dispose()). */
  private kernelThreads = false;
  /** Evaluations on a worker thread (threads > 1), or null: evaluations run in {@link runUpdate}. */
  private background: BackgroundEvaluator | null = null;
  private controllerState: ControllerState;
  private update = 0;
  private envSteps = 0;
  private evalCount = 0;

  constructor(options: PPOTrainerOptions, prebuiltEnv?: VectorEnv) {
    const { config, seed } = options;
    this.options = options;
    this.config = config;
    this.rng = new Rng(deriveSeed(seed, 11));
    this.env = prebuiltEnv ?? createSuite(options.suite, { ...options.suiteOptions, ...trainEnvOptions(options) });
    this.evalEnv = null;
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
    this.actions = {
      spec: space.kind === 'discrete' ? { kind: 'discrete', n: space.n } : { kind: 'continuous', dim: space.shape.reduce((a, b) => a * b, 1) },
      low: space.kind === 'box' ? space.low : null,
      high: space.kind === 'box' ? space.high : null,
    };
    this.obsDim = this.env.observationSize;
    const layerNames = ['actor', 'critic'].flatMap((n) => Array.from({ length: config.network.hiddenSizes.length + 1 }, (_, i) => `${n}.${i}`));
    this.controller = createKlPriorController(options.controller, { numTasks, taskNames: this.taskNames, layerNames, totalUpdates: this.totalUpdates });
    this.controllerState = this.controller.init();
    const first = this.controller.beforeUpdate(this.controllerState, 0).sigmaPrior;
    this.learnedPrior = first.kind === 'learned-per-layer' ? { lrScale: first.lrScale, hyperLambda: first.hyperLambda, target: first.target } : null;
    this.agent = new MultiTaskAgent({ obsDim: this.obsDim, action: this.actions.spec, numTasks, network: config.network, sigmaPrior: first, seed });
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
    this.cursor = { obs: Float32Array.from(reset.observations), taskIds: Int32Array.from(reset.taskIds) };
    this.episodes = new EpisodeWindows(this.taskNames);
  }

  /**
   * Prepares the suite (e.g. loads MuJoCo for arm-mt10), starts the threads of `options.threads`
   * (heavy suites step their env rows on them), then constructs the trainer.
   */
  static async create(options: PPOTrainerOptions): Promise<PPOTrainer> {
    await prepareSuite(options.suite);
    const threads = options.threads ?? 1;
    const train = threads > 1 && suiteStepsAreHeavy(options.suite) ? await ShardedVectorEnv.create(options.suite, { ...options.suiteOptions, ...trainEnvOptions(options) }, threads) : undefined;
    let trainer: PPOTrainer;
    try {
      trainer = new PPOTrainer(options, train);
    } catch (err) {
      train?.close();
      throw err;
    }
    if (threads > 1 && Math.max(0, ...options.config.network.hiddenSizes) >= KERNEL_THREADS_MIN_WIDTH) {
      // Process-wide: the kernels serve every agent in the process; given back in dispose().
      setKernelThreads(threads);
      trainer.kernelThreads = true;
    }
    if (threads > 1 && suiteIsShardable(options.suite)) {
      try {
        trainer.background = BackgroundEvaluator.start({
          backend: tf.getBackend() as BackendName,
          config: options.config,
          suite: options.suite,
          suiteOptions: options.suiteOptions ?? {},
          seed: options.seed,
          obsDim: trainer.obsDim,
          numTasks: trainer.env.numTasks,
          taskNames: trainer.taskNames,
          actions: trainer.actions,
          sigmaPrior: trainer.controller.beforeUpdate(trainer.controller.init(), 0).sigmaPrior,
          // The last evaluation runs alone: a heavy suite's eval env steps on every thread of the run.
          envThreads: threads,
        });
      } catch (err) {
        trainer.dispose();
        throw err;
      }
    }
    return trainer;
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

  /** Runs PPO update number `completedUpdates` and returns its log rows. */
  runUpdate(): UpdateResult {
    if (this.done) throw new Error(`all ${this.totalUpdates} updates are done`);
    const t = this.update;
    const started = performance.now();
    const cfg = this.config;
    const lr = this.learningRateAt(t);

    // --- controller: β and σ_prior for this update (decided from the state after update t−1)
    const { beta, sigmaPrior } = this.controller.beforeUpdate(this.controllerState, t);
    // global and per-task values are set here; a learned prior's variables move by gradient only
    this.agent.sigmaPrior.applySpec(sigmaPrior);

    // --- rollout
    const segmentSeed = this.rng.nextSeed();
    const rolloutStart = performance.now();
    const batch = collectRollout(
      { env: this.env, agent: this.agent, actions: this.actions, obsNorm: this.obsNorm, rewardScaler: this.rewardScaler, rng: this.rng, weights: cfg.weights, numSteps: cfg.ppo.numSteps, gamma: cfg.ppo.gamma, cursor: this.cursor, episodes: this.episodes },
      segmentSeed,
    );
    this.envSteps += this.batchSize;
    const rolloutSeconds = (performance.now() - rolloutStart) / 1000;

    // --- advantages: GAE (truncation already bootstrapped into the rewards)
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

    // --- update epochs: minibatches, loss, optimisation steps
    const updateStart = performance.now();
    const optimised = optimiseEpochs(
      { agent: this.agent, optimizers: this.optimizers, rng: this.rng, ppo: cfg.ppo, optimizer: cfg.optimizer, weights: cfg.weights, klNormaliser: this.klNormaliser(), learnedPrior: this.learnedPrior, minibatchSize: this.minibatchSize, updateNumber: t + 1 },
      { ...batch, advantages, returns },
      beta,
      lr,
      segmentSeed,
    );
    const updateSeconds = (performance.now() - updateStart) / 1000;

    // --- diagnostics and controller signals
    const diag = cfg.network.residual !== 'none' ? posteriorDiagnostics([this.agent.actor, this.agent.critic]) : null;
    this.controllerState = this.controller.afterUpdate(this.controllerState, {
      update: t,
      ...(diag ? { rRaw: this.controller.noiseToWeightRatio(diag.sigmaMedian, diag.thetaAbsMedian) } : {}),
      ...(lossGap ? { lShared: lossGap.lShared, lAdapt: lossGap.lAdapt } : {}),
    });
    this.update += 1;

    // --- log
    const metrics: Record<string, number> = {};
    metrics[M.UPDATE] = this.update;
    metrics[M.ENV_STEPS] = this.envSteps;
    metrics[M.WALL_S] = 0; // filled by the caller that owns the run clock
    Object.assign(metrics, this.episodes.metrics());
    Object.assign(metrics, optimiseMetrics(optimised, explainedVariance(returns, batch.values), this.groupSizes()));
    metrics[M.CHARTS_LEARNING_RATE] = lr;
    metrics[M.CHARTS_SPS] = this.batchSize / ((performance.now() - started) / 1000);
    metrics[M.CHARTS_ROLLOUT_S] = rolloutSeconds;
    metrics[M.CHARTS_UPDATE_S] = updateSeconds;
    if (diag) Object.assign(metrics, posteriorMetrics(this.agent, this.taskNames, diag));
    Object.assign(metrics, this.controller.logs(this.controllerState, t));
    Object.assign(metrics, learnedPriorMetrics(this.agent, this.learnedPrior));

    // --- evaluate (on the worker thread when there is one: its row arrives through takeEvaluations)
    const evaluate = this.update % cfg.eval.interval === 0 || this.done;
    let evalRow: Record<string, number> | null = null;
    if (evaluate && this.background) {
      this.evalCount += 1;
      // the run's last evaluation: nothing overlaps it, its products may use the run's threads too
      this.background.submit(this.update, this.envSteps, this.evalCount, this.agent.getState(), this.obsNorm.getState(), this.rng.getState(), this.done);
    } else if (evaluate) {
      evalRow = this.evaluate();
    }
    return { metrics, eval: evalRow, evalSubmitted: evaluate && this.background !== null };
  }

  /**
   * Evaluation rows finished on the worker thread since the last call, in update order (none when
   * evaluations run in {@link runUpdate}). Does not block.
   */
  takeEvaluations(): Record<string, number>[] {
    return (this.background?.poll() ?? []).map((r) => ({ [M.UPDATE]: r.update, [M.ENV_STEPS]: r.envSteps, ...r.row }));
  }

  /** Like {@link takeEvaluations}, after waiting for the running evaluation: call before a checkpoint. */
  flushEvaluations(): Record<string, number>[] {
    return (this.background?.flush() ?? []).map((r) => ({ [M.UPDATE]: r.update, [M.ENV_STEPS]: r.envSteps, ...r.row }));
  }

  /**
   * Threads stepping the evaluation env: the run's threads on the evaluation worker for a heavy
   * suite (planck, MuJoCo), else 1. Waits for the worker's start-up and a running evaluation.
   */
  evaluationEnvThreads(): number {
    return this.background?.envThreads() ?? 1;
  }

  /** The divisor of KL_total in the loss (`kl.normalisation`). */
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

  /** Number of parameters per KL-pressure group. */
  private groupSizes(): Record<PressureGroup, number> {
    const groups = this.agent.parameterGroups();
    const count = (m: ReadonlyMap<string, { size: number }>, keep: (name: string) => boolean = () => true) => [...m].reduce((n, [name, v]) => n + (keep(name) ? v.size : 0), 0);
    return { theta: count(groups.theta), mu: count(groups.posterior, isMu), rho: count(groups.posterior, isRho), prior: count(groups.prior) };
  }

  /** Experiment 4's critic losses per task with θ and with θ + μ_m on a diagnostic batch (see `criticLossGap`). */
  criticLossGap(obs: Float32Array, targets: Float32Array, taskIds: Int32Array): CriticLossGap {
    return criticLossGap(this.agent, obs, targets, taskIds);
  }

  /** Deterministic evaluation (see `evaluatePolicy`); the next evaluation index. */
  evaluate(): Record<string, number> {
    this.evalCount += 1;
    // In-process suites keep one evaluation env and reset it with each evaluation's seed.
    if (!this.evalEnv && suiteIsShardable(this.options.suite)) this.evalEnv = createSuite(this.options.suite, { ...this.options.suiteOptions, ...evalEnvOptions(this.options) });
    const row = evaluatePolicy(
      { agent: this.agent, actions: this.actions, obsNorm: this.obsNorm, rng: this.rng, weights: this.config.weights, eval: this.config.eval, suite: this.options.suite, suiteOptions: this.options.suiteOptions ?? {}, seed: this.options.seed, taskNames: this.taskNames, env: this.evalEnv },
      this.evalCount,
    );
    return { [M.UPDATE]: this.update, [M.ENV_STEPS]: this.envSteps, ...row };
  }

  /**
   * Every bit of state at this update boundary (a snapshot: it may be written later). With
   * evaluations on a worker thread, a checkpoint covers the evaluations submitted up to its update
   * (`evalCount`): write it only once their rows are written, or a resumed run would miss them.
   */
  getCheckpoint(): Checkpoint {
    const arrays: NamedArrays = {};
    for (const [k, v] of Object.entries(this.agent.getState())) arrays[`agent/${k}`] = v;
    const adamSteps = {} as Record<ParamGroup, number>;
    for (const g of ['theta', 'posterior', 'prior'] as const) {
      const s = this.optimizers[g].getState();
      adamSteps[g] = s.step;
      for (const [k, v] of Object.entries(s.arrays)) arrays[`adam/${g}/${k}`] = v;
    }
    arrays['rollout/obs'] = { shape: [this.cursor.obs.length], data: Float32Array.from(this.cursor.obs) };
    arrays['rollout/task_ids'] = { shape: [this.cursor.taskIds.length], data: Float32Array.from(this.cursor.taskIds) };
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
        episodeWindows: this.episodes.getState(),
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
    this.episodes.setState(json.episodeWindows);
    this.evalCount = json.evalCount;
    const obs = arrays['rollout/obs'];
    const ids = arrays['rollout/task_ids'];
    if (!obs || !ids) throw new Error('checkpoint has no rollout/obs or rollout/task_ids');
    this.cursor.obs = Float32Array.from(obs.data);
    this.cursor.taskIds = Int32Array.from(ids.data);
  }

  dispose(): void {
    if (this.kernelThreads && hotOps().kernelThreads() > 1) setKernelThreads(1);
    this.kernelThreads = false;
    this.background?.close();
    this.background = null;
    this.agent.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.env.close();
    this.evalEnv?.close();
    this.evalEnv = null;
  }
}

/** The training env's seed and rows. */
function trainEnvOptions(options: PPOTrainerOptions): { seed: number; rowsPerTask: number } {
  return { seed: deriveSeed(options.seed, 12), rowsPerTask: options.config.envsPerTask };
}

/** The evaluation env's rows (its seed is set by each evaluation's reset). */
function evalEnvOptions(options: PPOTrainerOptions): { seed: number; rowsPerTask: number } {
  return { seed: 0, rowsPerTask: options.config.eval.episodes };
}
