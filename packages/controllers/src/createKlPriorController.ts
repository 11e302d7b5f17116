import {
  CONTROLLER_BETA,
  CONTROLLER_R_EMA,
  CONTROLLER_R_RAW,
  CONTROLLER_TRIGGER_DOWN_COUNT,
  CONTROLLER_TRIGGER_UP_COUNT,
  PRIOR_SIGMA,
  priorDeltaEmaTask,
  priorDeltaTask,
  priorSigmaTask,
  priorZTask,
  noiseToWeightRatio,
  type SigmaPriorSpec,
} from '@varshare/base';
import { betaSchedule } from './betaSchedule';
import { formatConfigIssues, type KlPriorControllerConfig } from './config';
import {
  ControllerStateSchema,
  type BetaSourceState,
  type ControllerState,
  type PriorSourceState,
} from './controllerState';
import { initLossGapPriorState, isLossGapMetaUpdate, lossGapPriorSigma } from './lossGapPriorSigma';
import { initRatioControllerState, ratioControllerUpdate } from './ratioControllerUpdate';

/** Signals measured after PPO update `update`; each source takes what it needs and ignores the rest. */
export interface ControllerSignals {
  /** 0-based index of the update just completed. */
  readonly update: number;
  /** R_raw = median(σ_all)/(median|θ_all| + ε) after the update. Required every update by exp3. */
  readonly rRaw?: number;
  /** Diagnostic critic losses [numTasks]; required by exp4 on updates where `wantsLossGap` is true. */
  readonly lShared?: ArrayLike<number>;
  readonly lAdapt?: ArrayLike<number>;
}

/** Run facts the controller needs. */
export interface KlPriorControllerOptions {
  /** Number of tasks M. */
  readonly numTasks: number;
  /** Task names in task-id order, length numTasks; used in `prior/<…>/<task>` log keys. */
  readonly taskNames: readonly string[];
  /** VarShare layer names (e.g. `actor.0`); exp5 creates one log σ_prior per name. Defaults to []. */
  readonly layerNames?: readonly string[];
  /** T: total number of PPO updates of the run (exp2's schedule length). */
  readonly totalUpdates: number;
}

/**
 * The composed β × σ_prior controller. Timing, for the 0-based PPO update index t:
 *   const { beta, sigmaPrior } = c.beforeUpdate(state, t);  // decided from the state after update t−1
 *   …run PPO update t with beta and sigmaPrior…
 *   if (c.wantsLossGap(state, t)) { …compute lShared, lAdapt on diagnostic batches… }
 *   state = c.afterUpdate(state, { update: t, rRaw, lShared, lAdapt });
 *   log(c.logs(state, t));                                  // the row of update t
 */
export interface KlPriorController {
  readonly config: KlPriorControllerConfig;
  /** Fresh state before update 0 (plain JSON). */
  init(): ControllerState;
  /**
   * Validates a state read back from a checkpoint (e.g. `JSON.parse(text)`) against the schema and this
   * controller's config and task count; returns it typed. Throws an Error naming the mismatch.
   */
  restore(raw: unknown): ControllerState;
  /** True when exp4's meta-update runs after update `update`, i.e. the trainer must pass lShared/lAdapt. */
  wantsLossGap(state: ControllerState, update: number): boolean;
  /**
   * R_raw = median σ / (median |θ| + ε) from the two medians the trainer measures (`noiseToWeightRatio`),
   * with exp3's configured ε (the default 1e-8 for other variants): the signal `afterUpdate` takes as `rRaw`.
   */
  noiseToWeightRatio(sigmaMedian: number, thetaAbsMedian: number): number;
  /**
   * β and σ_prior for update `update` (must equal `state.nextUpdate`). Does not change the state.
   * σ_prior is `@varshare/base`'s `SigmaPriorSpec`, which core's `SigmaPrior.fromSpec`/`applySpec` take.
   */
  beforeUpdate(state: ControllerState, update: number): { readonly beta: number; readonly sigmaPrior: SigmaPriorSpec };
  /** Folds the signals measured after update `signals.update` (must equal `state.nextUpdate`) into a new state. */
  afterUpdate(state: ControllerState, signals: ControllerSignals): ControllerState;
  /**
   * Metric row for update `update`, called with the state returned by `afterUpdate` for that update.
   * β and σ_prior are the values USED in that update; R_raw, R_ema, trigger counts and Δ/Δ̄/z are the ones
   * observed/computed after it (a β or σ_prior change they cause shows in the next row). Keys:
   * - all: `controller/beta`
   * - ratio β: `controller/trigger_up_count`, `controller/trigger_down_count`, `controller/R_raw`, `controller/R_ema`
   * - fixed prior: `prior/sigma`
   * - loss-gap prior: `prior/sigma/<task>` every update; `prior/delta/<task>`, `prior/delta_ema/<task>`,
   *   `prior/z/<task>` on meta-update rows only (they are computed only then)
   * - learned prior: none here (`prior/sigma/<layer>`, `prior/log_sigma/<layer>`, `prior/hyper_penalty`
   *   live in tensors and are logged by the PPO package)
   */
  logs(state: ControllerState, update: number): Record<string, number>;
}

const TASK_NAME_RE = /^[^/\s]+$/;

/**
 * Builds the composed controller for a resolved config (see `parseControllerConfig`/`resolveVariant`).
 * @throws Error on inconsistent options (numTasks ≠ taskNames.length, duplicate or empty names, T ≤ 0)
 */
export function createKlPriorController(
  config: KlPriorControllerConfig,
  options: KlPriorControllerOptions,
): KlPriorController {
  const { numTasks, taskNames, totalUpdates } = options;
  const layerNames = [...(options.layerNames ?? [])];
  if (!Number.isInteger(numTasks) || numTasks < 1) throw new Error(`createKlPriorController: numTasks must be an integer >= 1, got ${numTasks}`);
  if (taskNames.length !== numTasks) {
    throw new Error(`createKlPriorController: taskNames has ${taskNames.length} names but numTasks is ${numTasks}`);
  }
  checkNames(taskNames, 'taskNames');
  checkNames(layerNames, 'layerNames');
  if (!Number.isInteger(totalUpdates) || totalUpdates < 1) {
    throw new Error(`createKlPriorController: totalUpdates must be an integer >= 1, got ${totalUpdates}`);
  }
  const betaCfg = config.beta;
  const priorCfg = config.prior;

  function checkSequence(state: ControllerState, update: number, what: string): void {
    if (update !== state.nextUpdate) {
      throw new Error(`${what}: expected update ${state.nextUpdate} (state.nextUpdate), got ${update}`);
    }
  }

  function betaFor(state: ControllerState, update: number): number {
    switch (betaCfg.kind) {
      case 'fixed':
        return betaCfg.beta1;
      case 'anneal':
        return betaSchedule(update, totalUpdates, betaCfg);
      case 'ratio':
        if (state.beta.kind !== 'ratio') throw new Error('controller state has no ratio-controller part');
        return state.beta.state.beta;
    }
  }

  function sigmaFor(state: ControllerState): SigmaPriorSpec {
    switch (priorCfg.kind) {
      case 'fixed':
        return { kind: 'global', value: priorCfg.sigma };
      case 'loss-gap':
        if (state.prior.kind !== 'loss-gap') throw new Error('controller state has no loss-gap part');
        return { kind: 'per-task', values: state.prior.state.sigmaPrior.slice() };
      case 'learned': {
        const { init, lrScale, hyperLambda, target, detachSigma } = priorCfg;
        return { kind: 'learned-per-layer', init, lrScale, hyperLambda, target, detachSigma, layerNames: layerNames.slice() };
      }
    }
  }

  function init(): ControllerState {
    const beta: BetaSourceState =
      betaCfg.kind === 'ratio' ? { kind: 'ratio', state: initRatioControllerState(betaCfg) } : { kind: betaCfg.kind };
    const prior: PriorSourceState =
      priorCfg.kind === 'loss-gap'
        ? { kind: 'loss-gap', state: initLossGapPriorState(priorCfg, numTasks) }
        : { kind: priorCfg.kind };
    return { version: 1, nextUpdate: 0, beta, prior, last: null };
  }

  function restore(raw: unknown): ControllerState {
    const parsed = ControllerStateSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`Invalid controller state: ${formatConfigIssues(parsed.error, 'state')}`);
    const state = parsed.data as ControllerState;
    if (state.beta.kind !== betaCfg.kind) {
      throw new Error(`Controller state has beta.kind '${state.beta.kind}' but the config says '${betaCfg.kind}'`);
    }
    if (state.prior.kind !== priorCfg.kind) {
      throw new Error(`Controller state has prior.kind '${state.prior.kind}' but the config says '${priorCfg.kind}'`);
    }
    if (state.prior.kind === 'loss-gap') {
      const s = state.prior.state;
      for (const [key, arr] of [['sigmaPrior', s.sigmaPrior], ['delta', s.delta], ['deltaEma', s.deltaEma], ['z', s.z]] as const) {
        if (arr !== null && arr.length !== numTasks) {
          throw new Error(`Controller state prior.state.${key} has ${arr.length} entries but numTasks is ${numTasks}`);
        }
      }
    }
    if ((state.last === null) !== (state.nextUpdate === 0) || (state.last !== null && state.last.update !== state.nextUpdate - 1)) {
      throw new Error(`Controller state is inconsistent: last.update must be nextUpdate − 1 (${state.nextUpdate - 1})`);
    }
    return state;
  }

  function wantsLossGap(_state: ControllerState, update: number): boolean {
    return priorCfg.kind === 'loss-gap' && isLossGapMetaUpdate(update, priorCfg.K);
  }

  function beforeUpdate(state: ControllerState, update: number) {
    checkSequence(state, update, 'beforeUpdate');
    return { beta: betaFor(state, update), sigmaPrior: sigmaFor(state) };
  }

  function afterUpdate(state: ControllerState, signals: ControllerSignals): ControllerState {
    const { update } = signals;
    checkSequence(state, update, 'afterUpdate');
    const applied = beforeUpdate(state, update);

    let beta = state.beta;
    if (betaCfg.kind === 'ratio' && state.beta.kind === 'ratio') {
      if (signals.rRaw === undefined) {
        throw new Error(`afterUpdate: the ratio β controller (exp3) needs signals.rRaw at every update (missing at update ${update})`);
      }
      beta = { kind: 'ratio', state: ratioControllerUpdate(state.beta.state, { rRaw: signals.rRaw, update }, betaCfg).state };
    }

    let prior = state.prior;
    if (priorCfg.kind === 'loss-gap' && state.prior.kind === 'loss-gap' && isLossGapMetaUpdate(update, priorCfg.K)) {
      const { lShared, lAdapt } = signals;
      if (lShared === undefined || lAdapt === undefined) {
        throw new Error(
          `afterUpdate: the loss-gap prior (exp4) needs signals.lShared and signals.lAdapt at update ${update} (wantsLossGap is true)`,
        );
      }
      prior = { kind: 'loss-gap', state: lossGapPriorSigma(state.prior.state, { update, lShared, lAdapt }, priorCfg).state };
    }

    const sp = applied.sigmaPrior;
    const sigmaPrior = sp.kind === 'global' ? sp.value : sp.kind === 'per-task' ? sp.values.slice() : null;
    return { version: 1, nextUpdate: update + 1, beta, prior, last: { update, beta: applied.beta, sigmaPrior } };
  }

  function logs(state: ControllerState, update: number): Record<string, number> {
    const last = state.last;
    if (last === null || last.update !== update) {
      throw new Error(`logs: the state is not the one returned by afterUpdate for update ${update} (last update: ${last?.update ?? 'none'})`);
    }
    const out: Record<string, number> = { [CONTROLLER_BETA]: last.beta };
    if (state.beta.kind === 'ratio') {
      const r = state.beta.state;
      out[CONTROLLER_TRIGGER_UP_COUNT] = r.triggerUpCount;
      out[CONTROLLER_TRIGGER_DOWN_COUNT] = r.triggerDownCount;
      out[CONTROLLER_R_RAW] = r.rRaw as number;
      out[CONTROLLER_R_EMA] = r.rEma as number;
    }
    if (state.prior.kind === 'fixed') {
      out[PRIOR_SIGMA] = last.sigmaPrior as number;
    } else if (state.prior.kind === 'loss-gap') {
      const p = state.prior.state;
      const used = last.sigmaPrior as readonly number[];
      taskNames.forEach((task, m) => {
        out[priorSigmaTask(task)] = used[m] as number;
      });
      if (p.lastMetaUpdate === update && p.delta && p.deltaEma && p.z) {
        const { delta, deltaEma, z } = p;
        taskNames.forEach((task, m) => {
          out[priorDeltaTask(task)] = delta[m] as number;
          out[priorDeltaEmaTask(task)] = deltaEma[m] as number;
          out[priorZTask(task)] = z[m] as number;
        });
      }
    }
    return out;
  }

  function ratio(sigmaMedian: number, thetaAbsMedian: number): number {
    return noiseToWeightRatio(sigmaMedian, thetaAbsMedian, betaCfg.kind === 'ratio' ? betaCfg.eps : undefined);
  }

  return { config, init, restore, wantsLossGap, noiseToWeightRatio: ratio, beforeUpdate, afterUpdate, logs };
}

function checkNames(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!TASK_NAME_RE.test(name)) {
      throw new Error(`createKlPriorController: ${what} entry ${JSON.stringify(name)} must be non-empty without '/' or spaces (it becomes part of a metric key)`);
    }
    if (seen.has(name)) throw new Error(`createKlPriorController: duplicate ${what} entry ${JSON.stringify(name)}`);
    seen.add(name);
  }
}
