import { tf, type GradientSink } from '@varshare/core';
import type { MultiTaskAgent } from './agent';

/** Exp5's learned-prior settings as the controller hands them over (its `learned-per-layer` σ_prior spec). */
export interface LearnedPriorSettings {
  /** Learning-rate multiplier of the log σ_prior group (stabiliser A). */
  readonly lrScale: number;
  /** λ_hyper of the hyperprior spring (stabiliser B). */
  readonly hyperLambda: number;
  /** σ target of the spring. */
  readonly target: number;
}

/**
 * The hyperprior penalty λ · Σ_layers (log σ_prior,layer − log target)² on the learned log σ_prior
 * variables, as a differentiable scalar: the tensor implementation of `hyperpriorPenalty` in
 * `@varshare/controllers` (the reference; a test holds the two equal).
 * @param logSigma one scalar variable per layer
 */
export function hyperpriorPenaltyTensor(logSigma: readonly tf.Tensor[], settings: Pick<LearnedPriorSettings, 'hyperLambda' | 'target'>): tf.Scalar {
  if (logSigma.length === 0) return tf.scalar(0);
  const target = Math.log(settings.target);
  return tf.mul(settings.hyperLambda, tf.addN(logSigma.map((l) => tf.square(tf.sub(l, target))))) as tf.Scalar;
}

/**
 * The regulariser of the loss: β/normaliser · KL_total + hyperprior penalty (exp5). It depends on μ,
 * ρ and the learned σ_prior only, not on the minibatch.
 * @param klWeight β / normaliser (`kl.normalisation`)
 * @param learned exp5's settings; null for the other variants (no hyperprior)
 */
export function klRegulariser(agent: MultiTaskAgent, klWeight: number, learned: LearnedPriorSettings | null): { loss: tf.Scalar; klTotal: tf.Scalar; hyperprior: tf.Scalar } {
  const klTotal = tf.sum(agent.kl()) as tf.Scalar;
  const hyperprior = learned ? hyperpriorPenaltyTensor([...agent.sigmaPrior.logSigmaByLayer().values()], learned) : tf.scalar(0);
  return { loss: tf.add(tf.mul(klWeight, klTotal), hyperprior) as tf.Scalar, klTotal, hyperprior };
}

/**
 * {@link klRegulariser} without the tape where it can be (no learned prior, so no hyperprior, and
 * every layer's σ_prior a constant on ops with the direct KL path — every variant but exp5's on
 * wasm): each layer's KL and the gradient of klWeight·KL_total delivered to `sink` — the upstream
 * gradient the tape gives each layer's KL is klWeight in float32, passed on unchanged by the sums
 * — and KL_total summed as the tape's float32 ops sum it (layers in order, actor + critic, then
 * the tasks in order), so the values and gradients are the tape path's, bit for bit, for ~70 tfjs
 * kernels fewer per minibatch step. Null where the tape is needed (nothing is delivered then).
 * @param klWeight β / normaliser
 */
export function klRegulariserWithoutTape(agent: MultiTaskAgent, klWeight: number, learned: LearnedPriorSettings | null, sink: GradientSink): { klTotal: number; hyperprior: number } | null {
  if (learned || !agent.actor.klWithoutTape(agent.sigmaPrior) || !agent.critic.klWithoutTape(agent.sigmaPrior)) return null;
  const dy = new Float32Array(agent.numTasks).fill(klWeight);
  const actor = agent.actor.klWithGradient(agent.sigmaPrior, dy, sink);
  const critic = agent.critic.klWithGradient(agent.sigmaPrior, dy, sink);
  const sum = new Float32Array(1);
  for (let t = 0; t < actor.length; t++) sum[0] = (sum[0] as number) + Math.fround((actor[t] as number) + (critic[t] as number));
  return { klTotal: sum[0] as number, hyperprior: 0 };
}
