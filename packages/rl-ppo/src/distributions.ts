import type { Rng } from '@varshare/base';
import { tf } from '@varshare/core';

const LOG_2PI = Math.log(2 * Math.PI);

/** log Σ_j exp(x[o + j]) over j < n, max-shifted, in float64 (the log-softmax's normaliser of one row). */
export function logSumExpRow(x: ArrayLike<number>, o: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[o + j] as number);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp((x[o + j] as number) - max);
  return max + Math.log(sum);
}

/**
 * Samples one categorical action per row from logits `[rows, n]` (float32, row-major) with the seeded
 * `rng`, or takes the argmax when `greedy`. Returns actions and their log-probabilities (float64
 * log-softmax), computed on the CPU so the rollout needs one read of the logits.
 */
export function sampleCategorical(
  logits: Float32Array,
  rows: number,
  n: number,
  rng: Rng,
  greedy: boolean,
): { actions: Int32Array; logProbs: Float32Array } {
  const actions = new Int32Array(rows);
  const logProbs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    const logZ = logSumExpRow(logits, o, n);
    let a = 0;
    if (greedy) {
      for (let j = 1; j < n; j++) if ((logits[o + j] as number) > (logits[o + a] as number)) a = j;
    } else {
      const u = rng.nextFloat();
      let acc = 0;
      a = n - 1;
      for (let j = 0; j < n; j++) {
        acc += Math.exp((logits[o + j] as number) - logZ);
        if (u < acc) {
          a = j;
          break;
        }
      }
    }
    actions[r] = a;
    logProbs[r] = (logits[o + a] as number) - logZ;
  }
  return { actions, logProbs };
}

/**
 * Samples diagonal-Gaussian actions `[rows, d]` from means and per-row log-stds (or returns the means
 * when `greedy`), with log-probabilities summed over dimensions. Actions are returned unclipped
 * (PPO stores what was sampled; the env receives a clipped copy).
 */
export function sampleGaussian(
  means: Float32Array,
  logStds: Float32Array,
  rows: number,
  d: number,
  rng: Rng,
  greedy: boolean,
): { actions: Float32Array; logProbs: Float32Array } {
  const actions = new Float32Array(rows * d);
  const logProbs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      const ls = logStds[i] as number;
      const z = greedy ? 0 : rng.normal();
      const a = Math.fround((means[i] as number) + Math.exp(ls) * z);
      actions[i] = a;
      const zz = (a - (means[i] as number)) / Math.exp(ls);
      lp += -0.5 * zz * zz - ls - 0.5 * LOG_2PI;
    }
    logProbs[r] = lp;
  }
  return { actions, logProbs };
}

/** log π(a|s) and entropy per row for categorical logits `[B, n]` and int32 actions `[B]`. */
export function categoricalLogProbEntropy(logits: tf.Tensor2D, actions: tf.Tensor1D): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(logits);
    const n = logits.shape[1];
    const logProb = tf.sum(tf.mul(logP, tf.oneHot(actions, n)), 1) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logP), logP), 1)) as tf.Tensor1D;
    return { logProb, entropy };
  });
}

/** log π(a|s) and entropy per row for a diagonal Gaussian (means, log-stds and actions `[B, d]`). */
export function gaussianLogProbEntropy(
  means: tf.Tensor2D,
  logStds: tf.Tensor2D,
  actions: tf.Tensor2D,
): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(actions, means), tf.exp(logStds));
    const logProb = tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStds), 0.5 * LOG_2PI), 1) as tf.Tensor1D;
    const entropy = tf.sum(tf.add(logStds, 0.5 * (1 + LOG_2PI)), 1) as tf.Tensor1D;
    return { logProb, entropy };
  });
}
