// A worker thread that runs the trainer's deterministic evaluations (see backgroundEvaluator.ts):
// it holds its own agent, observation normaliser and evaluation env, takes the trainer's state at
// the evaluated update (weights, normaliser statistics, generator) and runs `evaluatePolicy` — the
// same code on the same inputs as an evaluation on the training thread, so the rows are equal.
import { Rng, serveRequests, type RngState, type SigmaPriorSpec } from '@varshare/base';
import { initBackend, type BackendName, type NamedArrays } from '@varshare/core';
import { createSuite, prepareSuite, type SuiteOptionsInput, type VectorEnv } from '@varshare/envs';
import { MultiTaskAgent, type ActionSpec } from './agent';
import type { TrainingConfig } from './config';
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
}

/** One evaluation: the trainer's state at the evaluated update. */
export interface EvaluationJob {
  readonly evalIndex: number;
  readonly agent: NamedArrays;
  readonly obsNorm: RunningMeanStdState[];
  readonly rng: RngState;
}

let ready: { init: EvaluationWorkerInit; agent: MultiTaskAgent; obsNorm: ObservationNormalizer; env: VectorEnv; actions: PolicyActions } | null = null;

serveRequests(async (m) => {
  const msg = m as { op: 'init'; init: EvaluationWorkerInit } | { op: 'evaluate'; job: EvaluationJob } | { op: 'close' };
  if (msg.op === 'init') {
    const init = msg.init;
    await initBackend(init.backend);
    await prepareSuite(init.suite);
    const c = init.config;
    ready = {
      init,
      agent: new MultiTaskAgent({ obsDim: init.obsDim, action: init.actions.spec, numTasks: init.numTasks, network: c.network, sigmaPrior: init.sigmaPrior, seed: init.seed }),
      obsNorm: new ObservationNormalizer(c.normalisation.observation, init.obsDim, init.numTasks, c.normalisation.clipObservation),
      env: createSuite(init.suite, { ...init.suiteOptions, seed: 0, rowsPerTask: c.eval.episodes }),
      actions: init.actions,
    };
    return null;
  }
  if (msg.op === 'close') {
    ready?.env.close();
    ready?.agent.dispose();
    ready = null;
    return null;
  }
  if (!ready) throw new Error('evaluation worker: not initialised');
  const { init, agent, obsNorm, env, actions } = ready;
  const job = msg.job;
  agent.setState(job.agent);
  obsNorm.setState(job.obsNorm);
  const rng = new Rng(0);
  rng.setState(job.rng);
  return evaluatePolicy(
    { agent, actions, obsNorm, rng, weights: init.config.weights, eval: init.config.eval, suite: init.suite, suiteOptions: init.suiteOptions, seed: init.seed, taskNames: init.taskNames, env },
    job.evalIndex,
  );
});
