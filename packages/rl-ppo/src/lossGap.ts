import { TaskRouting, tf } from '@varshare/core';
import type { MultiTaskAgent } from './agent';

/** Critic losses per task on a diagnostic batch, `[numTasks]` each (0 for a task without rows). */
export interface CriticLossGap {
  readonly lShared: number[];
  readonly lAdapt: number[];
}

/**
 * Experiment 4's signal: the critic loss per task on a diagnostic batch with shared-only weights θ
 * and with adapted posterior-mean weights θ + μ_m, no sampling:
 *   L_shared,m = mean_{B_m} (V_θ(s) − V_target)²,  L_adapt,m = mean_{B_m} (V_{θ+μ_m}(s) − V_target)².
 * The trainer passes the fresh rollout before the update's epochs (out of sample).
 * @param obs normalised observations `[n, obsDim]`; `targets` `[n]`; `taskIds` `[n]`
 */
export function criticLossGap(agent: MultiTaskAgent, obs: Float32Array, targets: Float32Array, taskIds: Int32Array): CriticLossGap {
  const n = taskIds.length;
  const routing = new TaskRouting(taskIds, agent.numTasks);
  const packed = tf.tidy(() => {
    const x = tf.tensor2d(obs, [n, obs.length / n]);
    const shared = agent.critic.applyRouted(x, routing, { weights: 'shared' });
    const adapted = agent.critic.applyRouted(x, routing, { weights: 'mean' });
    return tf.concat([shared, adapted], 1);
  });
  const v = packed.dataSync();
  packed.dispose();
  const T = agent.numTasks;
  const sumS = new Float64Array(T);
  const sumA = new Float64Array(T);
  const cnt = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    const t = taskIds[i] as number;
    const target = targets[i] as number;
    sumS[t] = (sumS[t] as number) + ((v[2 * i] as number) - target) ** 2;
    sumA[t] = (sumA[t] as number) + ((v[2 * i + 1] as number) - target) ** 2;
    cnt[t] = (cnt[t] as number) + 1;
  }
  return {
    lShared: Array.from(sumS, (s, t) => (cnt[t] ? s / (cnt[t] as number) : 0)),
    lAdapt: Array.from(sumA, (s, t) => (cnt[t] ? s / (cnt[t] as number) : 0)),
  };
}
