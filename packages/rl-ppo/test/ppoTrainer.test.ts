import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskRouting, initBackend, tf } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { isTimingKey } from '@varshare/metrics';
import { MultiTaskAgent, PPOTrainer, loadCheckpoint, saveCheckpoint, trainingConfigSchema, type UpdateResult } from '../src/index';

beforeAll(async () => {
  await initBackend('wasm');
});
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A small, fast configuration (20 envs × 32 steps). */
const small = (over: Record<string, unknown> = {}) =>
  trainingConfigSchema.parse({
    envsPerTask: 2,
    ppo: { numSteps: 32, numMinibatches: 4, updateEpochs: 2, learningRate: 1e-3 },
    network: { hiddenSizes: [16, 16] },
    eval: { interval: 2, episodes: 2 },
    ...over,
  });

const make = (variant: string, seed: number, config = small(), totalSteps = 640 * 4) =>
  new PPOTrainer({ config, controller: resolveVariant(variant).config, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed, totalSteps });

const stripTiming = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([k]) => !isTimingKey(k) && !k.endsWith('_s')));

function runAll(t: PPOTrainer): UpdateResult[] {
  const out: UpdateResult[] = [];
  while (!t.done) out.push(t.runUpdate());
  return out;
}

describe('PPOTrainer', () => {
  it('is a function of (config, seed): same seed ⇒ identical logs, different seed ⇒ different', () => {
    const a = make('exp3-ratio-controller', 5);
    const b = make('exp3-ratio-controller', 5);
    const c = make('exp3-ratio-controller', 6);
    const [ra, rb, rc] = [runAll(a), runAll(b), runAll(c)];
    expect(ra.map((r) => stripTiming(r.metrics))).toEqual(rb.map((r) => stripTiming(r.metrics)));
    expect(ra.map((r) => r.eval)).toEqual(rb.map((r) => r.eval));
    expect(ra.map((r) => stripTiming(r.metrics))).not.toEqual(rc.map((r) => stripTiming(r.metrics)));
    [a, b, c].forEach((t) => t.dispose());
  });

  it('resumes from a checkpoint file exactly (N straight = N/2 + save/load + N/2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppo-ckpt-'));
    dirs.push(dir);
    for (const variant of ['baseline', 'exp4-loss-gap-prior', 'exp5-empirical-bayes']) {
      const straight = make(variant, 9);
      const full = runAll(straight);
      const first = make(variant, 9);
      const head = [first.runUpdate(), first.runUpdate()];
      saveCheckpoint(join(dir, `${variant}.ckpt`), first.getCheckpoint());
      first.dispose();
      const resumed = make(variant, 9);
      resumed.restoreCheckpoint(loadCheckpoint(join(dir, `${variant}.ckpt`)));
      const tail = runAll(resumed);
      const joined = [...head, ...tail];
      expect(joined.map((r) => stripTiming(r.metrics))).toEqual(full.map((r) => stripTiming(r.metrics)));
      expect(joined.map((r) => r.eval)).toEqual(full.map((r) => r.eval));
      straight.dispose();
      resumed.dispose();
    }
  });

  it('routes tasks per sample: mixed-minibatch gradients equal the sum of per-task gradients', () => {
    const agent = new MultiTaskAgent({
      obsDim: 3,
      action: { kind: 'discrete', n: 2 },
      numTasks: 3,
      network: small().network,
      sigmaPrior: { kind: 'global', value: 1 },
      seed: 4,
    });
    tf.tidy(() => agent.parameterGroups().posterior.forEach((v, k) => k.includes('/mu') && v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', 7))));
    const obs = tf.randomNormal([9, 3], 0, 1, 'float32', 3) as tf.Tensor2D;
    const ids = [2, 0, 1, 1, 0, 2, 2, 1, 0];
    const vars = [...agent.parameterGroups().theta.values(), ...agent.parameterGroups().posterior.values()];
    const lossOn = (rows: number[]) => () =>
      tf.tidy(() => {
        const x = tf.gather(obs, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
        const r = new TaskRouting(rows.map((i) => ids[i] as number), 3);
        const logits = agent.actor.applyRouted(x, r, { weights: 'sample', noise: { kind: 'frozen', seed: 1 } });
        const v = agent.critic.applyRouted(x, r, { weights: 'mean' });
        return tf.add(tf.sum(tf.square(logits)), tf.sum(v)) as tf.Scalar;
      });
    const all = tf.variableGrads(lossOn(ids.map((_, i) => i)), vars);
    const perTask = [0, 1, 2].map((t) => tf.variableGrads(lossOn(ids.flatMap((id, i) => (id === t ? [i] : []))), vars));
    let compared = 0;
    for (const v of vars) {
      const mixed = all.grads[v.name];
      if (!mixed) continue; // not on the loss path (e.g. the critic's ρ under mean weights)
      compared += 1;
      const summed = tf.addN(perTask.map((p) => p.grads[v.name] as tf.Tensor));
      expect(tf.max(tf.abs(tf.sub(mixed, summed))).dataSync()[0]).toBeLessThan(1e-4);
    }
    expect(compared).toBeGreaterThan(10);
    // and task routing matters: the μ of task 2 gets no gradient from task-0 rows
    const mu0 = [...agent.parameterGroups().posterior.entries()].find(([k]) => k === 'actor.0/mu0')![1];
    const g0 = perTask[0]!.grads[mu0.name] as tf.Tensor;
    const task2Slice = tf.slice(g0, [2, 0, 0], [1, -1, -1]);
    expect(tf.max(tf.abs(task2Slice)).dataSync()[0]).toBe(0);
    agent.dispose();
  });

  it('each optimizer group has its own learning rate, and it takes effect', () => {
    const moved = (over: Record<string, unknown>, variant = 'baseline') => {
      const t = make(variant, 2, small({ optimizer: over }));
      const before = t.agent.getState();
      t.runUpdate();
      const after = t.agent.getState();
      const delta = (prefix: string) =>
        Object.keys(before)
          .filter((k) => k.includes(prefix))
          .reduce((s, k) => s + before[k]!.data.reduce((a, v, i) => a + Math.abs(v - after[k]!.data[i]!), 0), 0);
      const out = { mu: delta('/mu'), theta: delta('/theta'), prior: delta('log_sigma_prior') };
      t.dispose();
      return out;
    };
    const normal = moved({});
    const slowPosterior = moved({ posteriorLrScale: 1e-6 });
    const slowTheta = moved({ thetaLrScale: 1e-6 });
    expect(normal.mu).toBeGreaterThan(0);
    expect(slowPosterior.mu).toBeLessThan(normal.mu * 1e-3);
    expect(slowPosterior.theta).toBeGreaterThan(normal.theta * 0.1);
    expect(slowTheta.theta).toBeLessThan(normal.theta * 1e-3);
    expect(slowTheta.mu).toBeGreaterThan(normal.mu * 0.1);
  });

  it('builds identical networks (θ, μ, ρ, init and activation) for every variant from the same seed', () => {
    const variants = ['baseline', 'exp1-fixed-prior', 'exp2-beta-anneal', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes'];
    const states = variants.map((v) => {
      const t = make(v, 11);
      const st = t.agent.getState();
      const names = t.agent.layerNames();
      const act = [t.agent.actor.activation, t.agent.critic.activation];
      t.dispose();
      // exp5 adds its learned log σ_prior variables; everything else must match bit for bit.
      return { names, act, arrays: Object.fromEntries(Object.entries(st).filter(([k]) => !k.startsWith('log_sigma_prior/')).map(([k, v]) => [k, Array.from(v.data)])) };
    });
    for (const s of states.slice(1)) {
      expect(s.names).toEqual(states[0]!.names);
      expect(s.act).toEqual(states[0]!.act);
      expect(s.arrays).toEqual(states[0]!.arrays);
    }
    expect(Object.keys(states[0]!.arrays).length).toBeGreaterThan(10);
  });

  it('reports the acting mode and rejects an adapters-only scope without adapters', () => {
    const t = make('baseline', 1);
    expect(t.actingMode()).toEqual({ rolloutWeights: 'sample', trainWeights: 'sample', noise: 'frozen', samplingScope: 'full-residual', evalWeights: 'mean', network: 'varshare' });
    t.dispose();
    expect(() => make('baseline', 1, small({ weights: { samplingScope: 'adapters-only' } }))).toThrow(/samplingScope 'adapters-only' needs network.residual 'low-rank'/);
  });

  it('computes the loss-gap signal per task with shared-only and adapted weights', () => {
    const t = make('baseline', 3);
    runAll(t);
    const obs = Float32Array.from({ length: 30 * 4 }, (_, i) => Math.sin(i));
    const ids = Int32Array.from({ length: 30 }, (_, i) => i % 10);
    const targets = Float32Array.from({ length: 30 }, (_, i) => (i % 10) / 10);
    const { lShared, lAdapt } = t.criticLossGap(obs, targets, ids);
    expect(lShared).toHaveLength(10);
    expect(lAdapt).toHaveLength(10);
    expect(lShared.every(Number.isFinite) && lAdapt.every(Number.isFinite)).toBe(true);
    expect(lShared.some((v, i) => Math.abs(v - lAdapt[i]!) > 1e-9)).toBe(true);
    t.dispose();
  });

  it('runs the shared-mlp reference and continuous actions on the same code path', () => {
    const shared = make('baseline', 1, small({ network: { hiddenSizes: [16, 16], residual: 'none' } }), 640);
    const r = shared.runUpdate();
    expect(r.metrics['varshare/kl_total']).toBeUndefined();
    expect(Number.isFinite(r.metrics['losses/value_loss'])).toBe(true);
    expect(shared.actingMode().network).toBe('shared-mlp');
    shared.dispose();
    const cont = new PPOTrainer({
      config: small({ envsPerTask: 1, ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 1 } }),
      controller: resolveVariant('baseline').config,
      suite: 'lunarlander-mt',
      suiteOptions: { continuous: true },
      seed: 1,
      totalSteps: 10_000,
    });
    const rc = cont.runUpdate();
    expect(Number.isFinite(rc.metrics['losses/policy_loss'])).toBe(true);
    expect(cont.agent.logStd).not.toBeNull();
    cont.dispose();
  });

  it('trains a single-task continuous suite (the Python bridge with a plain-Python toy env)', async () => {
    const t = await PPOTrainer.create({
      config: small({ envsPerTask: 4, ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 1 } }),
      controller: resolveVariant('exp4-loss-gap-prior').config,
      suite: 'gym:toy:ToyReach',
      seed: 1,
      totalSteps: 64,
    });
    expect(t.taskNames).toHaveLength(1);
    const r = t.runUpdate();
    expect(Number.isFinite(r.metrics['losses/policy_loss'])).toBe(true);
    expect(r.metrics['prior/sigma/toy:ToyReach']).toBeGreaterThan(0);
    t.dispose();
  });

  it("stratified-by-task minibatches: same numbers of updates, deterministic, rejected without equal task counts", () => {
    const cfg = small({ ppo: { numSteps: 32, numMinibatches: 4, updateEpochs: 2, learningRate: 1e-3, minibatchSampling: 'stratified-by-task' } });
    const a = make('baseline', 4, cfg, 640 * 2);
    const b = make('baseline', 4, cfg, 640 * 2);
    const ra = runAll(a).map((r) => stripTiming(r.metrics));
    expect(ra).toEqual(runAll(b).map((r) => stripTiming(r.metrics)));
    expect(ra[0]!['charts/minibatch_updates']).toBe(8);
    const uniform = make('baseline', 4, small(), 640 * 2);
    expect(runAll(uniform).map((r) => stripTiming(r.metrics))).not.toEqual(ra);
    [a, b, uniform].forEach((t) => t.dispose());
    const bad = new PPOTrainer({ config: cfg, controller: resolveVariant('baseline').config, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60, taskSampling: 'uniform' }, seed: 1, totalSteps: 640 });
    expect(() => bad.runUpdate()).toThrow(/stratified-by-task' needs every task to hold the same number of rows/);
    bad.dispose();
  });

  it('learns cartpole-mt well above a random policy (fixed seed, small budget)', () => {
    const config = trainingConfigSchema.parse({
      envsPerTask: 4,
      ppo: { numSteps: 64, numMinibatches: 8, learningRate: 1e-3 },
      eval: { interval: 100, episodes: 3 },
    });
    const t = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite: 'cartpole-mt', seed: 1, totalSteps: 25_600 });
    const rows = runAll(t);
    const finalEval = rows.at(-1)!.eval!;
    // A uniformly random policy averages ~22 steps on CartPole; the suite's tasks are similar.
    expect(finalEval['eval/return_mean']).toBeGreaterThan(100);
    t.dispose();
  });
});
