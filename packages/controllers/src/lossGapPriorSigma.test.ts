import { describe, expect, it } from 'vitest';
import { LossGapPriorSchema } from './config';
import {
  initLossGapPriorState,
  isLossGapMetaUpdate,
  lossGapPriorSigma,
  lossGapZScores,
  priorSigmaFromZ,
  sigmoid,
} from './lossGapPriorSigma';

// The spec's conceptual starting values (σ_max = 0.3) and a Δ̄ started at the first Δ: the numbers
// below are worked by hand for these.
const cfg = LossGapPriorSchema.parse({ kind: 'loss-gap', sigmaMax: 0.3, deltaEmaInit: 'first' });

describe('loss-gap prior defaults', () => {
  it("are the spec's, with σ_max scaled to the weight scale and a debiased Δ̄", () => {
    expect(LossGapPriorSchema.parse({ kind: 'loss-gap' })).toEqual({
      kind: 'loss-gap',
      K: 20,
      alpha: 0.05,
      sigmaMin: 0.01,
      sigmaMax: 0.1,
      kappa: 1,
      eps: 1e-8,
      deltaEmaInit: 'debiased',
    });
    // z = 0 midpoint of the default map: √((1e-4 + 1e-2)/2) = √0.00505 = 0.0710633520.
    expect(priorSigmaFromZ(0, LossGapPriorSchema.parse({ kind: 'loss-gap' }))).toBeCloseTo(0.07106335201775948, 14);
  });
});

describe('sigmoid / priorSigmaFromZ', () => {
  it('sigmoid is stable for large |x| and symmetric', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-800)).toBe(0); // naive 1/(1+e^800) is also 0, but e^800 = Infinity on the way
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 15);
    expect(sigmoid(-2)).toBeCloseTo(0.11920292202211755, 15);
  });

  it('maps z by hand: σ² = σ_min² + (σ_max² − σ_min²)·sigmoid(κz)', () => {
    // z = 0: σ² = 1e-4 + 0.0899·0.5 = 0.04505, σ = 0.2122498528 (variance midpoint).
    expect(priorSigmaFromZ(0, cfg)).toBeCloseTo(0.21224985276791125, 14);
    // z = −2: sigmoid = 0.1192029220; σ² = 1e-4 + 0.0899·0.1192029220 = 0.0108163427; σ = 0.1040016475.
    expect(priorSigmaFromZ(-2, cfg)).toBeCloseTo(0.1040016475340096, 14);
    // κ = 2, z = 1 ≡ κz = 2: sigmoid = 0.8807970780; σ² = 0.0792836573; σ = 0.2815735380.
    expect(priorSigmaFromZ(1, { ...cfg, kappa: 2 })).toBeCloseTo(0.2815735380148703, 14);
    // κ = 0: every z at the midpoint.
    expect(priorSigmaFromZ(50, { ...cfg, kappa: 0 })).toBeCloseTo(0.21224985276791125, 14);
  });

  it('stays within [σ_min, σ_max] for any z, including ±∞', () => {
    for (const z of [-1e300, -50, -1, 0, 1, 50, 1e300, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      const s = priorSigmaFromZ(z, cfg);
      expect(s).toBeGreaterThanOrEqual(0.01);
      expect(s).toBeLessThanOrEqual(0.3);
    }
    expect(priorSigmaFromZ(Number.POSITIVE_INFINITY, cfg)).toBe(0.3);
    expect(priorSigmaFromZ(Number.NEGATIVE_INFINITY, cfg)).toBe(0.01);
  });
});

describe('lossGapZScores', () => {
  it('c = median, s = unscaled MAD + ε', () => {
    // Δ̄ = [1, 2, 3, 4, 10]: c = 3, MAD = 1 (see median.test), s = 1 + 1e-8, z ≈ [−2, −1, 0, 1, 7].
    const { c, s, z } = lossGapZScores([1, 2, 3, 4, 10], 1e-8);
    expect(c).toBe(3);
    expect(s).toBe(1 + 1e-8);
    z.forEach((zm, m) => expect(zm).toBeCloseTo([-2, -1, 0, 1, 7][m]! / (1 + 1e-8), 12));
  });

  it('all-equal Δ̄ → MAD = 0 → z = 0 exactly (ε keeps it finite)', () => {
    expect(lossGapZScores([0.5, 0.5, 0.5], 1e-8).z).toEqual([0, 0, 0]);
  });
});

describe('lossGapPriorSigma', () => {
  it('initial σ_prior is the z = 0 midpoint for every task', () => {
    const s = initLossGapPriorState(cfg, 3);
    expect(s.sigmaPrior).toEqual([0.21224985276791125, 0.21224985276791125, 0.21224985276791125]);
    expect(s.delta).toBeNull();
    expect(() => initLossGapPriorState(cfg, 0)).toThrow(RangeError);
  });

  it('meta-update by hand: the outlier task gets the largest σ_prior; EMA smooths the next one', () => {
    const s0 = initLossGapPriorState(cfg, 5);
    // Δ = L_shared − L_adapt = [2,3,4,5,11] − 1 = [1,2,3,4,10]; first Δ̄ = Δ (no bias toward 0).
    const r1 = lossGapPriorSigma(s0, { update: 19, lShared: [2, 3, 4, 5, 11], lAdapt: [1, 1, 1, 1, 1] }, cfg);
    expect(r1.state.delta).toEqual([1, 2, 3, 4, 10]);
    expect(r1.state.deltaEma).toEqual([1, 2, 3, 4, 10]);
    // z = [−2, −1, 0, 1, 7]/(1 + 1e-8); σ by hand (σ² = 1e-4 + 0.0899·sigmoid(z)):
    //   sigmoid: 0.11920292, 0.26894142, 0.5, 0.73105858, 0.99908895
    //   σ:       0.10400165, 0.15581346, 0.21224985, 0.25655831, 0.29986346
    const expected = [0.104001648441584, 0.1558134588471634, 0.21224985276791125, 0.25655830924388967, 0.29986346308260925];
    r1.output.sigmaPrior.forEach((s, m) => expect(s).toBeCloseTo(expected[m]!, 12));
    expect(r1.state.sigmaPrior).toEqual(r1.output.sigmaPrior);
    expect(Math.max(...r1.output.sigmaPrior)).toBe(r1.output.sigmaPrior[4]);
    expect(r1.state.lastMetaUpdate).toBe(19);
    expect(r1.state.metaUpdateCount).toBe(1);

    // Next meta-update (update 39): the outlier's instantaneous gap flips to −10, Δ = [1,2,3,4,−10].
    // Δ̄ = 0.95·[1,2,3,4,10] + 0.05·[1,2,3,4,−10] = [1, 2, 3, 4, 9]: c = 3, MAD = 1, z ≈ [−2,−1,0,1,6];
    // σ₄ = √(1e-4 + 0.0899·sigmoid(6)) = √(1e-4 + 0.0899·0.99752738) = 0.29962929 — still the largest.
    const r2 = lossGapPriorSigma(r1.state, { update: 39, lShared: [2, 3, 4, 5, -9], lAdapt: [1, 1, 1, 1, 1] }, cfg);
    [1, 2, 3, 4, 9].forEach((d, m) => expect(r2.state.deltaEma![m]).toBeCloseTo(d, 12));
    [-2, -1, 0, 1, 6].forEach((z, m) => expect(r2.state.z![m]).toBeCloseTo(z / (1 + 1e-8), 12));
    expect(r2.output.sigmaPrior[4]).toBeCloseTo(0.2996292895644786, 12);
    expect(r2.state.delta).toEqual([1, 2, 3, 4, -10]);
    expect(r2.state.metaUpdateCount).toBe(2);
  });

  it('debiased Δ̄ by hand: all gaps so far count about equally, so a flipped outlier is no longer the loosest', () => {
    const deb = { ...cfg, deltaEmaInit: 'debiased' as const };
    const r1 = lossGapPriorSigma(initLossGapPriorState(deb, 5), { update: 19, lShared: [2, 3, 4, 5, 11], lAdapt: [1, 1, 1, 1, 1] }, deb);
    // n = 1: Δ̄ = 0.05·Δ / (1 − 0.95) = Δ.
    r1.state.deltaEma!.forEach((d, m) => expect(d).toBeCloseTo([1, 2, 3, 4, 10][m]!, 12));
    const r2 = lossGapPriorSigma(r1.state, { update: 39, lShared: [2, 3, 4, 5, -9], lAdapt: [1, 1, 1, 1, 1] }, deb);
    // n = 2: Δ̄ = (0.95·0.05·Δ₁ + 0.05·Δ₂)/(1 − 0.95²) = (0.0475·Δ₁ + 0.05·Δ₂)/0.0975:
    //   tasks 0–3 keep d; the outlier (0.475 − 0.5)/0.0975 = −0.2564103. c = 2, MAD = 1,
    //   z = [−1, 0, 1, 2, −2.2564103]: the outlier now gets the tightest prior ('first' kept it loosest).
    [1, 2, 3, 4, -0.25641025641025644].forEach((d, m) => expect(r2.state.deltaEma![m]).toBeCloseTo(d, 12));
    [-1, 0, 1, 2, -2.2564102564102564].forEach((z, m) => expect(r2.state.z![m]).toBeCloseTo(z / (1 + 1e-8), 10));
    expect(Math.min(...r2.output.sigmaPrior)).toBe(r2.output.sigmaPrior[4]);
  });

  it('all-equal Δ → z = 0 → σ at the midpoint √0.04505 = 0.2122498528 for every task', () => {
    const r = lossGapPriorSigma(initLossGapPriorState(cfg, 4), { update: 19, lShared: [3, 3, 3, 3], lAdapt: [2.5, 2.5, 2.5, 2.5] }, cfg);
    expect(r.state.z).toEqual([0, 0, 0, 0]);
    r.output.sigmaPrior.forEach((s) => expect(s).toBeCloseTo(0.21224985276791125, 15));
  });

  it('a single task always sits at the median: z = 0', () => {
    const r = lossGapPriorSigma(initLossGapPriorState(cfg, 1), { update: 19, lShared: [5], lAdapt: [1] }, cfg);
    expect(r.state.z).toEqual([0]);
  });

  it('matches a plain-loop reference over many meta-updates and stays in [σ_min, σ_max]', () => {
    const M = 6;
    const c2 = { ...cfg, K: 3, alpha: 0.3, kappa: 1.5 };
    let state = initLossGapPriorState(c2, M);
    let ema: number[] | null = null;
    let seed = 99;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 4 - 1;
    for (let update = 2; update < 300; update += 3) {
      const lShared = Array.from({ length: M }, () => rnd() + 2);
      const lAdapt = Array.from({ length: M }, () => rnd() + 2);
      state = lossGapPriorSigma(state, { update, lShared, lAdapt }, c2).state;
      // Reference, written out: EMA, median, MAD, z, sigmoid map.
      const delta = lShared.map((l, m) => l - lAdapt[m]!);
      ema = ema === null ? delta : ema.map((e, m) => 0.7 * e + 0.3 * delta[m]!);
      const sorted = [...ema].sort((a, b) => a - b);
      const med = (xs: number[]) => (xs[2]! + xs[3]!) / 2; // M = 6
      const c = med(sorted);
      const s = med(ema.map((e) => Math.abs(e - c)).sort((a, b) => a - b)) + 1e-8;
      ema.forEach((e, m) => {
        const z = (e - c) / s;
        const sig = 1 / (1 + Math.exp(-1.5 * z));
        expect(state.sigmaPrior[m]).toBeCloseTo(Math.sqrt(1e-4 + (0.09 - 1e-4) * sig), 12);
        expect(state.sigmaPrior[m]).toBeGreaterThanOrEqual(0.01);
        expect(state.sigmaPrior[m]).toBeLessThanOrEqual(0.3);
      });
    }
  });

  it('runs only on meta-update steps and validates its inputs', () => {
    expect([18, 19, 20, 39].map((u) => isLossGapMetaUpdate(u, 20))).toEqual([false, true, false, true]);
    const s0 = Object.freeze(initLossGapPriorState(cfg, 2));
    expect(() => lossGapPriorSigma(s0, { update: 18, lShared: [1, 1], lAdapt: [1, 1] }, cfg)).toThrow(/not a meta-update/);
    expect(() => lossGapPriorSigma(s0, { update: 19, lShared: [1], lAdapt: [1, 1] }, cfg)).toThrow(/2 entries/);
    expect(() => lossGapPriorSigma(s0, { update: 19, lShared: [1, Number.NaN], lAdapt: [1, 1] }, cfg)).toThrow(/non-finite.*task 1/);
    const s1 = lossGapPriorSigma(s0, { update: 39, lShared: [1, 2], lAdapt: [1, 1] }, cfg).state;
    expect(() => lossGapPriorSigma(s1, { update: 19, lShared: [1, 2], lAdapt: [1, 1] }, cfg)).toThrow(/not after/);
    expect(s0.deltaEma).toBeNull(); // input untouched
  });
});
