import { deriveSeed, type Rng } from '@varshare/base';
import { TaskRouting, freezeNoise, tf, type MLPApplyOptions, type MLPSnapshot, type WeightModesConfig } from '@varshare/core';
import type { ActionSpec, MultiTaskAgent } from './agent';
import { sampleCategorical, sampleGaussian } from './distributions';

/** The action space as the policy sees it: kind and size, plus the box bounds actions are clipped to. */
export interface PolicyActions {
  readonly spec: ActionSpec;
  /** Box bounds per action dimension (continuous actions only; null for discrete). */
  readonly low: Float32Array | null;
  readonly high: Float32Array | null;
}

/** Forward-pass options of a weights mode: posterior means, or sampled weights with the configured noise. */
export function weightOptions(weights: WeightModesConfig, mode: 'mean' | 'sample', seed: number): MLPApplyOptions {
  return mode === 'mean' ? { weights: 'mean' } : { weights: 'sample', noise: { kind: weights.noise, seed }, samplingScope: weights.samplingScope };
}

/** Which networks an acting forward runs: both (rollouts), the critic (bootstrap values) or the actor (evaluation). */
export type ActingNets = 'both' | 'critic' | 'actor';

/**
 * Effective-weight snapshots of actor and critic for acting: with posterior means or frozen noise
 * the weights are fixed for a whole segment, so acting costs one matmul per layer. Null with local
 * noise (drawn afresh on every forward). `nets: 'actor'` snapshots the actor only (evaluation needs
 * no values; the critic slot is null). Dispose them when the segment ends.
 */
export function actingSnapshots(agent: MultiTaskAgent, weights: WeightModesConfig, mode: 'mean' | 'sample', opts: MLPApplyOptions, nets: 'both' | 'actor' = 'both'): [MLPSnapshot, MLPSnapshot | null] | null {
  const frozen = mode === 'mean' || weights.noise === 'frozen';
  if (!frozen) return null;
  // both networks' noise drawn at once (split over the kernel threads), then each snapshot finds its own
  freezeNoise(nets === 'both' ? [agent.actor, agent.critic] : [agent.actor], opts);
  return [agent.actor.snapshot(opts), nets === 'both' ? agent.critic.snapshot(opts) : null];
}

/**
 * One batched actor and/or critic forward for acting: rows `[n, obsDim]` routed per task; the actor
 * head `[n, outDim]` and the values `[n]` on the CPU (an empty array for a network not run: `nets`).
 * With snapshots the acting weights are fixed (the snapshot of each network run must be there);
 * without, `localSeed` seeds the forward's noise (actor and critic get distinct derived seeds, so
 * running one of them draws the same noise as running both).
 */
export function actingForward(
  agent: MultiTaskAgent,
  obs: Float32Array,
  ids: Int32Array,
  snaps: readonly [MLPSnapshot, MLPSnapshot | null] | null,
  opts: MLPApplyOptions,
  localSeed: number,
  nets: ActingNets = 'both',
): { head: Float32Array; values: Float32Array } {
  const rows = ids.length;
  const obsDim = obs.length / rows;
  const action = agent.action;
  const routing = new TaskRouting(ids, agent.numTasks);
  const outDim = action.kind === 'discrete' ? action.n : action.dim;
  const runActor = nets !== 'critic';
  const runCritic = nets !== 'actor';
  if (snaps) {
    // Fixed weights: the snapshots' kernels on arrays, each row read at its slot of the grouped
    // outputs (the values of the tensor path below, without its ~20 tfjs ops per step).
    const xg = routing.groupArray(obs, obsDim);
    const slot = routing.slotOfRow();
    const values = new Float32Array(runCritic ? rows : 0);
    if (runCritic) {
      if (!snaps[1]) throw new Error('actingForward: values need the critic snapshot');
      const v = snaps[1].applyGroupedArrays(xg, routing.groupSize);
      for (let r = 0; r < rows; r++) values[r] = v[slot[r] as number] as number;
    }
    const head = new Float32Array(runActor ? rows * outDim : 0);
    if (runActor) {
      const h = snaps[0].applyGroupedArrays(xg, routing.groupSize);
      for (let r = 0; r < rows; r++) head.set(h.subarray((slot[r] as number) * outDim, ((slot[r] as number) + 1) * outDim), r * outDim);
    }
    return { head, values };
  }
  const localOpts = (seed: number): MLPApplyOptions => ({ ...opts, ...(opts.noise ? { noise: { kind: opts.noise.kind, seed } } : {}) });
  const run = (net: 'actor' | 'critic'): Float32Array => {
    const out = tf.tidy(() => agent[net].applyRouted(tf.tensor2d(obs, [rows, obsDim]), routing, localOpts(deriveSeed(localSeed, net === 'actor' ? 0 : 1))));
    const data = Float32Array.from(out.dataSync() as Float32Array);
    out.dispose();
    return data;
  };
  return { head: runActor ? run('actor') : new Float32Array(0), values: runCritic ? run('critic') : new Float32Array(0) };
}

/**
 * Samples (or greedily picks) actions from the actor head; continuous actions are stored unclipped
 * (their log-probability is of the unclipped sample, as in CleanRL) and clipped for the env.
 * @param head `[n, outDim]` logits or Gaussian means
 */
export function selectActions(
  agent: MultiTaskAgent,
  actions: PolicyActions,
  head: Float32Array,
  ids: Int32Array,
  rng: Rng,
  greedy: boolean,
): { envActions: Int32Array | Float32Array; stored: Float32Array; logProbs: Float32Array } {
  const rows = ids.length;
  const spec = actions.spec;
  if (spec.kind === 'discrete') {
    const { actions: a, logProbs } = sampleCategorical(head, rows, spec.n, rng, greedy);
    return { envActions: a, stored: Float32Array.from(a), logProbs };
  }
  const d = spec.dim;
  const logStdAll = (agent.logStd as tf.Variable).dataSync() as Float32Array;
  const logStds = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) logStds.set(logStdAll.subarray((ids[r] as number) * d, ((ids[r] as number) + 1) * d), r * d);
  const { actions: a, logProbs } = sampleGaussian(head, logStds, rows, d, rng, greedy);
  const clipped = new Float32Array(a.length);
  const low = actions.low as Float32Array;
  const high = actions.high as Float32Array;
  for (let i = 0; i < a.length; i++) {
    const j = i % d;
    clipped[i] = Math.min(high[j] as number, Math.max(low[j] as number, a[i] as number));
  }
  return { envActions: clipped, stored: a, logProbs };
}
