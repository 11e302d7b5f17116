// Evaluation stops stepping a row once its one episode is over (VectorEnv.step's `active`): the
// numbers are those of stepping every row, for greedy and for stochastic evaluation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@varshare/base';
import { initBackend } from '@varshare/core';
import { createSuite, prepareSuite, type VectorEnv } from '@varshare/envs';
import { MultiTaskAgent, ObservationNormalizer, evaluatePolicy, trainingConfigSchema, type EvaluationContext } from '../src/index';

const SUITE = 'lunarlander-mt';
const suiteOptions = { continuous: true, maxEpisodeSteps: 250 } as const;
const envs: VectorEnv[] = [];
let agent: MultiTaskAgent;

beforeAll(async () => {
  await initBackend('wasm');
  await prepareSuite(SUITE);
});
afterAll(() => {
  envs.forEach((e) => e.close());
  agent?.dispose();
});

/** `env` with a step that ignores `active` (every row stepped, as before), counting row steps. */
function wrap(env: VectorEnv, honourMask: boolean, counter: { rowSteps: number }): VectorEnv {
  return new Proxy(env, {
    get(target, key) {
      if (key === 'step') {
        return (actions: Int32Array | Float32Array, active?: Uint8Array) => {
          const mask = honourMask ? active : undefined;
          counter.rowSteps += mask ? mask.reduce((n, f) => n + f, 0) : target.numRows;
          return target.step(actions, mask);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('evaluatePolicy', () => {
  for (const deterministic of [true, false]) {
    it(`steps each row only until its episode ends, with the numbers of stepping every row (${deterministic ? 'greedy' : 'stochastic'})`, () => {
      const config = trainingConfigSchema.parse({ network: { hiddenSizes: [16, 16] }, eval: { episodes: 3, deterministic } });
      const probe = createSuite(SUITE, { ...suiteOptions, seed: 0, rowsPerTask: 1 });
      envs.push(probe);
      const taskNames = probe.taskNames;
      agent ??= new MultiTaskAgent({ obsDim: probe.observationSize, action: { kind: 'continuous', dim: probe.actionSize }, numTasks: probe.numTasks, network: config.network, sigmaPrior: { kind: 'global', value: 1 }, seed: 5 });
      const run = (honourMask: boolean) => {
        const counter = { rowSteps: 0 };
        const env = createSuite(SUITE, { ...suiteOptions, seed: 0, rowsPerTask: config.eval.episodes });
        envs.push(env);
        const rng = new Rng(11);
        const ctx: EvaluationContext = {
          agent,
          actions: { spec: { kind: 'continuous', dim: probe.actionSize }, low: new Float32Array(probe.actionSize).fill(-1), high: new Float32Array(probe.actionSize).fill(1) },
          obsNorm: new ObservationNormalizer(config.normalisation.observation, probe.observationSize, probe.numTasks, config.normalisation.clipObservation),
          rng,
          weights: config.weights,
          eval: config.eval,
          suite: SUITE,
          suiteOptions,
          seed: 7,
          taskNames,
          env: wrap(env, honourMask, counter),
        };
        const rows = [evaluatePolicy(ctx, 1), evaluatePolicy(ctx, 2)]; // the env is reused: reset by the second
        return { rows, rowSteps: counter.rowSteps, rng: rng.getState() };
      };
      const every = run(false);
      const masked = run(true);
      expect(masked.rows).toEqual(every.rows);
      expect(masked.rng).toEqual(every.rng);
      expect(masked.rowSteps).toBeLessThan(every.rowSteps); // episodes of unequal length: finished rows idled
    });
  }
});
