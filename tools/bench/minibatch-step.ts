/**
 * One PPO minibatch step (the "One PPO minibatch step" section of run.ts: actor+critic forward,
 * categorical PPO loss, value loss, KL, backward, grad clip, Adam on a synthetic mixed-task batch)
 * at a chosen number of kernel threads, for interleaved before/after measurements of the kernels.
 * Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/minibatch-step.ts [threads=1] [reps=20] [--profile]
 *
 * Prints wall and process-CPU ms per step (medians) for 4-64-64-2 (320 rows) and 39-400-400-4
 * (260 rows), VarShare and plain MLP; `--profile` adds V8's self time per function for the
 * 400-wide VarShare step. On a commit without kernel threads the threads argument is ignored.
 */
import { Session } from 'node:inspector/promises';
import { MultiTaskAgent, Adam, categoricalLogProbEntropy } from '@varshare/rl-ppo';
import { hotOps, initBackend, median, tf, TaskRouting, networkConfigSchema, Rng } from '@varshare/core';

const threads = Number(process.argv[2] ?? 1);
const reps = Number(process.argv[3] ?? 20);
const profile = process.argv.includes('--profile');
await initBackend('wasm');
const ops = hotOps() as unknown as { setKernelThreads?: (n: number) => void };
if (ops.setKernelThreads) ops.setKernelThreads(threads);
else if (threads !== 1) console.log('(this commit has no kernel threads: running on 1)');

function timeBoth(fn: () => void, n: number, warm: number): { wall: number; cpu: number } {
  for (let i = 0; i < warm; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function makeStep(obsDim: number, hidden: number[], nActions: number, numTasks: number, rowsPerTask: number, residual: 'full' | 'none'): { step: () => void; dispose: () => void } {
  const network = networkConfigSchema.parse({ hiddenSizes: hidden, residual });
  const agent = new MultiTaskAgent({ obsDim, action: { kind: 'discrete', n: nActions }, numTasks, network, sigmaPrior: { kind: 'global', value: 1 }, seed: 3 });
  const groups = agent.parameterGroups();
  const all = new Map([...groups.theta, ...groups.posterior]);
  const nameOf = new Map([...all].map(([k, v]) => [v.name, k]));
  const adams = { theta: new Adam(groups.theta), posterior: new Adam(groups.posterior) };
  const B = numTasks * rowsPerTask;
  const rng = new Rng(5);
  const obs = tf.tensor2d(Float32Array.from({ length: B * obsDim }, () => rng.normal()), [B, obsDim]);
  const ids = Int32Array.from({ length: B }, (_, i) => i % numTasks);
  for (let i = B - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  const actions = tf.tensor1d(Int32Array.from({ length: B }, () => rng.nextInt(nActions)), 'int32');
  const adv = tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal()));
  const ret = tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal()));
  const opts = residual === 'none' ? ({ weights: 'mean' } as const) : ({ weights: 'sample', noise: { kind: 'frozen', seed: 9 } } as const);
  const klScale = residual === 'none' ? 0 : 1 / (numTasks * agent.residualWeightsPerTask);
  const vars = [...all.values()];
  const step = () => {
    const routing = new TaskRouting(ids, numTasks);
    const gradArrays = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const logits = agent.actor.applyRouted(obs, routing, opts);
        const { logProb, entropy } = categoricalLogProbEntropy(logits, actions);
        const pg = tf.neg(tf.mean(tf.mul(tf.exp(logProb), adv)));
        const v = tf.reshape(agent.critic.applyRouted(obs, routing, opts), [-1]);
        const vLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(v, ret))));
        const terms = [pg, tf.mul(-0.01, tf.mean(entropy)), vLoss];
        if (klScale > 0) terms.push(tf.mul(klScale, tf.sum(agent.kl())));
        return tf.addN(terms) as tf.Scalar;
      }, vars);
      return grads;
    });
    const byGroup = { theta: new Map<string, Float32Array>(), posterior: new Map<string, Float32Array>() };
    let sumSq = 0;
    for (const [name, g] of Object.entries(gradArrays)) {
      const stable = nameOf.get(name) as string;
      const values = g.dataSync() as Float32Array;
      g.dispose();
      for (let i = 0; i < values.length; i++) sumSq += (values[i] as number) ** 2;
      (groups.theta.has(stable) ? byGroup.theta : byGroup.posterior).set(stable, values);
    }
    const scale = Math.min(1, 0.5 / (Math.sqrt(sumSq) + 1e-6));
    adams.theta.applyArrays(byGroup.theta, 1e-4, scale);
    adams.posterior.applyArrays(byGroup.posterior, 1e-4, scale);
    routing.dispose();
  };
  return { step, dispose: () => { [obs, actions, adv, ret].forEach((t) => t.dispose()); agent.dispose(); } };
}

const configs = [
  [4, [64, 64], 2, 10, 32, 'full'],
  [4, [64, 64], 2, 10, 32, 'none'],
  [39, [400, 400], 4, 10, 26, 'full'],
  [39, [400, 400], 4, 10, 26, 'none'],
] as const;
console.log(`threads ${threads}`);
for (const [obs, hidden, acts, tasks, rows, residual] of configs) {
  const s = makeStep(obs, [...hidden], acts, tasks, rows, residual);
  const big = hidden[0] === 400;
  const t = timeBoth(s.step, big ? reps : reps * 5, big ? 5 : 20);
  console.log(`${(residual === 'none' ? 'plain-mlp' : 'varshare').padEnd(10)} ${[obs, ...hidden, acts].join('-').padEnd(13)} wall ${t.wall.toFixed(2).padStart(7)} ms  cpu ${t.cpu.toFixed(2).padStart(7)} ms`);
  if (profile && big && residual === 'full') {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    for (let i = 0; i < reps; i++) s.step();
    const { profile: p } = await session.post('Profiler.stop');
    interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
    const nodes = p.nodes as Node[];
    const dt = (p.endTime - p.startTime) / 1000 / (p.samples?.length ?? 1);
    const self = new Map<string, number>();
    for (const n of nodes) {
      const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '');
      const key = `${n.callFrame.functionName || '(anon)'}  ${url}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + n.hitCount * dt);
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / reps).toFixed(2).padStart(8)} ms/step  ${k.slice(0, 130)}`);
  }
  s.dispose();
}
