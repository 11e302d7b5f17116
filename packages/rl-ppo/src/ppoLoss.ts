import { tf } from '@varshare/core';
import { logSumExpRow } from './distributions';

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

/** {@link LossBatch} as arrays (the trainer gathers the minibatch's rows into them). Each `[n]`. */
export interface LossArrays {
  readonly oldLogProbs: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  readonly oldValues: Float32Array;
}

/** The minibatch-dependent terms of the loss as numbers (each the mean over the rows). */
export interface PpoLossStats {
  readonly policy: number;
  readonly value: number;
  readonly entropy: number;
  readonly approxKl: number;
  readonly oldApproxKl: number;
  readonly clipFraction: number;
  /** policy − ent_coef·entropy + vf_coef·value. */
  readonly ppo: number;
}

/** {@link ppoLossValues}'s result: the terms and ∂ppo/∂ of each input, `[n]` each. */
export interface PpoLossGradients {
  readonly stats: PpoLossStats;
  readonly dLogProb: Float32Array;
  readonly dEntropy: Float32Array;
  readonly dValue: Float32Array;
}

/**
 * The PPO part of {@link ppoLoss} (policy − c_ent·entropy + c_vf·value, same formulas and the same
 * subgradients where a max or clip ties: tfjs's Maximum sends the gradient to its first argument
 * when a ≥ b, ClipByValue passes it inside the closed range) and its gradient with respect to
 * log π, the entropies and V, in one pass over the rows, in float64.
 * @param batch the rollout side, `[n]` each
 * @param logProb log π(a|s), `[n]`
 * @param entropy the policy's entropy per row, `[n]`
 * @param value V(s), `[n]`
 * @param config clip ε, value clipping, advantage normalisation, the entropy and value coefficients
 */
export function ppoLossValues(batch: LossArrays, logProb: ArrayLike<number>, entropy: ArrayLike<number>, value: ArrayLike<number>, config: Omit<LossConfig, 'klWeight'>): PpoLossGradients {
  const n = logProb.length;
  for (const [name, a] of [['entropy', entropy], ['value', value], ['oldLogProbs', batch.oldLogProbs], ['advantages', batch.advantages], ['returns', batch.returns], ['oldValues', batch.oldValues]] as const) {
    if (a.length !== n) throw new Error(`ppoLossValues: ${name} has ${a.length} rows, logProb ${n}`);
  }
  const eps = config.clipCoef;
  // Advantage normalisation: mean and torch's unbiased std over the minibatch.
  let mean = 0;
  let scale = 1;
  if (config.normAdv) {
    for (let i = 0; i < n; i++) mean += batch.advantages[i] as number;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((batch.advantages[i] as number) - mean) ** 2;
    const std = Math.sqrt(n > 1 ? ss / (n - 1) : ss / n);
    scale = 1 / (std + 1e-8);
  }
  const dLogProb = new Float32Array(n);
  const dEntropy = new Float32Array(n);
  const dValue = new Float32Array(n);
  let policy = 0;
  let valueLoss = 0;
  let ent = 0;
  let approxKl = 0;
  let oldApproxKl = 0;
  let clipped = 0;
  const cv = config.vfCoef / n; // ∂(c_vf·½·mean(e²))/∂v_i = c_vf·e_i/n, e the (clipped) error
  for (let i = 0; i < n; i++) {
    const logRatio = (logProb[i] as number) - (batch.oldLogProbs[i] as number);
    const ratio = Math.exp(logRatio);
    const adv = config.normAdv ? ((batch.advantages[i] as number) - mean) * scale : (batch.advantages[i] as number);
    const pg1 = -adv * ratio;
    const pg2 = -adv * Math.min(Math.max(ratio, 1 - eps), 1 + eps);
    policy += Math.max(pg1, pg2);
    // through pg1 when pg1 ≥ pg2, else through the clip: 0 outside the range (inside it pg1 = pg2)
    dLogProb[i] = pg1 >= pg2 ? (-adv * ratio) / n : 0;
    approxKl += ratio - 1 - logRatio;
    oldApproxKl -= logRatio;
    if (Math.abs(ratio - 1) > eps) clipped += 1;
    ent += entropy[i] as number;
    dEntropy[i] = -config.entCoef / n;
    const v = value[i] as number;
    const ret = batch.returns[i] as number;
    const err = v - ret;
    if (config.clipVloss) {
      const oldV = batch.oldValues[i] as number;
      const delta = v - oldV;
      const clippedErr = oldV + Math.min(Math.max(delta, -eps), eps) - ret;
      const u = err * err;
      const c = clippedErr * clippedErr;
      if (u >= c) {
        valueLoss += u;
        dValue[i] = cv * err;
      } else {
        valueLoss += c;
        dValue[i] = delta >= -eps && delta <= eps ? cv * clippedErr : 0;
      }
    } else {
      valueLoss += err * err;
      dValue[i] = cv * err;
    }
  }
  const stats = {
    policy: policy / n,
    value: (0.5 * valueLoss) / n,
    entropy: ent / n,
    approxKl: approxKl / n,
    oldApproxKl: oldApproxKl / n,
    clipFraction: clipped / n,
  };
  return { stats: { ...stats, ppo: stats.policy - config.entCoef * stats.entropy + config.vfCoef * stats.value }, dLogProb, dEntropy, dValue };
}

/**
 * log π(a|s) and the entropy of categorical logits `[slots, k]` (row-major; row i at slot
 * `slot[i]`) for int actions, and the chain rule back to the logits (0 on slots of no row):
 * ∂/∂z_j = g_lp·(1[j = a] − p_j) − g_H·p_j·(log p_j + H). In float64 (max-shifted log-sum-exp), as
 * `categoricalLogProbEntropy`'s ops (distributions.ts) compute in float32.
 */
function categoricalValues(logits: ArrayLike<number>, actions: ArrayLike<number>, k: number, slot: Int32Array): { logProb: Float64Array; entropy: Float64Array; backward: (dLogProb: Float32Array, dEntropy: Float32Array) => Float32Array } {
  const n = actions.length;
  const logP = new Float64Array(n * k);
  const logProb = new Float64Array(n);
  const entropy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = (slot[i] as number) * k;
    const q = i * k;
    const lse = logSumExpRow(logits, o, k);
    let h = 0;
    for (let j = 0; j < k; j++) {
      const lp = (logits[o + j] as number) - lse;
      logP[q + j] = lp;
      h -= Math.exp(lp) * lp;
    }
    const a = actions[i] as number;
    if (!(Number.isInteger(a) && a >= 0 && a < k)) throw new Error(`fusedPpoLoss: actions[${i}] = ${a} is not in [0, ${k})`);
    logProb[i] = logP[q + a] as number;
    entropy[i] = h;
  }
  return {
    logProb,
    entropy,
    backward(dLogProb, dEntropy) {
      const d = new Float32Array(logits.length);
      for (let i = 0; i < n; i++) {
        const o = (slot[i] as number) * k;
        const q = i * k;
        const gl = dLogProb[i] as number;
        const gh = dEntropy[i] as number;
        const h = entropy[i] as number;
        const a = actions[i] as number;
        for (let j = 0; j < k; j++) {
          const lp = logP[q + j] as number;
          const pj = Math.exp(lp);
          d[o + j] = gl * ((j === a ? 1 : 0) - pj) - gh * pj * (lp + h);
        }
      }
      return d;
    },
  };
}

/** Checks a row → slot map: one slot per row, each in range and used once. */
function checkSlots(slot: Int32Array, rows: number, slots: number): void {
  if (slot.length !== rows) throw new Error(`fusedPpoLoss: slotOfRow has ${slot.length} entries for ${rows} rows`);
  const seen = new Uint8Array(slots);
  for (let i = 0; i < rows; i++) {
    const s = slot[i] as number;
    if (!(s >= 0 && s < slots) || seen[s]) throw new Error(`fusedPpoLoss: slotOfRow[${i}] = ${s} is outside [0, ${slots}) or repeated`);
    seen[s] = 1;
  }
}

/**
 * The network outputs {@link fusedPpoLoss} differentiates: log π, entropies and V per row; or
 * categorical logits and V with the actions taken, by default one row each, or in any layout of
 * `slots ≥ rows` entries with `slotOfRow` (row i at slot `slotOfRow[i]`, other slots ignored and
 * given zero gradient: e.g. TaskRouting's grouped layout, read without ungrouping).
 */
export type FusedLossOutputs =
  | { readonly logProb: tf.Tensor1D; readonly entropy: tf.Tensor1D; readonly value: tf.Tensor1D }
  | { readonly logits: tf.Tensor2D; readonly actions: ArrayLike<number>; readonly value: tf.Tensor1D; readonly slotOfRow?: Int32Array };

/**
 * {@link ppoLoss}'s minibatch part as one differentiable op: the scalar `ppo` (policy −
 * c_ent·entropy + c_vf·value), whose gradient flows into whatever `outputs` were computed from, and
 * every term as a number. Given categorical logits and the actions, log π and the entropy are part
 * of the op too (as `categoricalLogProbEntropy` computes them). Equal to the tfjs ops up to
 * float rounding (this computes in float64 where they work in float32), for the cost of one op
 * instead of ~160 (forward and gradient: 1.5–1.9 ms per 320-row minibatch here; a cartpole-mt
 * minibatch step ran 337 tfjs kernels before, 113 after); the reference implementation remains
 * {@link ppoLoss}. Call inside `tf.variableGrads`.
 */
export function fusedPpoLoss(batch: LossArrays, outputs: FusedLossOutputs, config: Omit<LossConfig, 'klWeight'>): { ppo: tf.Scalar; stats: PpoLossStats } {
  if ('logits' in outputs) {
    const [slots, k] = outputs.logits.shape;
    const actions = outputs.actions;
    const n = actions.length;
    if (outputs.value.shape[0] !== slots) throw new Error(`fusedPpoLoss: value has ${outputs.value.shape[0]} entries, logits ${slots} rows`);
    const slot = outputs.slotOfRow ?? Int32Array.from({ length: n }, (_, i) => i);
    checkSlots(slot, n, slots);
    return lossOp([outputs.logits, outputs.value], ([logits, v]) => {
      const cat = categoricalValues(logits as Float32Array, actions, k, slot);
      const vRows = new Float64Array(n);
      for (let i = 0; i < n; i++) vRows[i] = (v as Float32Array)[slot[i] as number] as number;
      const r = ppoLossValues(batch, cat.logProb, cat.entropy, vRows, config);
      return {
        stats: r.stats,
        grads: () => {
          const dValue = new Float32Array(slots);
          for (let i = 0; i < n; i++) dValue[slot[i] as number] = r.dValue[i] as number;
          return [cat.backward(r.dLogProb, r.dEntropy), dValue];
        },
      };
    });
  }
  return lossOp([outputs.logProb, outputs.entropy, outputs.value], ([lp, en, v]) => {
    const r = ppoLossValues(batch, lp as Float32Array, en as Float32Array, v as Float32Array, config);
    return { stats: r.stats, grads: () => [r.dLogProb, r.dEntropy, r.dValue] };
  });
}

/**
 * One differentiable op over `inputs`: `compute` gets their values and returns the loss terms and,
 * on demand, the gradient of `ppo` for each input (its shape, row-major); the op's value is `ppo`.
 */
function lossOp(inputs: tf.Tensor[], compute: (values: Float32Array[]) => { stats: PpoLossStats; grads: () => Float32Array[] }): { ppo: tf.Scalar; stats: PpoLossStats } {
  let stats: PpoLossStats | null = null;
  const op = tf.customGrad(((...args: tf.Tensor[]) => {
    const save = args[args.length - 1] as unknown as tf.GradSaveFunc;
    save([]);
    const xs = args.slice(0, -1);
    const r = compute(xs.map((x) => x.dataSync() as Float32Array));
    stats = r.stats;
    return {
      value: tf.scalar(r.stats.ppo),
      gradFunc: (dy: tf.Scalar) => {
        const s = dy.dataSync()[0] as number;
        return r.grads().map((g, i) => tf.tensor(s === 1 ? g : g.map((x) => x * s), (xs[i] as tf.Tensor).shape));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const ppo = (op as unknown as (...t: tf.Tensor[]) => tf.Scalar)(...inputs);
  return { ppo, stats: stats as unknown as PpoLossStats };
}
