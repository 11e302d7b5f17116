import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskRouting, hotOps, initBackend, kernelStats, resetKernelStats, tf } from '@varshare/core';
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

/** lunarlander-mt's continuous variant, one env per task, 16-step rollouts. */
const continuousTrainer = () =>
  new PPOTrainer({
    config: small({ envsPerTask: 1, ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 1 } }),
    controller: resolveVariant('baseline').config,
    suite: 'lunarlander-mt',
    suiteOptions: { continuous: true },
    seed: 1,
    totalSteps: 10_000,
  });

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
      const out = { mu: delta('/mu'), rho: delta('/rho'), theta: delta('/theta'), prior: delta('log_sigma_prior') };
      t.dispose();
      return out;
    };
    const normal = moved({});
    const slowPosterior = moved({ posteriorLrScale: 1e-6 });
    const slowTheta = moved({ thetaLrScale: 1e-6 });
    const slowRho = moved({ rhoLrScale: 1e-6 });
    expect(normal.mu).toBeGreaterThan(0);
    expect(normal.rho).toBeGreaterThan(0);
    expect(slowPosterior.mu).toBeLessThan(normal.mu * 1e-3);
    expect(slowPosterior.theta).toBeGreaterThan(normal.theta * 0.1);
    expect(slowTheta.theta).toBeLessThan(normal.theta * 1e-3);
    expect(slowTheta.mu).toBeGreaterThan(normal.mu * 0.1);
    // ρ's own scale slows ρ only; μ (same optimizer group) keeps its pace
    expect(slowRho.rho).toBeLessThan(normal.rho * 1e-3);
    expect(slowRho.mu).toBeGreaterThan(normal.mu * 0.1);
  });

  it("the posterior group's Adam ε takes effect: a large ε damps the small gradients on ρ like SGD", () => {
    const rhoMoved = (posteriorAdamEps: number) => {
      const t = make('baseline', 2, small({ optimizer: { posteriorAdamEps } }));
      const before = t.agent.getState();
      t.runUpdate();
      const after = t.agent.getState();
      const moved = Object.keys(before)
        .filter((k) => k.includes('/rho'))
        .reduce((s, k) => s + before[k]!.data.reduce((a, v, i) => a + Math.abs(v - after[k]!.data[i]!), 0), 0);
      t.dispose();
      return moved;
    };
    // ρ's gradients are ~1e-6–1e-5 per weight: ε = 1 makes each step ≈ lr·g, orders of magnitude shorter.
    expect(rhoMoved(1)).toBeLessThan(rhoMoved(1e-8) * 1e-2);
  });

  it('logs the KL pressure: per-group norms of the KL gradient equal the closed form, PPO norms are the rest', () => {
    // One minibatch step per update, so the logged norms are the gradients at the parameters before it.
    const cfg = small({ ppo: { numSteps: 32, numMinibatches: 1, updateEpochs: 1, learningRate: 1e-3 } });
    const t = make('exp1-fixed-prior', 3, cfg);
    const layers = [...t.agent.actor.layers, ...t.agent.critic.layers];
    const before = layers.map((l) => l.readPosterior());
    const beforeRho = t.agent.getState();
    const row = t.runUpdate().metrics;
    // loss KL term = β/B·Σ KL, σ_p = 0.01, β = 0.01, B = 20 envs × 32 steps (kl.normalisation per-sample)
    const c = 0.01 / 640;
    const sp2 = 0.01 * 0.01;
    let muSq = 0;
    let rhoSq = 0;
    for (const p of before) {
      p.mu.forEach((m, task) =>
        m.forEach((u, i) => {
          const s = p.sigma[task]![i]!;
          muSq += (c * (u / sp2)) ** 2;
          // ∂KL/∂ρ = (σ/σ_p² − 1/σ)·sigmoid(ρ), sigmoid(ρ) = 1 − e^(−σ) for σ = softplus(ρ)
          rhoSq += (c * (s / sp2 - 1 / s) * -Math.expm1(-s)) ** 2;
        }),
      );
    }
    expect(row['grad/kl_norm/mu']).toBeCloseTo(Math.sqrt(muSq), 12);
    expect((row['grad/kl_norm/rho'] as number) / Math.sqrt(rhoSq)).toBeCloseTo(1, 4);
    expect(row['grad/kl_norm/theta']).toBe(0); // the KL does not depend on θ
    expect(row['grad/ppo_norm/theta']).toBeGreaterThan(0);
    expect(row['grad/ppo_norm/mu']).toBeGreaterThan(0);
    expect(row['grad/ppo_norm/rho']).toBeGreaterThan(0); // sampled weights (frozen noise) in the loss
    expect(row['grad/kl_norm/prior']).toBeUndefined(); // no learned prior in exp1
    const rhoCount = Object.keys(beforeRho).filter((k) => k.includes('/rho')).reduce((n, k) => n + beforeRho[k]!.data.length, 0);
    expect(row['grad/kl_rms/rho']).toBeCloseTo((row['grad/kl_norm/rho'] as number) / Math.sqrt(rhoCount), 15);
    // median |Δρ| of the one step, against the parameters themselves (float32 rounding of ρ + Δ aside)
    const afterRho = t.agent.getState();
    const deltas = Object.keys(beforeRho)
      .filter((k) => k.includes('/rho'))
      .flatMap((k) => Array.from(beforeRho[k]!.data, (v, i) => Math.abs(afterRho[k]!.data[i]! - v)))
      .sort((a, b) => a - b);
    const mid = deltas.length / 2;
    const expected = deltas.length % 2 ? deltas[Math.floor(mid)]! : (deltas[mid - 1]! + deltas[mid]!) / 2;
    expect((row['step/rho_abs_median'] as number) / expected).toBeCloseTo(1, 2);
    t.dispose();
  });

  it("exp5: the learned prior's gradient stays out of the network's clip norm", () => {
    // θ after one step must not depend on how large the prior's gradient is (λ_hyper 0 vs 1e6, with the
    // spring's target 1.0 away from the initial σ_prior 0.1, so its gradient 2λ·(log 0.1 − log 1) is huge).
    const cfg = small({ ppo: { numSteps: 32, numMinibatches: 1, updateEpochs: 1, learningRate: 1e-3 } });
    const thetaAfter = (hyperLambda: number) => {
      const controller = { ...resolveVariant('exp5-empirical-bayes').config, prior: { ...resolveVariant('exp5-empirical-bayes').config.prior, hyperLambda, target: 1 } };
      const t = new PPOTrainer({ config: cfg, controller: controller as never, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed: 4, totalSteps: 640 });
      const row = t.runUpdate().metrics;
      const st = t.agent.getState();
      t.dispose();
      return { theta: st['actor.1/theta']!.data, prior: row['grad/kl_norm/prior'] as number };
    };
    const weak = thetaAfter(0);
    const strong = thetaAfter(1e6);
    expect(strong.prior).toBeGreaterThan(weak.prior * 1e3);
    expect(Array.from(strong.theta)).toEqual(Array.from(weak.theta));
  });

  it("exp4 measures the critic loss gap on the fresh rollout, before the update's epochs train on it", () => {
    const exp4 = resolveVariant('exp4-loss-gap-prior').config;
    const controller = { ...exp4, prior: { ...exp4.prior, K: 1 } } as typeof exp4; // a meta-update after every update
    const t = new PPOTrainer({ config: small(), controller, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed: 3, totalSteps: 640 });
    const fingerprint = () => JSON.stringify(Object.values(t.agent.getState()).map((a) => Array.from(a.data.subarray(0, 8))));
    const seen: { state: string; rows: number }[] = [];
    const original = t.criticLossGap.bind(t);
    t.criticLossGap = (obs, targets, ids) => {
      seen.push({ state: fingerprint(), rows: ids.length });
      return original(obs, targets, ids);
    };
    const before = fingerprint();
    const row = t.runUpdate().metrics;
    expect(seen).toHaveLength(1);
    expect(seen[0]!.rows).toBe(640); // the whole fresh rollout (20 envs × 32 steps)
    expect(seen[0]!.state).toBe(before); // measured before any optimizer step
    expect(fingerprint()).not.toBe(before);
    expect(row['prior/delta/baseline']).toBeDefined();
    t.dispose();
  });

  it('steps a heavy suite on two threads with the same numbers as one (training envs, and evaluations on a worker whose env is sharded too)', async () => {
    const config = small({ envsPerTask: 1, ppo: { numSteps: 16, numMinibatches: 2, updateEpochs: 1, learningRate: 1e-3 }, eval: { interval: 1, episodes: 2 } });
    const run = async (threads: number) => {
      const t = await PPOTrainer.create({ config, controller: resolveVariant('exp4-loss-gap-prior').config, suite: 'arm-mt10', suiteOptions: { maxEpisodeSteps: 30 }, seed: 3, totalSteps: 160 * 2, threads });
      expect('threads' in t.env ? t.env.threads : 1).toBe(threads);
      expect(hotOps().kernelThreads()).toBe(1); // a 16-wide network keeps its kernels on one thread
      const rows = runAll(t);
      // one thread evaluates in runUpdate, two on a worker thread
      const evals = [...rows.map((r) => r.eval).filter((e) => e !== null), ...t.flushEvaluations()];
      expect(t.evaluationEnvThreads()).toBe(threads); // the worker's 20 evaluation rows on two threads
      const state = t.getCheckpoint().json.env;
      t.dispose();
      return { metrics: rows.map((r) => stripTiming(r.metrics)), evals, state };
    };
    const one = await run(1);
    const two = await run(2);
    expect(two.metrics).toEqual(one.metrics);
    expect(two.evals).toEqual(one.evals);
    expect(two.state).toEqual(one.state);
  });

  it('splits a wide network\'s update over two kernel threads with the same numbers as one, and stops them on dispose', async () => {
    const config = small({ network: { hiddenSizes: [256, 256] }, ppo: { numSteps: 32, numMinibatches: 2, updateEpochs: 1, learningRate: 1e-3 }, eval: { interval: 100, episodes: 1 } });
    const run = async (threads: number) => {
      const t = await PPOTrainer.create({ config, controller: resolveVariant('exp3-ratio-controller').config, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed: 8, totalSteps: 640 * 2, threads });
      expect(hotOps().kernelThreads()).toBe(threads);
      resetKernelStats();
      const results = runAll(t);
      const rows = results.map((r) => stripTiming(r.metrics));
      const split = kernelStats()?.threadedCalls ?? 0;
      const state = t.agent.getState();
      // the last evaluation: in this thread at 1; at 2 on the worker, alone, its products over two kernel threads
      const evals = [...results.map((r) => r.eval).filter((e) => e !== null), ...t.flushEvaluations()];
      t.dispose();
      expect(hotOps().kernelThreads()).toBe(1);
      return { rows, split, evals, state: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Array.from(v.data)])) };
    };
    const one = await run(1);
    const two = await run(2);
    expect(one.split).toBe(0);
    expect(two.split).toBeGreaterThan(0); // the 256-wide products really ran on two threads
    expect(two.rows).toEqual(one.rows);
    expect(two.state).toEqual(one.state);
    expect(one.evals.length).toBe(1);
    expect(two.evals).toEqual(one.evals);
  });

  it('evaluates on a worker thread while training goes on, with the rows of an in-thread evaluation', async () => {
    const config = small({ eval: { interval: 1, episodes: 2 } });
    const variant = resolveVariant('exp5-empirical-bayes').config;
    const make2 = (threads: number) => PPOTrainer.create({ config, controller: variant, suite: 'cartpole-mt', suiteOptions: { maxEpisodeSteps: 60 }, seed: 6, totalSteps: 640 * 3, threads });
    const inThread = await make2(1);
    const want = runAll(inThread).map((r) => r.eval);
    inThread.dispose();
    const bg = await make2(2);
    const got: (Record<string, number> | null)[] = [];
    while (!bg.done) {
      got.push(...bg.takeEvaluations()); // rows of earlier updates, as they finish
      const r = bg.runUpdate();
      expect([r.eval, r.evalSubmitted]).toEqual([null, true]); // the row comes later, from the worker
    }
    got.push(...bg.flushEvaluations());
    expect(got).toEqual(want);
    bg.dispose();
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
    const cont = continuousTrainer();
    const rc = cont.runUpdate();
    expect(Number.isFinite(rc.metrics['losses/policy_loss'])).toBe(true);
    expect(cont.agent.logStd).not.toBeNull();
    cont.dispose();
  });

  it('frees its tensors: none accumulates over updates and evaluations, none outlives dispose', () => {
    const cases: [string, () => PPOTrainer][] = [
      ['baseline', () => make('baseline', 3)],
      ['exp5 (learned prior, hyperprior)', () => make('exp5-empirical-bayes', 3)],
      ['low-rank, local noise', () => make('exp1-fixed-prior', 3, small({ network: { hiddenSizes: [16, 16], residual: 'low-rank', rank: 2 }, weights: { noise: 'local' } }))],
      ['shared MLP', () => make('baseline', 3, small({ network: { hiddenSizes: [16, 16], residual: 'none' } }))],
      ['continuous actions', continuousTrainer],
    ];
    for (const [name, create] of cases) {
      const before = tf.memory();
      const t = create();
      t.runUpdate();
      const held = tf.memory().numTensors;
      // update 2 evaluates (eval.interval 2)
      t.runUpdate();
      t.runUpdate();
      expect(tf.memory().numTensors, `${name}: tensors after updates 1 and 3`).toBe(held);
      t.dispose();
      expect(tf.memory().numTensors, `${name}: tensors after dispose`).toBe(before.numTensors);
      expect(tf.memory().numBytes, `${name}: bytes after dispose`).toBe(before.numBytes);
    }
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
