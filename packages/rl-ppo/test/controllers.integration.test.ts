import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@varshare/core';
import { mergeControllerPatches, parseControllerConfig, resolveVariant } from '@varshare/controllers';
import { PPOTrainer, trainingConfigSchema, type UpdateResult } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});

const configInput = {
  envsPerTask: 1,
  ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 1, learningRate: 1e-3 },
  network: { hiddenSizes: [16, 16] },
  eval: { interval: 1000, episodes: 1 },
};
const BATCH = 10 * 16;

/**
 * A short cartpole-mt run of `updates` updates for a variant, with controller overrides (e.g. K = 2)
 * and optionally another initial posterior σ.
 */
function run(variant: string, updates: number, overrides: { beta?: Record<string, unknown>; prior?: Record<string, unknown> } = {}, sigmaInit?: number) {
  const controller = parseControllerConfig(mergeControllerPatches(resolveVariant(variant).config as never, overrides as never));
  const config = trainingConfigSchema.parse({ ...configInput, network: { ...configInput.network, ...(sigmaInit ? { sigmaInit } : {}) } });
  const t = new PPOTrainer({ config, controller, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed: 1, totalSteps: BATCH * updates });
  const rows: UpdateResult[] = [];
  while (!t.done) rows.push(t.runUpdate());
  return { t, rows: rows.map((r) => r.metrics) };
}

/** Closed-form KL of every residual weight of a layer under σ_prior (float64, independent of tfjs). */
function manualLayerKl(t: PPOTrainer, layerName: string, sigmaPrior: (task: number) => number): number {
  const layer = [...t.agent.actor.layers, ...t.agent.critic.layers].find((l) => l.name === layerName)!;
  const { mu, sigma } = layer.readPosterior();
  let kl = 0;
  mu.forEach((m, task) => {
    const sp = sigmaPrior(task);
    m.forEach((u, i) => {
      const s = (sigma[task] as Float32Array)[i] as number;
      kl += Math.log(sp / s) + (s * s + u * u) / (2 * sp * sp) - 0.5;
    });
  });
  return kl;
}

describe('controllers act in training', () => {
  it('exp1: σ_prior = 0.01 reaches the KL of every layer, output heads included (no other source)', () => {
    const { t, rows } = run('exp1-fixed-prior', 2);
    const last = rows.at(-1)!;
    expect(last['prior/sigma']).toBe(0.01);
    for (const layer of t.agent.layerNames()) {
      const logged = last[`varshare/kl_layer/${layer}`] as number;
      expect(Math.abs(logged - manualLayerKl(t, layer, () => 0.01)) / logged).toBeLessThan(1e-4);
    }
    t.dispose();
  });

  it('changing σ_prior or β changes the loss', () => {
    const a = run('baseline', 1);
    const b = run('exp1-fixed-prior', 1);
    const c = run('baseline', 1, { beta: { beta1: 0.05 } });
    const term = (r: { rows: Record<string, number>[] }) => r.rows[0]!['losses/kl_term'] as number;
    expect(term(a)).not.toBeCloseTo(term(b), 3);
    expect(term(c) / term(a)).toBeCloseTo(5, 2); // same parameters at update 0's start, β five times larger
    [a, b, c].forEach((r) => r.t.dispose());
  });

  it('exp2: β follows warm-up → hold → ramp and is the β in the KL term', () => {
    const { t, rows } = run('exp2-beta-anneal', 20);
    const betas = rows.map((r) => r['controller/beta'] as number);
    // T = 20: β(t) = β1·t/2 for t ≤ 2, β1 until 16, then β1·(1 + (t − 16)/4); β1 = 0.01
    expect(betas[0]).toBe(0);
    expect(betas[1]).toBeCloseTo(0.005, 10);
    expect(betas[10]).toBeCloseTo(0.01, 10);
    expect(betas[18]).toBeCloseTo(0.015, 10);
    expect(rows[0]!['losses/kl_term']).toBe(0);
    const normaliser = BATCH; // kl.normalisation 'per-sample' (the default): KL_total ÷ rollout batch size
    // kl_term is β × mean over minibatches of KL_total ÷ normaliser; KL changes little within one update.
    const r = rows[10]!;
    expect((r['losses/kl_term'] as number) / ((0.01 * (r['varshare/kl_total'] as number)) / normaliser)).toBeCloseTo(1, 2);
    t.dispose();
  });

  it('exp3: β moves when R_ema leaves the band, and triggers are counted by direction', () => {
    // σ starts at 1e-3 and |θ| ~ 0.1–0.3, so R ≈ 0.005 < R_min = 0.05: β must go down every K updates.
    const low = run('exp3-ratio-controller', 8, { beta: { K: 2 } }, 1e-3);
    const betas = low.rows.map((r) => r['controller/beta'] as number);
    expect(low.rows.every((r) => (r['controller/R_ema'] as number) < 0.05)).toBe(true);
    expect(betas[0]).toBeCloseTo(0.01, 10);
    expect(betas.at(-1)!).toBeLessThan(0.01 / 1.1 ** 2);
    expect(low.rows.at(-1)!['controller/trigger_down_count']).toBeGreaterThanOrEqual(3);
    expect(low.rows.at(-1)!['controller/trigger_up_count']).toBe(0);
    expect(low.rows[0]!['controller/R_raw']).toBeCloseTo(low.rows[0]!['varshare/ratio_R'] as number, 12);
    low.t.dispose();
    // σ starts at 0.5: R ≈ 2 > R_max = 0.2, so β goes up every K updates.
    const high = run('exp3-ratio-controller', 8, { beta: { K: 2 } }, 0.5);
    expect(high.rows.every((r) => (r['controller/R_ema'] as number) > 0.2)).toBe(true);
    expect(high.rows.at(-1)!['controller/beta']).toBeGreaterThan(0.01 * 1.1 ** 2);
    expect(high.rows.at(-1)!['controller/trigger_up_count']).toBeGreaterThanOrEqual(3);
    expect(high.rows.at(-1)!['controller/trigger_down_count']).toBe(0);
    high.t.dispose();
  });

  it('exp4: σ_prior differs across tasks after a meta-update and is the per-task value in the KL', () => {
    const { t, rows } = run('exp4-loss-gap-prior', 6, { prior: { K: 2 } });
    const last = rows.at(-1)!;
    const tasks = t.taskNames;
    const sigmas = tasks.map((name) => last[`prior/sigma/${name}`] as number);
    expect(new Set(sigmas.map((s) => s.toFixed(6))).size).toBeGreaterThan(1);
    for (const s of sigmas) {
      expect(s).toBeGreaterThanOrEqual(0.01);
      expect(s).toBeLessThanOrEqual(0.1);
    }
    expect(rows[1]!['prior/z/baseline']).toBeDefined();
    // The KL is computed with these per-task values (σ_prior in effect after the last update).
    const state = t.agent.sigmaPrior.getState();
    expect(state.kind).toBe('per-task');
    const inEffect = state.kind === 'per-task' ? state.values : [];
    const layer = 'critic.1';
    const logged = last[`varshare/kl_layer/${layer}`] as number;
    expect(Math.abs(logged - manualLayerKl(t, layer, (m) => inEffect[m] as number)) / logged).toBeLessThan(1e-4);
    t.dispose();
  });

  it('exp5: the learned σ_prior per layer moves by gradient, with its penalty logged', () => {
    const { t, rows } = run('exp5-empirical-bayes', 4, { prior: { lrScale: 1 } });
    const first = rows[0]!;
    const last = rows.at(-1)!;
    for (const layer of t.agent.layerNames()) {
      // moved away from its float32 initial value log(0.1) by more than float noise
      expect(Math.abs((last[`prior/log_sigma/${layer}`] as number) - Math.fround(Math.log(0.1)))).toBeGreaterThan(1e-5);
      expect(last[`prior/sigma/${layer}`]).toBeCloseTo(Math.exp(last[`prior/log_sigma/${layer}`] as number), 10);
    }
    expect(last['prior/hyper_penalty']).toBeGreaterThan(0);
    expect(first['prior/hyper_penalty']).toBeLessThan(last['prior/hyper_penalty'] as number);
    const sp = Math.exp(last['prior/log_sigma/actor.1'] as number);
    const logged = last['varshare/kl_layer/actor.1'] as number;
    expect(Math.abs(logged - manualLayerKl(t, 'actor.1', () => sp)) / logged).toBeLessThan(1e-3);
    t.dispose();
  });
});
