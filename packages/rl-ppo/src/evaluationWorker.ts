// A worker thread that runs the trainer's deterministic evaluations (see backgroundEvaluator.ts):
// it holds its own agent, observation normaliser and evaluation env, takes the trainer's state at
// the evaluated update (weights, normaliser statistics, generator) and runs `evaluatePolicy` — the
// same code on the same inputs as an evaluation on the training thread, so the rows are equal. A
// heavy suite's evaluation env is stepped on `threads` threads (ShardedVectorEnv: row for row the
// plain env's outputs), and for the run's last evaluation, which nothing overlaps, a wide network's
// products split over as many kernel threads (the same numbers): it uses every core.
import { Rng, serveRequests, type RngState, type SigmaPriorSpec } from '@varshare/base';
import { initBackend, setKernelThreads, type BackendName, type NamedArrays } from '@varshare/core';
import { ShardedVectorEnv, createSuite, prepareSuite, suiteStepsAreHeavy, type SuiteOptionsInput, type VectorEnv } from '@varshare/envs';
import { MultiTaskAgent, type ActionSpec } from './agent';
import { KERNEL_THREADS_MIN_WIDTH, type TrainingConfig } from './config';
import { evaluatePolicy } from './evaluation';
import type { PolicyActions } from './policy';
import { ObservationNormalizer, type RunningMeanStdState } from './runningStats';

/** What the worker is built from: the trainer's fixed facts. */
export interface EvaluationWorkerInit {
  readonly backend: BackendName;
  readonly config: TrainingConfig;
  readonly suite: string;
  readonly suiteOptions: Omit<SuiteOptionsInput, 'seed' | 'rowsPerTask'>;
  readonly seed: number;
  readonly obsDim: number;
  readonly numTasks: number;
  readonly taskNames: readonly string[];
  readonly actions: { readonly spec: ActionSpec; readonly low: Float32Array | null; readonly high: Float32Array | null };
  /** σ_prior form the agent is built with (its learned variables, if any, come with each state). */
  readonly sigmaPrior: SigmaPriorSpec;
  /** Threads stepping the evaluation env's rows when the suite's steps are heavy (1: this one only). */
  readonly envThreads: number;
}

/** One evaluation: the trainer's state at the evaluated update. */
export interface EvaluationJob {
  readonly evalIndex: number;
  readonly agent: NamedArrays;
  readonly obsNorm: RunningMeanStdState[];
  readonly rng: RngState;
  /**
   * Nothing runs beside this evaluation (the run's last): a network at least
   * KERNEL_THREADS_MIN_WIDTH wide splits its products over `envThreads` kernel threads.
   */
  readonly alone: boolean;
}

let ready: { init: EvaluationWorkerInit; agent: MultiTaskAgent; obsNorm: ObservationNormalizer; env: VectorEnv; actions: PolicyActions } | null = null;

serveRequests(async (m) => {
  const msg = m as { op: 'init'; init: EvaluationWorkerInit } | { op: 'evaluate'; job: EvaluationJob } | { op: 'envThreads' } | { op: 'close' };
  if (msg.op === 'init') {
    const init = msg.init;
    await initBackend(init.backend);
    await prepareSuite(init.suite);
    const c = init.config;
    const envOptions = { ...init.suiteOptions, seed: 0, rowsPerTask: c.eval.episodes };
    const env = init.envThreads > 1 && suiteStepsAreHeavy(init.suite) ? await ShardedVectorEnv.create(init.suite, envOptions, init.envThreads) : createSuite(init.suite, envOptions);
    ready = {
      init,
      agent: new MultiTaskAgent({ obsDim: init.obsDim, action: init.actions.spec, numTasks: init.numTasks, network: c.network, sigmaPrior: init.sigmaPrior, seed: init.seed }),
      obsNorm: new ObservationNormalizer(c.normalisation.observation, init.obsDim, init.numTasks, c.normalisation.clipObservation),
      env,
      actions: init.actions,
    };
    // (a sharded env steps in its shards' threads, which this would not warm up)
    if (!(env instanceof ShardedVectorEnv)) warmUp(ready);
    return null;
  }
  if (msg.op === 'close') {
    setKernelThreads(1);
    ready?.env.close();
    ready?.agent.dispose();
    ready = null;
    return null;
  }
  if (!ready) throw new Error('evaluation worker: not initialised');
  if (msg.op === 'envThreads') return ready.env instanceof ShardedVectorEnv ? ready.env.threads : 1;
  const { init, agent, obsNorm, env, actions } = ready;
  const job = msg.job;
  agent.setState(job.agent);
  obsNorm.setState(job.obsNorm);
  const rng = new Rng(0);
  rng.setState(job.rng);
  // The kernels' threads in this worker: the run's for an evaluation nothing overlaps (bit-identical
  // products at any count), else this thread only (training uses the others).
  const wide = Math.max(0, ...init.config.network.hiddenSizes) >= KERNEL_THREADS_MIN_WIDTH;
  setKernelThreads(job.alone && wide ? init.envThreads : 1);
  return evaluatePolicy(
    { agent, actions, obsNorm, rng, weights: init.config.weights, eval: init.config.eval, suite: init.suite, suiteOptions: init.suiteOptions, seed: init.seed, taskNames: init.taskNames, env },
    job.evalIndex,
  );
});

/** Episodes per task and steps per episode of the warm-up (see {@link warmUp}). */
const WARM_UP = { episodes: 2, maxEpisodeSteps: 100 };

/**
 * Runs a short evaluation of the initial agent on a throwaway env (2 episodes per task of at most
 * 100 steps, its own generator) so that V8 compiles the policy's and the env's code during the
 * start-up, which overlaps the first updates, and not in the first real evaluation — in a short run
 * the last one, which nothing overlaps. Measured on lunarlander-mt's 20-update run at 2 threads
 * (its one evaluation at update 20): 2.7–3.0 s without, 2.2–2.4 s with (the warm-up ~0.45 s); an
 * evaluation on the training thread, warm from the rollouts, took ~1.8 s. Not for a sharded env (its
 * steps run in the shards' threads; on arm-mt10 the warm-up only competed with the first update).
 * Nothing it touches is read by a real evaluation: each sets the agent's and the normaliser's state
 * from its job, and the kept env is not stepped.
 */
function warmUp(w: NonNullable<typeof ready>): void {
  const c = w.init.config;
  evaluatePolicy(
    {
      agent: w.agent,
      actions: w.actions,
      obsNorm: w.obsNorm,
      rng: new Rng(0),
      weights: c.weights,
      eval: { ...c.eval, episodes: WARM_UP.episodes },
      suite: w.init.suite,
      suiteOptions: { ...w.init.suiteOptions, maxEpisodeSteps: Math.min(WARM_UP.maxEpisodeSteps, w.init.suiteOptions.maxEpisodeSteps ?? WARM_UP.maxEpisodeSteps) },
      seed: w.init.seed,
      taskNames: w.init.taskNames,
      env: null,
    },
    0,
  );
}
