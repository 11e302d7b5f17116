/**
 * One PPO minibatch step on a synthetic mixed-task batch — actor+critic forward, categorical PPO
 * loss, value loss, KL, backward, grad clip, Adam — and a timer, shared by `run.ts` (the "One PPO
 * minibatch step" section) and `minibatch-step.ts` (the same step at N kernel threads).
 */
import { MultiTaskAgent, Adam, categoricalLogProbEntropy } from '@varshare/rl-ppo';
import { median, tf, TaskRouting, networkConfigSchema, Rng } from '@varshare/core';

/** Median wall and process-CPU milliseconds of `fn` over `reps` calls after `warm` untimed ones. */
export function timeBoth(fn: () => void, reps: number, warm = 2): { wall: number; cpu: number } {
  for (let i = 0; i < warm; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/**
 * A step of an obsDim-hidden-nActions actor and critic over numTasks × rowsPerTask shuffled
 * mixed-task rows: VarShare with sampled (frozen-noise) weights and the KL when `residual` is
 * 'full', the plain MLP (shared weights, no KL) when 'none'.
 */
export function makeMinibatchStep(obsDim: number, hidden: number[], nActions: number, numTasks: number, rowsPerTask: number, residual: 'full' | 'none'): { step: () => void; batch: number; dispose: () => void } {
  const network = networkConfigSchema.parse({ hiddenSizes: hidden, residual });
  const agent = new MultiTaskAgent({ obsDim, action: { kind: 'discrete', n: nActions }, numTasks, network, sigmaPrior: { kind: 'global', value: 1 }, seed: 3 });
  const groups = agent.parameterGroups();
  const all = new Map([...groups.theta, ...groups.posterior]);
  const nameOf = new Map([...all].map(([k, v]) => [v.name, k]));
  const adams = { theta: new Adam(groups.theta), posterior: new Adam(groups.posterior) };
  const B = numTasks * rowsPerTask;
  const rng = new Rng(5);
  const obs = tf.tensor2d(Float32Array.from({ length: B * obsDim }, () => rng.normal()), [B, obsDim]);
  // Mixed-task rows in shuffled order, as PPO minibatches are.
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
  return {
    step,
    batch: B,
    dispose: () => {
      [obs, actions, adv, ret].forEach((t) => t.dispose());
      for (const a of Object.values(adams)) a.dispose();
      agent.dispose();
    },
  };
}
