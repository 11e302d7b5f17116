import { tf } from './backend';

/**
 * φ_m = μ_m + σ_m ⊙ ε_m: a task residual sampled with noise ε (spec: φ_m ~ q_m = N(μ_m, diag σ_m²);
 * frozen noise reuses one ε per rollout segment). Elementwise, differentiable in μ and σ.
 * @param mu μ, `[numTasks, rows, cols]`
 * @param sigma σ = softplus(ρ), same shape
 * @param eps ε ~ N(0, 1), same shape
 * @returns same shape
 */
export function sampledResidual(mu: tf.Tensor, sigma: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.add(mu, tf.mul(sigma, eps));
}

/**
 * The effective weights W_m = θ + φ_m of every task (spec: W_m = θ + φ_m), with φ_m the residual in
 * use: μ_m (posterior-mean weights), {@link sampledResidual} (sampled weights), A_m B_m (low-rank).
 * Summed in this order — θ + (μ + σ⊙ε) — by every implementation, so the rollout snapshot, the
 * tensor-op layer and the wasm dense kernel (`dense.wat`'s effw) give bit-identical weights.
 * The reference of W_m: `HotOps.dense` uses it (tfjs implementation) or computes the same sums.
 * @param theta θ, `[in, out]`
 * @param residual φ, `[numTasks, in, out]`; null for shared weights (W = θ for every task)
 * @returns `[numTasks, in, out]`, or θ itself (`[in, out]`, not a copy) when `residual` is null
 */
export function effectiveWeights(theta: tf.Tensor, residual: tf.Tensor | null): tf.Tensor {
  return residual ? tf.add(theta, residual) : theta;
}
