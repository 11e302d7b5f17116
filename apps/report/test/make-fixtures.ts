/**
 * SYNTHETIC fixture run directories for the report tests, written with `@varshare/metrics`'
 * writers in exactly the trainer's run-directory format. The numbers are plausible but made up
 * (seeded, deterministic): they exercise every table and chart, not any claim about the variants.
 * Every config carries `meta.gitCommit = "synthetic-fixture"` so nobody mistakes them for results.
 *
 *   npx tsx --conditions=source test/make-fixtures.ts [OUT_DIR]   (default test/fixtures/synthetic)
 *
 * Layout: cartpole-mt × {baseline, exp3-ratio-controller, exp4-loss-gap-prior, exp5-empirical-bayes}
 * × seeds {1, 2} complete, plus three runs the report must skip: a corrupt one (garbage line in the
 * middle of metrics.jsonl), a partial one (still "running") and a failed one.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@varshare/base';
import { JsonlWriter, runDirPath, runFiles, writeJsonAtomic, writeSummary } from '@varshare/metrics';

export const FIXTURE_TASKS = [
  'baseline', 'short-light-pole', 'long-heavy-pole', 'low-gravity', 'tight-limits',
  'heavy-cart', 'strong-force', 'weak-force', 'high-gravity', 'wide-limits',
] as const;
export const FIXTURE_LAYERS = ['actor.0', 'actor.1', 'actor.2', 'critic.0', 'critic.1', 'critic.2'] as const;
export const FIXTURE_VARIANTS = ['baseline', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes'] as const;
export const FIXTURE_SEEDS = [1, 2] as const;

const SUITE = 'cartpole-mt';
const UPDATES = 12;
const STEPS_PER_UPDATE = 320; // 10 tasks × 1 env × 32 steps
const EVAL_EVERY = 3;

/**
 * Uniform in [0, 1) with 53 random bits from two draws (27 + 26 bits, numpy's genrand_res53): the
 * uniform the checked-in fixtures were generated with, kept so they stay byte-identical.
 */
function uniform53(rng: Rng): number {
  const a = rng.nextUint32() >>> 5;
  const b = rng.nextUint32() >>> 6;
  return (a * 67108864 + b) / 9007199254740992;
}

/** Standard normal from two uniforms (Box–Muller, the cosine branch only). */
function normal(rng: Rng): number {
  const u = 1 - uniform53(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform53(rng));
}

/** 4 significant digits keep the fixture files small. */
const r4 = (x: number): number => Number(x.toPrecision(4));

function controllerOf(variant: string): Record<string, unknown> {
  const fixedBeta = { kind: 'fixed', beta1: 0.01 };
  const fixedPrior = { kind: 'fixed', sigma: 1 };
  switch (variant) {
    case 'exp3-ratio-controller':
      return { beta: { kind: 'ratio', beta1: 0.01, alpha: 0.05, K: 2, rMin: 0.05, rMax: 0.2, gammaUp: 1.1, gammaDown: 1.1, betaMin: 1e-4, betaMax: 100, eps: 1e-8, rEmaInit: 'first' }, prior: fixedPrior };
    case 'exp4-loss-gap-prior':
      return { beta: fixedBeta, prior: { kind: 'loss-gap', K: 2, alpha: 0.05, sigmaMin: 0.01, sigmaMax: 0.3, kappa: 1, eps: 1e-8 } };
    case 'exp5-empirical-bayes':
      return { beta: fixedBeta, prior: { kind: 'learned', init: 0.1, lrScale: 0.1, lambdaHyper: 1e-3, target: 0.1, detachSigma: true } };
    default:
      return { beta: fixedBeta, prior: fixedPrior };
  }
}

function configOf(variant: string, seed: number): Record<string, unknown> {
  return {
    suite: SUITE,
    variant,
    seed,
    steps: UPDATES * STEPS_PER_UPDATE,
    env: { suite: SUITE, maxEpisodeSteps: 500 },
    ppo: { learningRate: 2.5e-4, annealLr: true, numSteps: 32, gamma: 0.99, gaeLambda: 0.95, numMinibatches: 4, updateEpochs: 4, clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5 },
    kl: { normalisation: 'per-weight' },
    optimizer: { thetaLrScale: 1, posteriorLrScale: 1 },
    normalisation: { observation: 'per-task', reward: 'per-task', clipObservation: 10, clipReward: 10 },
    network: { hidden: [64, 64], residual: 'full' },
    weights: { rollout: 'sample', train: 'sample', noise: 'frozen', samplingScope: 'full-residual', eval: 'mean' },
    eval: { interval: EVAL_EVERY, episodes: 2, deterministic: true },
    envsPerTask: 1,
    controller: controllerOf(variant),
    checkpoint: { interval: 4 },
    meta: {
      version: '0.1.0',
      gitCommit: 'synthetic-fixture',
      backend: 'wasm',
      actingMode: { rolloutWeights: 'sample', trainWeights: 'sample', noise: 'frozen', samplingScope: 'full-residual', evalWeights: 'mean', network: 'varshare' },
      startTime: '2025-01-01T00:00:00.000Z',
    },
  };
}

/** Task difficulty (final mean return of the baseline) and each variant's made-up effect. */
const TASK_LEVEL = [480, 300, 220, 450, 180, 260, 470, 150, 330, 490];
const VARIANT_EFFECT: Record<string, number> = { baseline: 0, 'exp3-ratio-controller': 25, 'exp4-loss-gap-prior': 10, 'exp5-empirical-bayes': -15 };

interface RunPlan {
  readonly variant: string;
  readonly seed: number;
  /** Updates actually written (less than UPDATES for a partial run). */
  readonly updates: number;
  readonly status: 'completed' | 'running' | 'failed';
}

function writeRun(root: string, plan: RunPlan): string {
  const { variant, seed } = plan;
  const dir = runDirPath(root, SUITE, variant, seed);
  mkdirSync(dir, { recursive: true });
  const files = runFiles(dir);
  writeJsonAtomic(files.config, configOf(variant, seed));
  const rng = new Rng(seed * 1000 + FIXTURE_VARIANTS.indexOf(variant as (typeof FIXTURE_VARIANTS)[number]) + 1);
  const metrics = new JsonlWriter(files.metrics);
  const evals = new JsonlWriter(files.eval);
  let beta = 0.01;
  let up = 0;
  let down = 0;
  let rEma = Number.NaN;
  let lastEval: Record<string, number> | undefined;
  const progress = (u: number): number => 1 - Math.exp(-3 * (u / UPDATES));
  for (let u = 1; u <= plan.updates; u++) {
    const p = progress(u);
    const rec: Record<string, number> = { update: u, env_steps: u * STEPS_PER_UPDATE, wall_s: r4(u * 1.7) };
    const returns = TASK_LEVEL.map((lvl, t) => Math.min(500, Math.max(8, r4(p * (lvl + (VARIANT_EFFECT[variant] ?? 0)) + 20 * normal(rng) + t))));
    rec['train/return_mean'] = r4(returns.reduce((a, b) => a + b, 0) / returns.length);
    FIXTURE_TASKS.forEach((task, t) => (rec[`train/return/${task}`] = returns[t] as number));
    rec['losses/policy_loss'] = r4(-0.01 + 0.005 * normal(rng));
    rec['losses/value_loss'] = r4(20 * (1 - p) + 2 * Math.abs(normal(rng)));
    rec['losses/entropy'] = r4(0.69 - 0.2 * p);
    rec['losses/approx_kl'] = r4(0.005 + 0.001 * Math.abs(normal(rng)));
    rec['losses/clipfrac'] = r4(0.05 + 0.01 * Math.abs(normal(rng)));
    rec['losses/explained_variance'] = r4(0.9 * p);
    rec['charts/learning_rate'] = r4(2.5e-4 * (1 - (u - 1) / UPDATES));
    rec['charts/SPS'] = r4(180 + 10 * normal(rng));
    rec['charts/rollout_s'] = r4(1.1 + 0.05 * normal(rng));
    // Posterior σ drifts up under the unit prior (baseline), is held by exp3/exp4/exp5.
    const sigmaGrowth = variant === 'baseline' ? 0.9 * p : variant === 'exp3-ratio-controller' ? 0.08 * p : 0.03 * p;
    const klTotal = r4(4.5 - 2 * p + 0.1 * normal(rng));
    rec['varshare/kl_total'] = klTotal;
    FIXTURE_TASKS.forEach((task, t) => {
      rec[`varshare/kl/${task}`] = r4(klTotal / 10 * (1 + 0.05 * t));
      rec[`varshare/mu_abs_median/${task}`] = r4(0.002 + 0.01 * p * (1 + t / 5));
      rec[`varshare/sigma_median/${task}`] = r4(0.0067 + sigmaGrowth * (1 + 0.02 * t));
    });
    FIXTURE_LAYERS.forEach((layer, l) => {
      rec[`varshare/ratio_R/${layer}`] = r4((0.0067 + sigmaGrowth) / (0.08 + 0.01 * l));
      rec[`varshare/mu_abs_median/${layer}`] = r4(0.002 + 0.008 * p * (1 + l / 3));
      rec[`varshare/sigma_median/${layer}`] = r4(0.0067 + sigmaGrowth * (1 + 0.03 * l));
      rec[`varshare/kl_layer/${layer}`] = r4(klTotal / 6);
    });
    const rRaw = r4((0.0067 + sigmaGrowth) / 0.09);
    rec['varshare/ratio_R'] = rRaw;
    rec['losses/kl_term'] = r4(beta * klTotal);
    rec['controller/beta'] = r4(beta);
    if (variant === 'exp3-ratio-controller') {
      rEma = Number.isNaN(rEma) ? rRaw : 0.95 * rEma + 0.05 * rRaw;
      if (u % 2 === 0) {
        if (rEma > 0.2) {
          up += 1;
          beta = Math.min(beta * 1.1, 100);
        } else if (rEma < 0.05) {
          down += 1;
          beta = Math.max(beta / 1.1, 1e-4);
        }
      }
      rec['controller/trigger_up_count'] = up;
      rec['controller/trigger_down_count'] = down;
      rec['controller/R_raw'] = rRaw;
      rec['controller/R_ema'] = r4(rEma);
    }
    if (variant === 'exp4-loss-gap-prior') {
      FIXTURE_TASKS.forEach((task, t) => {
        const z = (t - 4.5) / 3;
        rec[`prior/sigma/${task}`] = r4(Math.sqrt(0.01 ** 2 + (0.3 ** 2 - 0.01 ** 2) / (1 + Math.exp(-z * p))));
        rec[`prior/delta/${task}`] = r4(0.1 * z + 0.02 * normal(rng));
        rec[`prior/delta_ema/${task}`] = r4(0.1 * z * p);
        rec[`prior/z/${task}`] = r4(z * p);
      });
    } else if (variant === 'exp5-empirical-bayes') {
      let penalty = 0;
      FIXTURE_LAYERS.forEach((layer, l) => {
        const logSigma = Math.log(0.1) + (l < 3 ? -0.4 : 0.3) * p * (1 + l / 6);
        penalty += (logSigma - Math.log(0.1)) ** 2;
        rec[`prior/sigma/${layer}`] = r4(Math.exp(logSigma));
        rec[`prior/log_sigma/${layer}`] = r4(logSigma);
      });
      rec['prior/hyper_penalty'] = r4(1e-3 * penalty);
    } else {
      rec['prior/sigma'] = 1;
    }
    metrics.append(rec);
    if (u % EVAL_EVERY === 0) {
      const ev: Record<string, number> = { update: u, env_steps: u * STEPS_PER_UPDATE };
      const evReturns = TASK_LEVEL.map((lvl) => Math.round(Math.min(500, Math.max(9, p * (lvl + (VARIANT_EFFECT[variant] ?? 0)) + 25 * normal(rng)))));
      ev['eval/return_mean'] = r4(evReturns.reduce((a, b) => a + b, 0) / evReturns.length);
      FIXTURE_TASKS.forEach((task, t) => (ev[`eval/return/${task}`] = evReturns[t] as number));
      ev['eval/episodes_per_task'] = 2;
      evals.append(ev);
      lastEval = ev;
    }
  }
  metrics.close();
  evals.close();
  const finalEval = lastEval === undefined ? undefined : Object.fromEntries(Object.entries(lastEval).filter(([k]) => k.startsWith('eval/')));
  writeSummary(dir, {
    status: plan.status,
    ...(plan.status === 'failed' && { message: 'NaN in policy loss at update 5 (synthetic failure)' }),
    ...(plan.status === 'completed' && finalEval !== undefined && { final_eval: finalEval }),
    wall_s: r4(plan.updates * 1.7),
    updates: plan.updates,
    env_steps: plan.updates * STEPS_PER_UPDATE,
    started_at: '2025-01-01T00:00:00.000Z',
    ...(plan.status !== 'running' && { finished_at: '2025-01-01T00:01:00.000Z' }),
  });
  return dir;
}

/** Writes the synthetic fixture tree under `root` (replacing it). Returns the run directories written. */
export function makeSyntheticFixtures(root: string): string[] {
  rmSync(root, { recursive: true, force: true });
  const dirs: string[] = [];
  for (const variant of FIXTURE_VARIANTS) for (const seed of FIXTURE_SEEDS) dirs.push(writeRun(root, { variant, seed, updates: UPDATES, status: 'completed' }));
  // Corrupt: a complete run whose metrics.jsonl has an unparsable line in the middle.
  const corrupt = writeRun(root, { variant: 'baseline', seed: 3, updates: UPDATES, status: 'completed' });
  const lines = readFileSync(runFiles(corrupt).metrics, 'utf8').split('\n');
  lines.splice(4, 0, '{"update": 4.5, "env_steps": oops');
  rmSync(runFiles(corrupt).metrics);
  appendFileSync(runFiles(corrupt).metrics, lines.join('\n'));
  dirs.push(corrupt);
  // Partial: still running after 5 of 12 updates (and a torn last line, as after a kill).
  const partial = writeRun(root, { variant: 'exp3-ratio-controller', seed: 3, updates: 5, status: 'running' });
  appendFileSync(runFiles(partial).metrics, '{"update": 6, "env_st');
  dirs.push(partial);
  dirs.push(writeRun(root, { variant: 'exp4-loss-gap-prior', seed: 3, updates: 5, status: 'failed' }));
  return dirs;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'synthetic'));
  const dirs = makeSyntheticFixtures(out);
  console.log(`wrote ${dirs.length} synthetic run directories under ${out}`);
}
