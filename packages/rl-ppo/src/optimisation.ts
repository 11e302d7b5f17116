import { deriveSeed, type Rng } from '@varshare/base';
import { TaskRouting, readValues, tf, withGradientSink, type GradientSink, type MLPApplyOptions, type WeightModesConfig } from '@varshare/core';
import * as M from '@varshare/base';
import type { Adam } from './adam';
import type { MultiTaskAgent, ParamGroup } from './agent';
import type { OptimizerConfig, PpoHyperparams } from './config';
import { gaussianLogProbEntropy } from './distributions';
import { MinibatchDealer } from './minibatches';
import { weightOptions } from './policy';
import { fusedPpoLoss, type FusedLossOutputs, type LossArrays, type LossParts, type PpoLossStats } from './ppoLoss';
import { klRegulariser, klRegulariserWithoutTape, type LearnedPriorSettings } from './regulariser';
import type { RolloutBatch } from './rollout';

/** A rollout batch with its GAE advantages and value targets, `[B]` each. */
export interface TrainingBatch extends RolloutBatch {
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
}

/** A loss or the non-finite gradient norm that stopped the update; the weights are left as they were before that step. */
export class NonFiniteLossError extends Error {}

/** Parameter groups of the KL-pressure diagnostics (`grad/{ppo,kl}_norm/<group>`). */
export const PRESSURE_GROUPS: readonly M.GradGroup[] = ['theta', 'mu', 'rho', 'prior'];
export type PressureGroup = M.GradGroup;
/** Posterior parameter names are `<layer>/mu<k>` and `<layer>/rho<k>` (see MultiTaskAgent.parameterGroups). */
export const isMu = (name: string): boolean => /\/mu\d+$/.test(name);
export const isRho = (name: string): boolean => /\/rho\d+$/.test(name);
/**
 * Entries of ρ sampled (fixed stride) for the median |Δρ| of each optimizer step: the median of
 * 1,024 draws is within a few per cent of the whole set's, and the update's 32 steps are averaged;
 * 8,192 cost ~4 % of a cartpole-mt update.
 */
const RHO_STEP_SAMPLES = 1024;

/** What the update epochs need; the optimizers, the generator and the agent's variables advance. */
export interface OptimiseContext {
  readonly agent: MultiTaskAgent;
  readonly optimizers: Record<ParamGroup, Adam>;
  readonly rng: Rng;
  readonly ppo: PpoHyperparams;
  readonly optimizer: OptimizerConfig;
  readonly weights: WeightModesConfig;
  /** The divisor of KL_total (`kl.normalisation`): batch size, residual weights, or 1. */
  readonly klNormaliser: number;
  /** Exp5's learned prior (null otherwise): the hyperprior and the prior group's lr scale. */
  readonly learnedPrior: LearnedPriorSettings | null;
  readonly minibatchSize: number;
  /** 1-based number of the update, for error messages. */
  readonly updateNumber: number;
}

/** Means over the update's minibatch steps of the loss parts, and the KL pressure. */
export interface OptimiseResult {
  /** Mean of each loss part over the steps (`total` accumulated in float64 from the parts). */
  readonly losses: { readonly [K in keyof LossParts]: number };
  /** β · mean KL_total / normaliser: the KL term's mean contribution to the loss. */
  readonly klTerm: number;
  readonly minibatchSteps: number;
  /** Per group: L2 norm of the PPO and of the KL (+ hyperprior) gradient, means over the steps. */
  readonly ppoNorm: Readonly<Record<PressureGroup, number>>;
  readonly klNorm: Readonly<Record<PressureGroup, number>>;
  /** Mean global gradient norm (θ, μ, ρ) before clipping, and the share of clipped steps. */
  readonly totalNorm: number;
  readonly clipFraction: number;
  /** Mean over the steps of the median |Δρ| of each step (NaN without ρ). */
  readonly rhoStep: number;
}

const LOSS_KEYS = ['policy', 'value', 'entropy', 'approxKl', 'oldApproxKl', 'clipFraction', 'kl', 'hyperprior', 'ppo', 'total'] as const;

/** Gathers the rows `idx` of a `[B, width]` array into `[n, width]`. */
function gather(src: Float32Array, idx: Int32Array, width: number): Float32Array {
  // (plain loops: a subarray per row, or a typed array's from() with a map function, cost more
  // than the copy at these widths)
  const out = new Float32Array(idx.length * width);
  for (let r = 0; r < idx.length; r++) {
    const o = (idx[r] as number) * width;
    for (let j = 0; j < width; j++) out[r * width + j] = src[o + j] as number;
  }
  return out;
}

/**
 * The networks' outputs on one minibatch under the training weights (`weights.train`; frozen noise
 * from the segment seed, or local noise seeded per step) for the fused loss: categorical logits
 * (with the actions) or log π(a|s) and the entropy, and V(s).
 * @param obs the minibatch's observations, `[n, D]` row-major
 */
function minibatchOutputs(agent: MultiTaskAgent, obs: Float32Array, D: number, actions: Float32Array, routing: TaskRouting, opts: MLPApplyOptions, localSeed: number): FusedLossOutputs {
  // (the observations are data: no gradient through them, so no ∂x product in the first layers)
  const seeded = (k: number): MLPApplyOptions => ({ ...(opts.noise?.kind === 'local' ? { ...opts, noise: { kind: 'local', seed: deriveSeed(localSeed, k) } } : opts), inputGradient: false });
  if (agent.action.kind === 'discrete') {
    // Categorical: log π and the entropy are computed inside the fused loss op, which reads each
    // row at its slot of the task-grouped outputs (no ungroup, nor its gradient); the observations
    // are grouped once for both networks, on the CPU (they need no gradient).
    const xg = tf.tensor3d(routing.groupArray(obs, D), [routing.numTasks, routing.groupSize, D]);
    const slots = routing.numTasks * routing.groupSize;
    const logits = tf.reshape(agent.actor.applyGrouped(xg, seeded(0)), [slots, agent.action.n]) as tf.Tensor2D;
    const value = tf.reshape(agent.critic.applyGrouped(xg, seeded(1)), [slots]) as tf.Tensor1D;
    return { logits, actions, value, slotOfRow: routing.slotOfRow() };
  }
  const x = tf.tensor2d(obs, [routing.batchSize, D]);
  const head = agent.actor.applyRouted(x, routing, seeded(0));
  const value = tf.reshape(agent.critic.applyRouted(x, routing, seeded(1)), [-1]) as tf.Tensor1D;
  // One-hot matmul rather than gather: the gather gradient needs UnsortedSegmentSum, absent on wasm.
  // Built on the CPU: tf.oneHot rejects depth 1 (a single-task suite such as gym:<one id>).
  const T = agent.numTasks;
  const n = routing.taskIds.length;
  const rows = new Float32Array(n * T);
  routing.taskIds.forEach((t, i) => (rows[i * T + t] = 1));
  const oneHot = tf.tensor2d(rows, [n, T]);
  const logStd = tf.matMul(oneHot, agent.logStd as unknown as tf.Tensor2D);
  const { logProb, entropy } = gaussianLogProbEntropy(head, logStd as tf.Tensor2D, tf.tensor2d(actions, [n, agent.action.dim]));
  return { logProb, entropy, value };
}

/**
 * The update epochs of one PPO update (CleanRL's inner loops): `updateEpochs` passes of shuffled
 * mixed-task minibatches; per minibatch the regulariser's gradient (β·KL_total/normaliser +
 * hyperprior, which depends on μ, ρ and the learned σ_prior only) and the PPO loss's gradient are
 * taken separately — each term's norm per parameter group is the KL-pressure diagnostic — and added
 * in the optimizers; a global grad-norm clip over θ, μ, ρ (a learned σ_prior's gradient sums ~10⁴
 * weights per layer and would otherwise slow the whole network in exp5 only); one Adam step per
 * group; optional early stop at `targetKl`.
 * @param lr this update's learning rate (annealed), before the group scales
 * @param segmentSeed the rollout segment's seed (frozen training noise reuses it)
 * @throws NonFiniteLossError on a non-finite gradient norm (no step is applied) or loss
 */
export function optimiseEpochs(ctx: OptimiseContext, batch: TrainingBatch, beta: number, lr: number, segmentSeed: number): OptimiseResult {
  const { agent, rng, ppo: p, optimizer: o } = ctx;
  const D = batch.obs.length / batch.taskIds.length;
  const actDim = agent.action.kind === 'discrete' ? 1 : agent.action.dim;
  const groups = agent.parameterGroups();
  const allVars = new Map<string, tf.Variable>([...groups.theta, ...groups.posterior, ...groups.prior]);
  const varList = [...allVars.values()];
  const nameOf = new Map<string, string>([...allVars].map(([stable, v]) => [v.name, stable]));
  const klVars = [...groups.posterior.values(), ...groups.prior.values()];
  const groupOf = (stable: string): ParamGroup => (groups.theta.has(stable) ? 'theta' : groups.posterior.has(stable) ? 'posterior' : 'prior');
  const opts = weightOptions(ctx.weights, ctx.weights.train, segmentSeed);
  const lossConfig = { clipCoef: p.clipCoef, clipVloss: p.clipVloss, normAdv: p.normAdv, entCoef: p.entCoef, vfCoef: p.vfCoef, klWeight: beta / ctx.klNormaliser };
  const sums = new Float64Array(LOSS_KEYS.length);
  const ppoNorm = { theta: 0, mu: 0, rho: 0, prior: 0 };
  const klNorm = { theta: 0, mu: 0, rho: 0, prior: 0 };
  let totalNorm = 0;
  let clipped = 0;
  let rhoStep = 0;
  let count = 0;
  const dealer = new MinibatchDealer(batch.taskIds, agent.numTasks, ctx.minibatchSize, p.minibatchSampling);
  const opt = ctx.optimizers;
  // μ and ρ gradients from the ops that deliver them (GradientSink: no tensor; written straight into
  // the optimizer's arrays where the op can, else copied in once): the PPO loss's are staged at
  // once, the KL's held until the PPO loss's are staged.
  let phase: 'kl' | 'ppo' = 'kl';
  const accepted = new Set<string>();
  // (tidy frees the initial value's tensor; the variable holds its own reference)
  const anchor = tf.tidy(() => tf.variable(tf.scalar(0), true));
  const sink: GradientSink = {
    anchor,
    accept(param, grad) {
      const stable = nameOf.get(param.name);
      if (stable === undefined) throw new Error(`optimiseEpochs: a gradient for '${param.name}', which is not a parameter of the agent`);
      const o = opt[groupOf(stable)];
      if (phase === 'kl') o.hold(stable, grad);
      else if (accepted.has(stable)) o.addToStaged(stable, grad);
      else o.stage(stable, grad);
      accepted.add(stable);
    },
    // The optimizer's own array for the first term of each phase (the ops may write it in place).
    target(param) {
      const stable = nameOf.get(param.name);
      if (stable === undefined) return null;
      const o = opt[groupOf(stable)];
      if (phase === 'kl') return o.holdTarget(stable);
      return accepted.has(stable) ? null : o.stageTarget(stable);
    },
  };
  let stopped = false;
  try {
    for (let epoch = 0; epoch < p.updateEpochs && !stopped; epoch++) {
      for (const idx of dealer.epoch(rng)) {
        const n = idx.length;
        const ids = new Int32Array(idx.length);
        for (let r = 0; r < idx.length; r++) ids[r] = batch.taskIds[idx[r] as number] as number;
        const routing = new TaskRouting(ids, agent.numTasks);
        const localSeed = ctx.weights.noise === 'local' ? rng.nextSeed() : 0;
        let stats: PpoLossStats | null = null;
        let regValues: { klTotal: number; hyperprior: number } | null = null;
        const regT = tf.tidy(() => {
          const f = (src: Float32Array) => gather(src, idx, 1);
          const lossBatch: LossArrays = { oldLogProbs: f(batch.logProbs), advantages: f(batch.advantages), returns: f(batch.returns), oldValues: f(batch.values) };
          const obs = gather(batch.obs, idx, D);
          const actions = gather(batch.actions, idx, actDim);
          // --- the regulariser's gradient (μ, ρ, learned σ_prior): without the tape where it can be
          // (constant priors), else through it; its values are constants for the PPO loss
          let reg: { klTotal: tf.Scalar; hyperprior: tf.Scalar } | null = null;
          phase = 'kl';
          accepted.clear();
          let klGrads: Record<string, tf.Tensor> = {};
          if (klVars.length > 0) {
            regValues = klRegulariserWithoutTape(agent, lossConfig.klWeight, ctx.learnedPrior, sink);
            if (!regValues) {
              klGrads = withGradientSink(sink, () =>
                tf.variableGrads(() => {
                  const r = klRegulariser(agent, lossConfig.klWeight, ctx.learnedPrior);
                  reg = { klTotal: tf.keep(r.klTotal), hyperprior: tf.keep(r.hyperprior) };
                  return r.loss;
                }, [...klVars, anchor]).grads,
              );
            }
          }
          // --- the PPO loss's gradient (every parameter): staged as it arrives, from the sink in the
          // backward pass or from the tape after it
          phase = 'ppo';
          accepted.clear();
          // The loss is ppo + klWeight·KL_total + hyperprior with the regulariser's values as
          // constants here, so its gradient is ppo's (fusedPpoLoss: one op for ppoLoss's ~130).
          const { grads, value: ppoValue } = withGradientSink(sink, () =>
            tf.variableGrads(() => {
              const outputs = minibatchOutputs(agent, obs, D, actions, routing, opts, localSeed);
              const l = fusedPpoLoss(lossBatch, outputs, lossConfig);
              stats = l.stats;
              return l.ppo;
            }, varList),
          );
          ppoValue.dispose();
          // --- the PPO gradient staged; the KL's terms added in the optimizers, then both norms per group
          for (const [varName, g] of Object.entries(grads)) {
            const stable = nameOf.get(varName) as string;
            if (accepted.has(stable)) opt[groupOf(stable)].addToStaged(stable, readValues(g));
            else opt[groupOf(stable)].stage(stable, readValues(g));
          }
          const klSq = { theta: 0, mu: 0, rho: 0, prior: 0 };
          // In the KL variables' order (tf.variableGrads' order), whichever way each term arrived
          // (both: the tape's part is added to the held one first).
          for (const v of klVars) {
            const stable = nameOf.get(v.name) as string;
            const group = groupOf(stable);
            const o = opt[group];
            const g = klGrads[v.name];
            if (g && o.holds(stable)) o.hold(stable, readValues(g));
            const sq = o.holds(stable) ? o.stageHeld(stable) : g ? o.stageAdd(stable, readValues(g)) : null;
            if (sq !== null) klSq[group === 'posterior' ? (isRho(stable) ? 'rho' : 'mu') : group] += sq;
          }
          for (const k of PRESSURE_GROUPS) klNorm[k] += Math.sqrt(klSq[k]);
          // The PPO gradient's norms: Σ g² before the KL's terms were added (each add's pass summed
          // them; no pass of its own).
          ppoNorm.theta += Math.sqrt(opt.theta.firstSumSquares());
          ppoNorm.mu += Math.sqrt(opt.posterior.firstSumSquares(isMu));
          ppoNorm.rho += Math.sqrt(opt.posterior.firstSumSquares(isRho));
          ppoNorm.prior += Math.sqrt(opt.prior.firstSumSquares());
          // --- clip (CleanRL clip_grad_norm_ over the network) and step
          const priorSq = opt.prior.stagedSumSquares();
          const norm = Math.sqrt(opt.theta.stagedSumSquares() + opt.posterior.stagedSumSquares());
          // Never apply a non-finite step: the weights (and so the next checkpoint) stay good.
          if (!Number.isFinite(norm) || !Number.isFinite(priorSq)) {
            for (const x of Object.values(opt)) x.discardStaged();
            throw new NonFiniteLossError(`non-finite gradient norm (${norm}) at update ${ctx.updateNumber}, epoch ${epoch}`);
          }
          const scale = Math.min(1, p.maxGradNorm / (norm + 1e-6));
          totalNorm += norm;
          if (scale < 1) clipped += 1;
          opt.theta.applyStaged(lr * o.thetaLrScale, scale);
          opt.posterior.applyStaged(lr * o.posteriorLrScale, scale);
          if (groups.prior.size > 0) opt.prior.applyStaged(lr * (ctx.learnedPrior?.lrScale ?? 1), 1);
          const step = opt.posterior.lastStepAbsMedian(isRho, RHO_STEP_SAMPLES);
          if (Number.isFinite(step)) rhoStep += step;
          const kept = reg as { klTotal: tf.Scalar; hyperprior: tf.Scalar } | null; // (set by the tape path)
          if (!kept) return undefined;
          const values = tf.stack([kept.klTotal, kept.hyperprior]) as tf.Tensor1D;
          // The tape's regulariser values were kept past variableGrads' scope (so past this tidy too).
          kept.klTotal.dispose();
          kept.hyperprior.dispose();
          return values;
        });
        const direct = regValues as { klTotal: number; hyperprior: number } | null; // (set inside the tidy)
        const [klValue, hyperpriorValue] = direct ? [direct.klTotal, direct.hyperprior] : regT ? (regT.dataSync() as Float32Array) : [0, 0];
        regT?.dispose();
        const parts: Record<(typeof LOSS_KEYS)[number], number> = { ...(stats as unknown as PpoLossStats), kl: klValue as number, hyperprior: hyperpriorValue as number, total: 0 };
        const at = (k: (typeof LOSS_KEYS)[number]) => parts[k];
        // pg − c_ent·entropy + c_vf·v + β·KL_total/normaliser + hyperprior, in float64
        const total = at('policy') - p.entCoef * at('entropy') + p.vfCoef * at('value') + (beta * at('kl')) / ctx.klNormaliser + at('hyperprior');
        if (!Number.isFinite(total)) {
          throw new NonFiniteLossError(`non-finite loss (${total}) at update ${ctx.updateNumber}, epoch ${epoch}: policy ${at('policy')}, value ${at('value')}, KL ${at('kl')}`);
        }
        LOSS_KEYS.forEach((k, i) => (sums[i] = (sums[i] as number) + (k === 'total' ? total : parts[k])));
        count += 1;
        if (p.targetKl !== null && at('approxKl') > p.targetKl) {
          stopped = true;
          break;
        }
      }
    }
  } finally {
    anchor.dispose();
  }
  const losses = Object.fromEntries(LOSS_KEYS.map((k, i) => [k, (sums[i] as number) / count])) as OptimiseResult['losses'];
  const mean = (r: Record<PressureGroup, number>) => Object.fromEntries(PRESSURE_GROUPS.map((k) => [k, r[k] / count])) as Record<PressureGroup, number>;
  return { losses, klTerm: (beta * losses.kl) / ctx.klNormaliser, minibatchSteps: count, ppoNorm: mean(ppoNorm), klNorm: mean(klNorm), totalNorm: totalNorm / count, clipFraction: clipped / count, rhoStep: rhoStep / count };
}

/** Explained variance of the rollout's value predictions, 1 − Var(R − V)/Var(R) (NaN when Var(R) = 0). */
export function explainedVariance(returns: Float32Array, values: Float32Array): number {
  const B = returns.length;
  let meanY = 0;
  for (let i = 0; i < B; i++) meanY += returns[i] as number;
  meanY /= B;
  let varY = 0;
  let varRes = 0;
  for (let i = 0; i < B; i++) {
    varY += ((returns[i] as number) - meanY) ** 2;
    varRes += ((returns[i] as number) - (values[i] as number)) ** 2;
  }
  return varY === 0 ? Number.NaN : 1 - varRes / varY;
}

/**
 * The update's loss and KL-pressure rows of metrics.jsonl.
 * @param sizes parameters per pressure group (for the per-parameter RMS)
 */
export function optimiseMetrics(r: OptimiseResult, explainedVar: number, sizes: Readonly<Record<PressureGroup, number>>): Record<string, number> {
  const out: Record<string, number> = {
    [M.LOSSES_POLICY_LOSS]: r.losses.policy,
    [M.LOSSES_VALUE_LOSS]: r.losses.value,
    [M.LOSSES_ENTROPY]: r.losses.entropy,
    [M.LOSSES_APPROX_KL]: r.losses.approxKl,
    [M.LOSSES_OLD_APPROX_KL]: r.losses.oldApproxKl,
    [M.LOSSES_CLIPFRAC]: r.losses.clipFraction,
    [M.LOSSES_EXPLAINED_VARIANCE]: explainedVar,
    [M.LOSSES_KL_TERM]: r.klTerm,
    [M.LOSSES_TOTAL]: r.losses.total,
    [M.CHARTS_MINIBATCH_UPDATES]: r.minibatchSteps,
  };
  for (const k of PRESSURE_GROUPS) {
    if (k === 'prior' && sizes.prior === 0) continue;
    out[M.gradPpoNorm(k)] = r.ppoNorm[k];
    out[M.gradKlNorm(k)] = r.klNorm[k];
    out[M.gradPpoRms(k)] = sizes[k] > 0 ? r.ppoNorm[k] / Math.sqrt(sizes[k]) : 0;
    out[M.gradKlRms(k)] = sizes[k] > 0 ? r.klNorm[k] / Math.sqrt(sizes[k]) : 0;
  }
  out[M.GRAD_TOTAL_NORM] = r.totalNorm;
  out[M.GRAD_CLIP_FRACTION] = r.clipFraction;
  if (sizes.rho > 0) out[M.STEP_RHO_ABS_MEDIAN] = r.rhoStep;
  return out;
}
