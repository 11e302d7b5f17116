import { tf } from '@varshare/core';

/** The rollout side of one minibatch: what the policy did and what it earned. Each `[n]`. */
export interface LossBatch {
  /** log π_old(a|s) of the stored actions, from the rollout. */
  readonly oldLogProbs: tf.Tensor1D;
  /** GAE advantages (normalised inside the loss when `normAdv`). */
  readonly advantages: tf.Tensor1D;
  /** Value targets: advantages + old values. */
  readonly returns: tf.Tensor1D;
  /** V_old(s) from the rollout (for value clipping). */
  readonly oldValues: tf.Tensor1D;
}

/** The current networks' outputs on the minibatch, plus the regulariser terms of this step. */
export interface PolicyOutputs {
  /** log π(a|s) of the stored actions, `[n]`. */
  readonly logProb: tf.Tensor1D;
  /** Policy entropy per row, `[n]`. */
  readonly entropy: tf.Tensor1D;
  /** V(s), `[n]`. */
  readonly value: tf.Tensor1D;
  /** KL_total = Σ_m KL(q_m ‖ p_m) over every residual weight (scalar). Defaults to 0. */
  readonly klTotal?: tf.Scalar;
  /** Hyperprior penalty λ Σ (log σ_prior − log target)² (scalar; exp5). Defaults to 0. */
  readonly hyperprior?: tf.Scalar;
}

/** CleanRL's loss coefficients plus the KL weight of this update. */
export interface LossConfig {
  /** PPO ratio clip ε (clip_coef); also the value-clip range. */
  readonly clipCoef: number;
  /** Clipped value loss (clip_vloss). */
  readonly clipVloss: boolean;
  /** Normalise advantages over the minibatch (norm_adv; torch's unbiased std + 1e-8). */
  readonly normAdv: boolean;
  /** Entropy bonus coefficient (ent_coef). */
  readonly entCoef: number;
  /** Value loss coefficient (vf_coef). */
  readonly vfCoef: number;
  /** β / normaliser: the weight of KL_total in the loss (`kl.normalisation`). */
  readonly klWeight: number;
}

/** Every term of the loss, each a scalar tensor, named. */
export interface LossParts {
  /** Clipped surrogate: mean(max(−A·r, −A·clip(r, 1 ± ε))). */
  readonly policy: tf.Scalar;
  /** ½·mean of the (clipped) squared value error. */
  readonly value: tf.Scalar;
  /** Mean entropy (enters the loss with −ent_coef). */
  readonly entropy: tf.Scalar;
  /** mean((r − 1) − log r), the low-variance estimate of KL(π_old ‖ π). */
  readonly approxKl: tf.Scalar;
  /** mean(−log r). */
  readonly oldApproxKl: tf.Scalar;
  /** Share of rows with |r − 1| > ε. */
  readonly clipFraction: tf.Scalar;
  /** KL_total as given. */
  readonly kl: tf.Scalar;
  /** Hyperprior penalty as given. */
  readonly hyperprior: tf.Scalar;
  /** policy − ent_coef·entropy + vf_coef·value: the part that depends on the minibatch. */
  readonly ppo: tf.Scalar;
  /** ppo + klWeight·kl + hyperprior. */
  readonly total: tf.Scalar;
}

/**
 * The loss of one PPO minibatch (CleanRL's `ppo.py`), plus VarShare's regulariser:
 *
 *   r = exp(log π − log π_old),  Â = norm(A)
 *   policy  = mean(max(−Â·r, −Â·clip(r, 1−ε, 1+ε)))
 *   value   = ½·mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²))   (½·mean((V − R)²) unclipped)
 *   total   = policy − c_ent·mean(H) + c_vf·value + klWeight·KL_total + hyperprior
 *
 * Pure: tensors in, named scalars out; call inside `tf.tidy`/`tf.variableGrads`. Gradients flow into
 * whatever `outputs` were computed from (pass `klTotal`/`hyperprior` computed outside the tape to
 * take their values without their gradients, as the trainer does: it differentiates the KL part
 * separately to measure each term's gradient).
 */
export function ppoLoss(batch: LossBatch, outputs: PolicyOutputs, config: LossConfig): LossParts {
  const logRatio = tf.sub(outputs.logProb, batch.oldLogProbs);
  const ratio = tf.exp(logRatio);
  let adv: tf.Tensor1D = batch.advantages;
  if (config.normAdv) {
    const { mean, variance } = tf.moments(adv);
    // torch .std() is the unbiased estimate; CleanRL divides by (std + 1e-8).
    const n = adv.shape[0];
    const std = tf.sqrt(tf.mul(variance, n > 1 ? n / (n - 1) : 1));
    adv = tf.div(tf.sub(adv, mean), tf.add(std, 1e-8));
  }
  const pg1 = tf.mul(tf.neg(adv), ratio);
  const pg2 = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - config.clipCoef, 1 + config.clipCoef));
  const policy = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;
  const newValue = tf.reshape(outputs.value, [-1]);
  let value: tf.Scalar;
  if (config.clipVloss) {
    const unclipped = tf.square(tf.sub(newValue, batch.returns));
    const clippedV = tf.add(batch.oldValues, tf.clipByValue(tf.sub(newValue, batch.oldValues), -config.clipCoef, config.clipCoef));
    value = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(clippedV, batch.returns))))) as tf.Scalar;
  } else {
    value = tf.mul(0.5, tf.mean(tf.square(tf.sub(newValue, batch.returns)))) as tf.Scalar;
  }
  const entropy = tf.mean(outputs.entropy) as tf.Scalar;
  const ppo = tf.addN([policy, tf.mul(-config.entCoef, entropy), tf.mul(config.vfCoef, value)]) as tf.Scalar;
  const kl = outputs.klTotal ?? tf.scalar(0);
  const hyperprior = outputs.hyperprior ?? tf.scalar(0);
  const total = tf.addN([ppo, tf.mul(config.klWeight, kl), hyperprior]) as tf.Scalar;
  return {
    policy,
    value,
    entropy,
    approxKl: tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar,
    oldApproxKl: tf.mean(tf.neg(logRatio)) as tf.Scalar,
    clipFraction: tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), config.clipCoef), 'float32')) as tf.Scalar,
    kl,
    hyperprior,
    ppo,
    total,
  };
}
