import { tf } from './backend';

/**
 * The posterior standard deviation σ = softplus(ρ) = log(1 + e^ρ) (spec: q_m(φ_m) = N(μ_m, diag σ_m²),
 * σ_m = softplus(ρ_m)), elementwise, differentiable in ρ (dσ/dρ = {@link posteriorSigmaDerivative}).
 * The reference of σ: `HotOps.posteriorParts` serves it (tfjs implementation: this function; wasm:
 * the kernel `posterior.wat`, held to it by the conformance suite).
 * @param rho ρ, any shape S (a layer's is `[numTasks, rows, cols]`)
 * @returns σ, shape S
 */
export function posteriorSigma(rho: tf.Tensor): tf.Tensor {
  return tf.softplus(rho);
}

/**
 * σ' = dσ/dρ = sigmoid(ρ), elementwise: the factor every gradient that reaches ρ through σ carries.
 * @param rho ρ, any shape S
 * @returns shape S
 */
export function posteriorSigmaDerivative(rho: tf.Tensor): tf.Tensor {
  return tf.sigmoid(rho);
}

/**
 * Σ log σ per task over a `[numTasks, rows, cols]` σ (the −Σ log σ term of KL_m).
 * @param sigma σ `[numTasks, rows, cols]` (or any shape whose first axis is the task)
 * @returns `[numTasks]`
 */
export function logSigmaPerTask(sigma: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.reshape(tf.log(sigma), [sigma.shape[0] as number, -1]), 1) as tf.Tensor1D);
}
