import { describe, expect, it } from 'vitest';
import { RatioBetaSchema, type RatioBetaConfig } from './config';
import {
  initRatioControllerState,
  isRatioDecisionUpdate,
  ratioControllerUpdate,
  type RatioControllerState,
} from './ratioControllerUpdate';

const defaults = RatioBetaSchema.parse({ kind: 'ratio' });

function run(config: RatioBetaConfig, series: readonly number[]) {
  let state = initRatioControllerState(config);
  const rows: Array<{ state: RatioControllerState; beta: number; triggered: 'up' | 'down' | null }> = [];
  series.forEach((rRaw, update) => {
    const r = ratioControllerUpdate(state, { rRaw, update }, config);
    state = r.state;
    rows.push({ state, beta: r.output.beta, triggered: r.output.triggered });
  });
  return rows;
}

describe('ratio controller defaults', () => {
  it('are the spec values; β bounds derive from β1 (1e-2·β1 = 1e-4, 1e4·β1 = 100)', () => {
    expect(defaults).toEqual({
      kind: 'ratio', beta1: 0.01, alpha: 0.05, K: 20, rMin: 0.05, rMax: 0.2, gammaUp: 1.1, gammaDown: 1.1,
      betaMin: 1e-4, betaMax: 100, eps: 1e-8, rEmaInit: 'first',
    });
    const scaled = RatioBetaSchema.parse({ kind: 'ratio', beta1: 2 });
    expect(scaled.betaMin).toBeCloseTo(0.02, 15);
    expect(scaled.betaMax).toBeCloseTo(2e4, 9);
  });
});

describe('ratioControllerUpdate', () => {
  it('EMA by hand with the default α = 0.05 and both initialisations', () => {
    // 'first': R_ema₀ = 0.1; R_ema₁ = 0.95·0.1 + 0.05·0.3 = 0.11; R_ema₂ = 0.95·0.11 + 0.015 = 0.1195.
    const rows = run(defaults, [0.1, 0.3, 0.3]);
    expect(rows.map((r) => r.state.rEma)).toEqual([0.1, expect.closeTo(0.11, 14), expect.closeTo(0.1195, 14)]);
    expect(rows.map((r) => r.state.rRaw)).toEqual([0.1, 0.3, 0.3]);
    // r0 = 0: R_ema₀ = 0.95·0 + 0.05·0.1 = 0.005 — the downward bias 'first' avoids.
    const zero = run({ ...defaults, rEmaInit: 0 }, [0.1]);
    expect(zero[0]!.state.rEma).toBeCloseTo(0.005, 15);
  });

  it('walks above, into and below the band: β moves only after every K-th update, hits β_max and β_min', () => {
    // α = 0.5, K = 2, γ = 2, bounds [0.0025, 0.04], β1 = 0.01, band [0.05, 0.2].
    const config: RatioBetaConfig = { ...defaults, alpha: 0.5, K: 2, gammaUp: 2, gammaDown: 2, betaMin: 0.0025, betaMax: 0.04 };
    const series = [0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const rows = run(config, series);
    // Hand-worked R_ema: 0.4 ×6; then 0.25, 0.175, 0.1375, 0.11875 (in band); then with R = 0:
    // 0.059375, 0.0296875, 0.01484375, 0.007421875, … halving.
    const ema = [0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.25, 0.175, 0.1375, 0.11875, 0.059375, 0.0296875, 0.01484375, 0.007421875];
    ema.forEach((e, i) => expect(rows[i]!.state.rEma).toBeCloseTo(e, 15));
    // β after each update (the value for the next one): decisions at updates 1, 3, 5, … only.
    //  u1 up 0.02 | u3 up 0.04 | u5 up, clamped 0.04 | u7, u9 in band | u11 down 0.02 | u13 0.01 |
    //  u15 0.005 | u17 0.0025 | u19 down, clamped 0.0025
    const beta = [0.01, 0.02, 0.02, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04, 0.02, 0.02, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.0025];
    expect(rows.map((r) => r.beta)).toEqual(beta);
    const trig = [null, 'up', null, 'up', null, 'up', null, null, null, null, null, 'down', null, 'down', null, 'down', null, 'down', null, 'down'];
    expect(rows.map((r) => r.triggered)).toEqual(trig);
    // Saturated steps still count as trigger events (the controller wanted to move).
    expect(rows.at(-1)!.state.triggerUpCount).toBe(3);
    expect(rows.at(-1)!.state.triggerDownCount).toBe(5);
    // β never changes on a non-decision update.
    for (let u = 1; u < rows.length; u++) {
      if (!isRatioDecisionUpdate(u, 2)) expect(rows[u]!.beta).toBe(rows[u - 1]!.beta);
    }
  });

  it('with defaults, constant R above the band multiplies β by 1.1 once per 20 updates', () => {
    const rows = run(defaults, Array.from({ length: 100 }, () => 1));
    // Decisions at updates 19, 39, 59, 79, 99 → β = 0.01·1.1^k after them.
    expect(rows[18]!.beta).toBe(0.01);
    expect(rows[19]!.beta).toBeCloseTo(0.011, 15);
    expect(rows[38]!.beta).toBeCloseTo(0.011, 15);
    expect(rows[39]!.beta).toBeCloseTo(0.0121, 15);
    expect(rows[99]!.beta).toBeCloseTo(0.01 * 1.1 ** 5, 15);
    expect(rows[99]!.state.triggerUpCount).toBe(5);
  });

  it('agrees with a plain-loop reference on a long pseudo-random series', () => {
    let s = 7;
    const series = Array.from({ length: 2000 }, () => {
      s = (s * 16807) % 2147483647;
      return (s / 2147483647) * 0.45; // R in [0, 0.45): crosses both band edges
    });
    const cfg = { ...defaults, K: 7, alpha: 0.2, betaMin: 0.005, betaMax: 0.02 };
    const rows = run(cfg, series);
    // Reference: the spec's rules written as one loop.
    let ema = Number.NaN;
    let beta = cfg.beta1;
    let up = 0;
    let down = 0;
    series.forEach((r, t) => {
      ema = t === 0 ? r : (1 - cfg.alpha) * ema + cfg.alpha * r;
      if ((t + 1) % cfg.K === 0) {
        if (ema > cfg.rMax) { beta = Math.min(beta * cfg.gammaUp, cfg.betaMax); up++; }
        else if (ema < cfg.rMin) { beta = Math.max(beta / cfg.gammaDown, cfg.betaMin); down++; }
      }
      expect(rows[t]!.state.rEma).toBe(ema);
      expect(rows[t]!.beta).toBe(beta);
    });
    expect(rows.at(-1)!.state.triggerUpCount).toBe(up);
    expect(rows.at(-1)!.state.triggerDownCount).toBe(down);
    expect(up + down).toBeGreaterThan(0);
  });

  it('is pure (frozen input state is fine) and rejects NaN, negatives and out-of-sequence updates', () => {
    const s0 = Object.freeze(initRatioControllerState(defaults));
    const { state: s1 } = ratioControllerUpdate(s0, { rRaw: 0.1, update: 0 }, defaults);
    expect(s0.rEma).toBeNull();
    expect(() => ratioControllerUpdate(s1, { rRaw: Number.NaN, update: 1 }, defaults)).toThrow(/R_raw must be.*NaN at update 1/);
    expect(() => ratioControllerUpdate(s1, { rRaw: Number.POSITIVE_INFINITY, update: 1 }, defaults)).toThrow(RangeError);
    expect(() => ratioControllerUpdate(s1, { rRaw: -0.1, update: 1 }, defaults)).toThrow(RangeError);
    expect(() => ratioControllerUpdate(s1, { rRaw: 0.1, update: 2 }, defaults)).toThrow(/expected update 1/);
    expect(() => ratioControllerUpdate(s0, { rRaw: 0.1, update: 0.5 }, defaults)).toThrow(/integer/);
  });
});
