import { tf } from './backend';

/** σ_prior as accepted by {@link gaussianKl}: a number, or a tensor broadcastable to μ's shape
 * (a scalar, a per-task `[numTasks, 1, 1]`, or a trainable per-layer scalar). */
export type SigmaPriorValue = number | tf.Tensor;

/** Options of {@link gaussianKl}. */
export interface GaussianKlOptions {
  /**
   * Empirical-Bayes stabiliser C of the spec (Experiment 5): when true, the gradient that reaches
   * σ_prior ignores the σ² term of the KL, so σ_prior follows the posterior means (its stationary
   * point becomes σ_prior² = E[μ²] instead of E[μ² + σ²]). Values and the gradients w.r.t. μ and σ
   * are unchanged. Defaults to false.
   */
  readonly detachSigmaForPrior?: boolean;
}

/** Identity whose gradient is zero (tf.stop_gradient). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(Array.isArray(dy) ? (dy[0] as tf.Tensor) : dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * Elementwise closed-form KL( N(μ, σ²) || N(0, σ_prior²) ):
 *
 *   KL = log σ_prior − log σ + (σ² + μ²) / (2 σ_prior²) − ½
 *
 * σ_prior enters both the log term and the denominator (spec, Experiment 1). It is the reference
 * of KL_m (summed over a task's residual entries): `HotOps.taskKl` is this function summed per task
 * (tfjs implementation) or the wasm kernel `kl.wat` for constant and scalar priors, held to this
 * function by the conformance suite; σ_prior always comes from `SigmaPrior`.
 *
 * @param mu posterior mean, any shape S
 * @param sigma posterior std (> 0), shape S
 * @param sigmaPrior number or tensor broadcastable to S
 * @returns tensor of shape S (float32)
 */
export function gaussianKl(
  mu: tf.Tensor,
  sigma: tf.Tensor,
  sigmaPrior: SigmaPriorValue,
  options: GaussianKlOptions = {},
): tf.Tensor {
  return tf.tidy(() => {
    const sp = typeof sigmaPrior === 'number' ? tf.scalar(sigmaPrior) : sigmaPrior;
    const spVar = tf.square(sp);
    const muTerm = tf.div(tf.square(mu), tf.mul(2, spVar));
    const sigmaSq = tf.square(sigma);
    const sigmaTerm = options.detachSigmaForPrior
      ? tf.div(sigmaSq, tf.mul(2, stopGradient(spVar)))
      : tf.div(sigmaSq, tf.mul(2, spVar));
    return tf.sub(tf.add(tf.sub(tf.log(sp), tf.log(sigma)), tf.add(muTerm, sigmaTerm)), 0.5);
  });
}
