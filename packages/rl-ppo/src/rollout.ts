import type { Rng } from '@varshare/base';
import type { WeightModesConfig } from '@varshare/core';
import type { VectorEnv } from '@varshare/envs';
import type { MultiTaskAgent } from './agent';
import type { EpisodeWindows } from './episodeWindows';
import { bootstrapTruncated, truncatedRows } from './gae';
import { actingForward, actingSnapshots, selectActions, weightOptions, type PolicyActions } from './policy';
import type { ObservationNormalizer, RewardScaler } from './runningStats';

/**
 * One rollout segment, time-major: row `step · numEnvs + env`. `obs` are normalised observations
 * `[T·N, obsDim]`; `actions` `[T·N, actDim]` (discrete: the index as a float); `rewards` are scaled
 * and already carry γ·V(final observation) on truncated steps; `episodeEnds` marks terminated or
 * truncated steps; `lastValues` `[N]` bootstraps the segment's end.
 */
export interface RolloutBatch {
  readonly obs: Float32Array;
  readonly taskIds: Int32Array;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  readonly episodeEnds: Uint8Array;
  readonly lastValues: Float32Array;
}

/** Where the vector env is between segments: the current raw observations and their task ids. */
export interface EnvCursor {
  obs: Float32Array;
  taskIds: Int32Array;
}

/** What a rollout needs. The env, normalisers, generator, cursor and episode windows advance. */
export interface RolloutContext {
  readonly env: VectorEnv;
  readonly agent: MultiTaskAgent;
  readonly actions: PolicyActions;
  readonly obsNorm: ObservationNormalizer;
  readonly rewardScaler: RewardScaler;
  readonly rng: Rng;
  readonly weights: WeightModesConfig;
  readonly numSteps: number;
  readonly gamma: number;
  readonly cursor: EnvCursor;
  readonly episodes: EpisodeWindows;
}

/**
 * Collects `numSteps` steps of every env with the rollout weights (`weights.rollout`; frozen noise
 * from `segmentSeed`, the same seed the update epochs reuse). Truncation is bootstrapped into the
 * reward (γ·V(final obs)); termination is not. Finished episodes go to the episode windows.
 */
export function collectRollout(ctx: RolloutContext, segmentSeed: number): RolloutBatch {
  const { env, agent, numSteps, rng, cursor } = ctx;
  const N = env.numRows;
  const D = env.observationSize;
  const actDim = ctx.actions.spec.kind === 'discrete' ? 1 : ctx.actions.spec.dim;
  const obsBuf = new Float32Array(numSteps * N * D);
  const taskBuf = new Int32Array(numSteps * N);
  const actBuf = new Float32Array(numSteps * N * actDim);
  const logpBuf = new Float32Array(numSteps * N);
  const valBuf = new Float32Array(numSteps * N);
  const rewBuf = new Float32Array(numSteps * N);
  const endBuf = new Uint8Array(numSteps * N);
  const mode = ctx.weights.rollout;
  const opts = weightOptions(ctx.weights, mode, segmentSeed);
  const snaps = actingSnapshots(agent, ctx.weights, mode, opts);
  // Local noise: a fresh seed for every forward (drawn from the run generator, in this order).
  const localSeed = (): number => (snaps ? 0 : rng.nextSeed());
  try {
    for (let step = 0; step < numSteps; step++) {
      const ids = cursor.taskIds;
      const obsN = ctx.obsNorm.normalize(cursor.obs, ids, true);
      obsBuf.set(obsN, step * N * D);
      taskBuf.set(ids, step * N);
      const { head, values } = actingForward(agent, obsN, ids, snaps, opts, localSeed());
      valBuf.set(values, step * N);
      const { envActions, stored, logProbs } = selectActions(agent, ctx.actions, head, ids, rng, false);
      actBuf.set(stored, step * N * actDim);
      logpBuf.set(logProbs, step * N);

      const res = env.step(envActions);
      const ends = new Uint8Array(N);
      for (let i = 0; i < N; i++) ends[i] = (res.terminated[i] as number) | (res.truncated[i] as number);
      const scaled = ctx.rewardScaler.scale(res.rewards, ends, ids);
      // Bootstrap on truncation (not on termination): r_t += γ V(s_final).
      const truncRows = truncatedRows(res.truncated);
      if (truncRows.length > 0) {
        const finalObs = new Float32Array(truncRows.length * D);
        const finalIds = new Int32Array(truncRows.length);
        truncRows.forEach((row, k) => {
          finalObs.set(res.finalObservations.subarray(row * D, (row + 1) * D), k * D);
          finalIds[k] = ids[row] as number;
        });
        const finalN = ctx.obsNorm.normalize(finalObs, finalIds, false);
        const v = actingForward(agent, finalN, finalIds, snaps, opts, localSeed(), 'critic').values;
        bootstrapTruncated(scaled, truncRows, v, ctx.gamma);
      }
      rewBuf.set(scaled, step * N);
      endBuf.set(ends, step * N);
      for (const ep of res.episodes) ctx.episodes.record(ep.taskId, ep.return, ep.success);
      cursor.obs = Float32Array.from(res.observations);
      cursor.taskIds = Int32Array.from(res.taskIds);
    }
    const lastN = ctx.obsNorm.normalize(cursor.obs, cursor.taskIds, false);
    const lastValues = actingForward(agent, lastN, cursor.taskIds, snaps, opts, localSeed(), 'critic').values;
    return { obs: obsBuf, taskIds: taskBuf, actions: actBuf, logProbs: logpBuf, values: valBuf, rewards: rewBuf, episodeEnds: endBuf, lastValues };
  } finally {
    snaps?.forEach((s) => s?.dispose());
  }
}
