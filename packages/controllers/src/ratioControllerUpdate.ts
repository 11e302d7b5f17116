import type { RatioBetaConfig } from './config';

/** Serialisable state of exp3's controller (plain JSON; goes into checkpoints). */
export interface RatioControllerState {
  /** β to use in the next PPO update. */
  readonly beta: number;
  /** R_ema after the last observation; null before the first one. */
  readonly rEma: number | null;
  /** The last R_raw observed; null before the first one. */
  readonly rRaw: number | null;
  /** Decision steps with R_ema > R_max so far (counted even when β was already at β_max). */
  readonly triggerUpCount: number;
  /** Decision steps with R_ema < R_min so far (counted even when β was already at β_min). */
  readonly triggerDownCount: number;
  /** Index of the last update observed; null before the first one. */
  readonly lastUpdate: number | null;
}

/** One observation: R_raw measured after PPO update `update` (0-based). */
export interface RatioControllerSignal {
  readonly rRaw: number;
  readonly update: number;
}

/** What the controller decided after observing update `update`. */
export interface RatioControllerOutput {
  /** β for the next update (changed only when `triggered` is non-null and β was not at its bound). */
  readonly beta: number;
  readonly triggered: 'up' | 'down' | null;
}

/**
 * Initial state: β = β1, no observation yet, R_ema = null (see `rEmaInit`).
 * @param config resolved ratio config
 */
export function initRatioControllerState(config: RatioBetaConfig): RatioControllerState {
  return { beta: config.beta1, rEma: null, rRaw: null, triggerUpCount: 0, triggerDownCount: 0, lastUpdate: null };
}

/**
 * True when the controller may change β after update `update` (0-based): after every K-th completed
 * update, i.e. (update + 1) mod K = 0. β used in update t therefore changes only at t = K, 2K, …
 */
export function isRatioDecisionUpdate(update: number, K: number): boolean {
  return (update + 1) % K === 0;
}

/**
 * Exp3's event-triggered β controller, one call per PPO update (spec, Experiment 3):
 *   R_ema ← (1 − α)·R_ema + α·R_raw                      (every update)
 *   every K updates: R_ema > R_max → β ← min(β·γ_up, β_max)
 *                    R_ema < R_min → β ← max(β/γ_down, β_min)
 *                    otherwise       β unchanged
 * The first R_raw initialises R_ema (`rEmaInit: 'first'`) or is blended into a given r0.
 * Pure: returns a new state, never modifies `state`.
 * @param state state after update `update − 1`
 * @param signal R_raw measured after update `update`; `update` must follow `state.lastUpdate` by exactly 1
 * @param config resolved ratio config
 * @throws RangeError on a non-finite or negative R_raw or an out-of-sequence update index
 */
export function ratioControllerUpdate(
  state: RatioControllerState,
  signal: RatioControllerSignal,
  config: RatioBetaConfig,
): { state: RatioControllerState; output: RatioControllerOutput } {
  const { rRaw, update } = signal;
  if (!Number.isInteger(update) || update < 0) {
    throw new RangeError(`ratioControllerUpdate: update must be an integer >= 0, got ${update}`);
  }
  if (state.lastUpdate !== null && update !== state.lastUpdate + 1) {
    throw new RangeError(
      `ratioControllerUpdate: expected update ${state.lastUpdate + 1} after ${state.lastUpdate}, got ${update}`,
    );
  }
  if (!Number.isFinite(rRaw) || rRaw < 0) {
    throw new RangeError(`ratioControllerUpdate: R_raw must be a finite number >= 0, got ${rRaw} at update ${update}`);
  }

  // 'first': R_ema starts at the first R_raw. Starting at 0 would bias R_ema low for ~1/α updates and
  // could fire spurious 'down' triggers at the first decision steps.
  const rEma =
    state.rEma === null && config.rEmaInit === 'first'
      ? rRaw
      : (1 - config.alpha) * (state.rEma ?? (config.rEmaInit as number)) + config.alpha * rRaw;

  let { beta, triggerUpCount, triggerDownCount } = state;
  let triggered: 'up' | 'down' | null = null;
  if (isRatioDecisionUpdate(update, config.K)) {
    if (rEma > config.rMax) {
      triggered = 'up';
      triggerUpCount += 1;
      beta = Math.min(beta * config.gammaUp, config.betaMax);
    } else if (rEma < config.rMin) {
      triggered = 'down';
      triggerDownCount += 1;
      beta = Math.max(beta / config.gammaDown, config.betaMin);
    }
  }
  return {
    state: { beta, rEma, rRaw, triggerUpCount, triggerDownCount, lastUpdate: update },
    output: { beta, triggered },
  };
}
