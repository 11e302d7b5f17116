/**
 * Throughput benchmark suite (issue 9). Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/run.ts            # full run (~2–3 min)
 *   node --conditions=source --import tsx tools/bench/run.ts --quick    # fewer repetitions
 *
 * Prints a table and writes bench-results/bench.json. Sections:
 *  1. peak: 512³ matmul GFLOP/s (flops = 2·M·N·K) of tfjs-wasm and of the SIMD kernel; the larger
 *     is the reference for "achieved vs peak";
 *  2. e2e: PPOTrainer env-steps/s on cartpole-mt (10 tasks, 64×64 actor and critic), VarShare and
 *     shared-mlp (network.residual 'none'), split into rollout and update seconds per PPO update
 *     (evaluation excluded: the run is longer than the updates timed); then `varshare train` itself
 *     (the CLI, the suite's experiment defaults, evaluation included) for baseline and shared-mlp;
 *  3. net: one PPO-shaped minibatch step (actor+critic forward, categorical PPO loss, value loss,
 *     KL, backward, grad clip, Adam) on synthetic batches, VarShare vs plain MLP, for 39-400-400-4
 *     (arm-mt10 sized) and 4-64-64-2 (cartpole sized); matmul GFLOP/s vs peak, both over the whole
 *     step's time and over the time spent in the SIMD matmul kernel (kernelStats of @varshare/core);
 *  4. scaling: the 64×64 step at 10, 20, 50 tasks (32 rows per task), time and memory.
 * When the `arm-mt10` suite is registered, section 2 also runs it end to end.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
import { makeMinibatchStep, timeBoth } from './minibatchStep';
import { hotOps, initBackend, kernelStats, median, resetKernelStats, tf } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { prepareSuite, suiteNames } from '@varshare/envs';

const quick = process.argv.includes('--quick');
const backend = await initBackend('wasm');

/**
 * Median ms per call after warm-up: wall clock, and this process's CPU time (user + system), which
 * is less disturbed when other jobs share the 2 cores (the runtime is single-threaded).
 */
const timeMs = (fn: () => void, reps: number, warm = 2): number => timeBoth(fn, reps, warm).wall;

// ------------------------------------------------------------------ 1. peak
/**
 * The machine's single-core float32 matmul peak as reached here: 512³ products with tfjs-wasm's
 * XNNPACK kernel and with our SIMD kernel (the wasm hot ops' groupedMatMul: operand copies and the
 * output tensor included); the larger is the reference of every "% of peak" below.
 */
function matmulPeak(): { size: number; tfjsGflops: number; kernelGflops: number; gflops: number } {
  const n = 512;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2) as tf.Tensor2D;
  const flops = 2 * n * n * n;
  const tfjsMs = timeMs(() => tf.matMul(a, b).dataSync(), quick ? 5 : 15);
  const ops = hotOps();
  const [a3, b3] = [tf.reshape(a, [1, n, n]) as tf.Tensor3D, tf.reshape(b, [1, n, n]) as tf.Tensor3D];
  const kernelMs = ops.name === 'wasm' ? timeMs(() => ops.groupedMatMul(a3, b3).dispose(), quick ? 5 : 15) : Number.POSITIVE_INFINITY;
  [a, b, a3, b3].forEach((t) => t.dispose());
  const tfjsGflops = flops / (tfjsMs * 1e6);
  const kernelGflops = flops / (kernelMs * 1e6);
  return { size: n, tfjsGflops, kernelGflops, gflops: Math.max(tfjsGflops, kernelGflops) };
}

// ------------------------------------------------------------------ 2. end to end
interface E2E {
  readonly suite: string;
  readonly network: string;
  readonly hidden: number[];
  readonly envSteps: number;
  readonly envStepsPerSecond: number;
  readonly rolloutSecondsPerUpdate: number;
  readonly updateSecondsPerUpdate: number;
  readonly otherSecondsPerUpdate: number;
  /** Matmul GFLOP/s of the SIMD kernel over the timed updates (rollout and update), and its share of the wall time. */
  readonly kernelMatmulGflops: number | null;
  readonly kernelMatmulShare: number | null;
}

function endToEnd(suite: string, residual: 'full' | 'none', hidden: number[], updates: number): E2E {
  const config = trainingConfigSchema.parse({
    envsPerTask: 4,
    ppo: { numSteps: 64, numMinibatches: 8, updateEpochs: 4 },
    network: { hiddenSizes: hidden, residual },
    eval: { interval: 1000 },
  });
  const trainer = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite, seed: 1, totalSteps: 1e9 });
  trainer.runUpdate(); // warm-up (kernel setup, JIT)
  let rollout = 0;
  let update = 0;
  resetKernelStats();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) {
    const r = trainer.runUpdate();
    rollout += r.metrics['charts/rollout_s'] as number;
    update += r.metrics['charts/update_s'] as number;
  }
  const wall = (performance.now() - t0) / 1000;
  const steps = trainer.batchSize * updates;
  const k = kernelStats();
  trainer.dispose();
  return {
    suite,
    network: residual === 'none' ? 'shared-mlp' : 'varshare',
    hidden,
    envSteps: steps,
    envStepsPerSecond: steps / wall,
    rolloutSecondsPerUpdate: rollout / updates,
    updateSecondsPerUpdate: update / updates,
    otherSecondsPerUpdate: (wall - rollout - update) / updates,
    kernelMatmulGflops: k && k.ms > 0 ? k.flops / (k.ms * 1e6) : null,
    kernelMatmulShare: k ? k.ms / 1000 / wall : null,
  };
}

// ------------------------------------------------------------------ 2b. the CLI
interface CliRun {
  readonly variant: string;
  readonly envSteps: number;
  /** summary.json: env steps / wall seconds of the run (evaluation every eval.interval included). */
  readonly envStepsPerSecond: number;
  /** Median over updates of the trainer's charts/SPS. */
  readonly medianSps: number;
  readonly meanRolloutSeconds: number;
  readonly meanUpdateSeconds: number;
  /** Wall seconds of the whole process (start-up, evaluation and shutdown included). */
  readonly processSeconds: number;
}

/**
 * `varshare train --suite <suite> --variant baseline` with the suite's experiment defaults, as a
 * researcher runs it (`extra` CLI arguments, e.g. `--set network.residual=none` for shared-mlp,
 * `--threads N`).
 */
function cliRun(label: string, steps: number, extra: string[] = [], suite = 'cartpole-mt'): CliRun {
  const variant = 'baseline';
  const out = mkdtempSync(join(tmpdir(), 'varshare-bench-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['apps/trainer/bin/varshare.mjs', 'train', '--suite', suite, '--variant', variant, '--seed', '1', '--steps', String(steps), '--out', out, ...extra], { encoding: 'utf8' });
    const processSeconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`varshare train exited with ${r.status}: ${(r.stderr ?? '').slice(-500)}`);
    const dir = join(out, suite, variant, 'seed-1');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { env_steps: number; wall_s: number };
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const mean = (k: string) => rows.reduce((a, row) => a + (row[k] as number), 0) / rows.length;
    return {
      variant: label,
      envSteps: summary.env_steps,
      envStepsPerSecond: summary.env_steps / summary.wall_s,
      medianSps: median(rows.map((row) => row['charts/SPS'] as number)),
      meanRolloutSeconds: mean('charts/rollout_s'),
      meanUpdateSeconds: mean('charts/update_s'),
      processSeconds,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ 3./4. one minibatch step
interface StepResult {
  readonly network: string;
  readonly dims: string;
  readonly numTasks: number;
  readonly batch: number;
  readonly msPerStep: number;
  /** CPU ms of this process per step (robust to other jobs on the machine). */
  readonly cpuMsPerStep: number;
  readonly matmulFlopsPerStep: number;
  /** Matmul flops of the step over its wall time. */
  readonly gflops: number;
  /** GFLOP/s of the matmuls themselves (SIMD kernel time only, operand packing included). */
  readonly kernelGflops: number | null;
  readonly rssMB: number;
  readonly tfMB: number;
}

/** Matmul flops of one step: forward 2·B·in·out per layer, backward twice that (the first layer's dx is not needed). */
function stepFlops(sizes: number[], B: number): number {
  let f = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const mac = B * (sizes[i] as number) * (sizes[i + 1] as number);
    f += 2 * mac * (i === 0 ? 2 : 3);
  }
  return f;
}

function minibatchStep(obsDim: number, hidden: number[], nActions: number, numTasks: number, rowsPerTask: number, residual: 'full' | 'none'): StepResult {
  const { step, batch: B, dispose } = makeMinibatchStep(obsDim, hidden, nActions, numTasks, rowsPerTask, residual);
  resetKernelStats();
  const { wall: ms, cpu: cpuMs } = timeBoth(step, quick ? 10 : 30, 15);
  const k = kernelStats();
  const sizes = [obsDim, ...hidden];
  const flops = stepFlops([...sizes, nActions], B) + stepFlops([...sizes, 1], B);
  const mem = tf.memory();
  const out: StepResult = {
    network: residual === 'none' ? 'plain-mlp' : 'varshare',
    dims: [obsDim, ...hidden, nActions].join('-'),
    numTasks,
    batch: B,
    msPerStep: ms,
    cpuMsPerStep: cpuMs,
    matmulFlopsPerStep: flops,
    gflops: flops / (ms * 1e6),
    kernelGflops: k && k.ms > 0 ? k.flops / (k.ms * 1e6) : null,
    rssMB: process.memoryUsage().rss / 2 ** 20,
    tfMB: mem.numBytes / 2 ** 20,
  };
  dispose();
  return out;
}

// ------------------------------------------------------------------ run
const peak = matmulPeak();
console.log(`backend ${backend}; matmul peak ${peak.gflops.toFixed(1)} GFLOP/s (${peak.size}³: tfjs-wasm ${peak.tfjsGflops.toFixed(1)}, SIMD kernel ${peak.kernelGflops.toFixed(1)})`);

const updates = quick ? 2 : 10;
const e2e: E2E[] = [endToEnd('cartpole-mt', 'full', [64, 64], updates), endToEnd('cartpole-mt', 'none', [64, 64], updates)];
const hasArm = suiteNames().includes('arm-mt10');
if (hasArm) {
  await prepareSuite('arm-mt10');
  e2e.push(endToEnd('arm-mt10', 'full', [400, 400], 1), endToEnd('arm-mt10', 'none', [400, 400], 1));
}
console.log('\nEnd to end (40 envs × 64 steps, 8 minibatches × 4 epochs per update)');
console.log('suite         network     hidden    env-steps/s  rollout s  update s  other s  matmul GFLOP/s  matmul share');
for (const r of e2e) {
  console.log(
    `${r.suite.padEnd(13)} ${r.network.padEnd(11)} ${r.hidden.join('x').padEnd(9)} ${r.envStepsPerSecond.toFixed(0).padStart(11)}  ${r.rolloutSecondsPerUpdate.toFixed(3).padStart(9)}  ${r.updateSecondsPerUpdate.toFixed(3).padStart(8)}  ${r.otherSecondsPerUpdate.toFixed(3).padStart(7)}  ${(r.kernelMatmulGflops?.toFixed(1) ?? '-').padStart(14)}  ${(r.kernelMatmulShare === null ? '-' : `${(100 * r.kernelMatmulShare).toFixed(0)}%`).padStart(12)}`,
  );
}
if (!hasArm) console.log('(arm-mt10 is not registered: the 39-400-400-4 network is measured on synthetic 39-d batches below)');

const cliSteps = quick ? 51200 : 204800;
const cli = [cliRun('baseline', cliSteps, ['--threads', '1']), cliRun('shared-mlp', cliSteps, ['--set', 'network.residual=none', '--threads', '1'])];
console.log(`\nvarshare train --suite cartpole-mt --threads 1 (experiments/cartpole-mt.yaml, ${cliSteps} steps, seed 1)`);
console.log('variant      env-steps/s (whole run)  median SPS  rollout s  update s');
for (const c of cli) {
  console.log(`${c.variant.padEnd(12)} ${c.envStepsPerSecond.toFixed(0).padStart(23)}  ${c.medianSps.toFixed(0).padStart(10)}  ${c.meanRolloutSeconds.toFixed(3).padStart(9)}  ${c.meanUpdateSeconds.toFixed(3).padStart(8)}`);
}

// Multi-core: the same run at 1 thread and at every core (evaluation on a worker thread, heavy
// suites' env rows on several threads, the kernels split over threads where the hot ops support it);
// the numbers of the runs are the same at any thread count, so only the time differs.
const cores = availableParallelism();
const multiSuites: [string, number][] = [
  ['cartpole-mt', quick ? 51200 : 204800],
  ['lunarlander-mt', quick ? 51200 : 102400],
  ...(hasArm ? ([['arm-mt10', quick ? 25600 : 102400]] as [string, number][]) : []),
];
const multi = multiSuites.map(([suite, steps]) => {
  const one = cliRun(`${suite} 1`, steps, ['--threads', '1'], suite);
  const all = cliRun(`${suite} ${cores}`, steps, ['--threads', String(cores)], suite);
  return { suite, steps, one, all };
});
console.log(`\nMulti-core: varshare train --variant baseline, process wall (start-up and evaluation included)`);
console.log(`suite           steps     1 thread s  ${String(cores).padStart(2)} threads s  speed-up`);
for (const m of multi) {
  console.log(`${m.suite.padEnd(15)} ${String(m.steps).padStart(7)}  ${m.one.processSeconds.toFixed(1).padStart(11)}  ${m.all.processSeconds.toFixed(1).padStart(11)}  ${(m.one.processSeconds / m.all.processSeconds).toFixed(2).padStart(7)}×`);
}

// 320 rows = one minibatch of the e2e configuration (2560 / 8); 39-d: 256 rows as in bench:core.
// Each configuration is measured twice, VarShare and plain interleaved, and the faster of the
// two kept: the first measurements after the end-to-end runs are slowed by the heap they leave.
const stepConfigs = [
  [4, [64, 64], 2, 10, 32, 'full'],
  [39, [400, 400], 4, 10, 26, 'full'],
  [4, [64, 64], 2, 10, 32, 'none'],
  [39, [400, 400], 4, 10, 26, 'none'],
] as const;
const steps: StepResult[] = stepConfigs.map(() => null as unknown as StepResult);
for (let round = 0; round < 2; round++) {
  stepConfigs.forEach(([obs, hidden, acts, tasks, rows, residual], i) => {
    const r = minibatchStep(obs, [...hidden], acts, tasks, rows, residual);
    if (!steps[i] || r.msPerStep < (steps[i] as StepResult).msPerStep) steps[i] = r;
  });
}
console.log('\nOne PPO minibatch step (fwd+bwd+clip+Adam, actor and critic), synthetic mixed-task batch');
console.log('network     dims          tasks  batch   ms/step  cpu ms  step GFLOP/s  % of peak  matmul-kernel GFLOP/s  % of peak');
for (const s of steps) {
  const kg = s.kernelGflops;
  console.log(
    `${s.network.padEnd(11)} ${s.dims.padEnd(13)} ${String(s.numTasks).padStart(5)}  ${String(s.batch).padStart(5)}  ${s.msPerStep.toFixed(2).padStart(8)}  ${s.cpuMsPerStep.toFixed(1).padStart(6)}  ${s.gflops.toFixed(2).padStart(12)}  ${((100 * s.gflops) / peak.gflops).toFixed(1).padStart(9)}  ${(kg?.toFixed(1) ?? '-').padStart(21)}  ${(kg === null ? '-' : ((100 * kg) / peak.gflops).toFixed(1)).padStart(9)}`,
  );
}
/** VarShare / plain step time, by wall time (median of the repetitions) and by process CPU time. */
const ratio = (dims: string, by: 'msPerStep' | 'cpuMsPerStep') => {
  const v = steps.find((s) => s.dims === dims && s.network === 'varshare') as StepResult;
  const p = steps.find((s) => s.dims === dims && s.network === 'plain-mlp') as StepResult;
  return v[by] / p[by];
};
const ratios = {
  '4-64-64-2': ratio('4-64-64-2', 'msPerStep'),
  '39-400-400-4': ratio('39-400-400-4', 'msPerStep'),
  '4-64-64-2 (cpu)': ratio('4-64-64-2', 'cpuMsPerStep'),
  '39-400-400-4 (cpu)': ratio('39-400-400-4', 'cpuMsPerStep'),
};
const e2eRatio = (e2e[0] as E2E).updateSecondsPerUpdate / (e2e[1] as E2E).updateSecondsPerUpdate;
const armE2e = e2e.length >= 4 ? (e2e[2] as E2E).updateSecondsPerUpdate / (e2e[3] as E2E).updateSecondsPerUpdate : null;
console.log(
  `VarShare / plain update, wall (cpu): 4-64-64-2 step ${ratios['4-64-64-2'].toFixed(2)}x (${ratios['4-64-64-2 (cpu)'].toFixed(2)}x), 39-400-400-4 step ${ratios['39-400-400-4'].toFixed(2)}x (${ratios['39-400-400-4 (cpu)'].toFixed(2)}x); end to end: cartpole-mt ${e2eRatio.toFixed(2)}x${armE2e === null ? '' : `, arm-mt10 ${armE2e.toFixed(2)}x`}`,
);

const scaling: StepResult[] = [];
for (const T of [10, 20, 50]) scaling.push(minibatchStep(4, [64, 64], 2, T, 32, 'full'));
console.log('\nScaling (VarShare 4-64-64-2, 32 rows per task)');
console.log('tasks  batch   ms/step  cpu ms  cpu ms/task   rss MB  tf MB');
for (const s of scaling) {
  console.log(`${String(s.numTasks).padStart(5)}  ${String(s.batch).padStart(5)}  ${s.msPerStep.toFixed(2).padStart(8)}  ${s.cpuMsPerStep.toFixed(1).padStart(6)}  ${(s.cpuMsPerStep / s.numTasks).toFixed(3).padStart(11)}  ${s.rssMB.toFixed(0).padStart(7)}  ${s.tfMB.toFixed(1).padStart(5)}`);
}

mkdirSync('bench-results', { recursive: true });
const result = { date: new Date().toISOString(), node: process.version, backend, quick, peak, e2e, cli, multi: multi.map((m) => ({ suite: m.suite, steps: m.steps, threads: cores, oneThreadSeconds: m.one.processSeconds, allThreadsSeconds: m.all.processSeconds })), armMt10Available: hasArm, steps, ratios, e2eUpdateRatio: e2eRatio, armE2eUpdateRatio: armE2e, scaling };
writeFileSync('bench-results/bench.json', JSON.stringify(result, null, 2));
console.log('\nwrote bench-results/bench.json');
