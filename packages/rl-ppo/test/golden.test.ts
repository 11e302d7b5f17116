/**
 * Same seed ⇒ same metrics across refactors: short runs of every variant (and a continuous-action
 * suite, the low-rank residual and local noise) compared number for number with logs recorded
 * before a change (`test/fixtures/golden-metrics.json`). Re-record only when a change of numbers
 * is intended: `VARSHARE_RECORD_GOLDEN=1 npx vitest run test/golden.test.ts`, and say why in the commit.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@varshare/core';
import { mergeControllerPatches, parseControllerConfig, resolveVariant } from '@varshare/controllers';
import { isTimingKey } from '@varshare/metrics';
import { PPOTrainer, trainingConfigSchema } from '../src/index';

const FIXTURE = new URL('./fixtures/golden-metrics.json', import.meta.url);
const RECORD = process.env['VARSHARE_RECORD_GOLDEN'] === '1';

beforeAll(async () => {
  await initBackend('wasm');
});

interface Case {
  readonly name: string;
  readonly variant: string;
  readonly suite: string;
  readonly config: Record<string, unknown>;
  readonly updates: number;
  /** Controller fields over the variant's (e.g. K = 1, so exp3 and exp4 decide within the short run). */
  readonly controller?: { beta?: Record<string, unknown>; prior?: Record<string, unknown> };
}

const base = {
  envsPerTask: 1,
  ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 2, learningRate: 1e-3 },
  network: { hiddenSizes: [16, 16] },
  eval: { interval: 2, episodes: 1 },
};
const variants = ['baseline', 'exp1-fixed-prior', 'exp2-beta-anneal', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes'];
const CASES: Case[] = [
  ...variants.map((variant) => ({ name: variant, variant, suite: 'cartpole-mt', config: base, updates: 3 })),
  { name: 'exp3-decisions', variant: 'exp3-ratio-controller', suite: 'cartpole-mt', config: base, updates: 3, controller: { beta: { K: 1, rMin: 0.1 } } },
  { name: 'exp4-meta-updates', variant: 'exp4-loss-gap-prior', suite: 'cartpole-mt', config: base, updates: 3, controller: { prior: { K: 1 } } },
  { name: 'lunarlander-continuous', variant: 'exp5-empirical-bayes', suite: 'lunarlander-mt', config: base, updates: 2 },
  { name: 'low-rank-local-noise', variant: 'exp3-ratio-controller', suite: 'cartpole-mt', config: { ...base, network: { ...base.network, residual: 'low-rank', rank: 2 }, weights: { noise: 'local' } }, updates: 2 },
  { name: 'shared-mlp', variant: 'baseline', suite: 'cartpole-mt', config: { ...base, network: { ...base.network, residual: 'none' } }, updates: 2 },
];

/** Every non-timing number of every metrics and eval row. */
function runCase(c: Case): { metrics: Record<string, number>[]; evals: (Record<string, number> | null)[] } {
  const config = trainingConfigSchema.parse(c.config);
  const batch = config.envsPerTask * 10 * config.ppo.numSteps;
  const suiteOptions = c.suite === 'lunarlander-mt' ? { continuous: true, maxEpisodeSteps: 60 } : { maxEpisodeSteps: 60 };
  const controller = parseControllerConfig(mergeControllerPatches(resolveVariant(c.variant).config as never, (c.controller ?? {}) as never));
  const t = new PPOTrainer({ config, controller, suite: c.suite, suiteOptions, seed: 7, totalSteps: batch * c.updates });
  const metrics: Record<string, number>[] = [];
  const evals: (Record<string, number> | null)[] = [];
  try {
    while (!t.done) {
      const r = t.runUpdate();
      metrics.push(Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !isTimingKey(k))));
      evals.push(r.eval);
    }
  } finally {
    t.dispose();
  }
  return { metrics, evals };
}

describe('golden metrics (same seed ⇒ same numbers as recorded before a refactor)', () => {
  const recorded: Record<string, ReturnType<typeof runCase>> = RECORD || !existsSync(FIXTURE) ? {} : JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const fresh: Record<string, ReturnType<typeof runCase>> = {};
  for (const c of CASES) {
    it(c.name, () => {
      fresh[c.name] = runCase(c);
      if (RECORD) return;
      expect(recorded[c.name], `no recorded logs for '${c.name}' (record with VARSHARE_RECORD_GOLDEN=1)`).toBeDefined();
      // JSON round trip: NaN and -0 compare as the fixture stores them
      expect(JSON.parse(JSON.stringify(fresh[c.name]))).toEqual(recorded[c.name]);
    });
  }
  afterAll(() => {
    if (RECORD) writeFileSync(FIXTURE, `${JSON.stringify(fresh)}\n`);
  });
});
