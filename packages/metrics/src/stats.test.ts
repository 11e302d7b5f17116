import { describe, expect, it } from 'vitest';
import { Rng, median } from '@varshare/base';
import {
  aggregateIqm,
  aggregateMean,
  aggregateMedian,
  aggregateOptimalityGap,
  bootstrapCI,
  iqm,
  mean,
  pairedDeltas,
  pairedProbabilityOfImprovement,
  pairedProbabilityOfImprovementCI,
  performanceProfile,
  probabilityOfImprovement,
  probabilityOfImprovementCI,
  quantile,
  scoreFractionAbove,
  stratifiedBootstrapCI,
  trimMean,
} from './stats';
import type { ScoreMatrix } from './stats';

describe('mean / median / quantile', () => {
  it('match hand-worked values', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    // Type 7 on [1,2,3,4]: q=0.25 → h = 3·0.25 = 0.75 → 1 + 0.75·(2−1) = 1.75 (numpy.percentile gives 1.75).
    expect(quantile([4, 3, 2, 1], 0.25)).toBe(1.75);
    // q=0.9 → h = 2.7 → 3 + 0.7·(4−3) = 3.7.
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([7], 0.3)).toBe(7);
    // Numeric (not lexicographic) sort: 10 > 9.
    expect(quantile([10, 9, 1], 0.5)).toBe(9);
    expect(quantile([Number.NEGATIVE_INFINITY, 0, Number.POSITIVE_INFINITY], 0.5)).toBe(0);
  });

  it("quantile 0.5 is a + ½(b − a), not base's median (a + b)/2: the report's numbers keep this form", () => {
    const a = 0.00006310167477385923;
    const b = 136806507.00775734;
    expect(quantile([b, a], 0.5)).toBe(68403253.50391023);
    expect(median([b, a])).toBe(68403253.50391021);
    expect(aggregateMedian([[a, b]])).toBe(68403253.50391023);
  });

  it('give NaN for empty input or NaN, and reject bad q', () => {
    expect(mean([])).toBeNaN();
    expect(quantile([], 0.5)).toBeNaN();
    expect(mean([1, Number.NaN])).toBeNaN();
    expect(quantile([1, Number.NaN, 3], 0.5)).toBeNaN();
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => quantile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('iqm (scipy trim_mean(x, 0.25) convention)', () => {
  it('matches hand-worked values', () => {
    // n = 7 → k = ⌊0.25·7⌋ = ⌊1.75⌋ = 1. Sorted: 1 2 3 4 5 10 1000 → drop 1 and 1000 → (2+3+4+5+10)/5 = 24/5 = 4.8.
    // (A fractional interquartile mean would also weight 2 and 10 by 0.25 — scipy/rliable do not.)
    expect(iqm([10, 1, 2, 3, 4, 5, 1000])).toBeCloseTo(4.8, 12);
    // n = 10 → k = ⌊2.5⌋ = 2. Sorted: −50 0 1 2 3 4 5 6 7 100 → keep 1..6 → 21/6 = 3.5.
    expect(iqm([0, 1, 2, 3, 4, 5, 6, 7, 100, -50])).toBe(3.5);
    // n = 4 → k = 1 → mean(2, 3) = 2.5.
    expect(iqm([100, 3, 1, 2])).toBe(2.5);
    // n = 8 → k = 2 → mean(3, 4, 5, 6) = 4.5.
    expect(iqm([8, 7, 6, 5, 4, 3, 2, 1])).toBe(4.5);
    // n = 3 → k = 0 → plain mean.
    expect(iqm([1, 2, 9])).toBe(4);
    expect(iqm([])).toBeNaN();
    expect(iqm([1, 2, Number.NaN, 4])).toBeNaN();
  });

  it('agrees with a plain-loop trimmed mean', () => {
    const rng = new Rng(5);
    for (let n = 1; n <= 25; n++) {
      const xs = Array.from({ length: n }, () => rng.nextFloat() * 10 - 5);
      const sorted = [...xs].sort((a, b) => a - b);
      const k = Math.floor(n / 4);
      let s = 0;
      for (let i = k; i < n - k; i++) s += sorted[i] as number;
      expect(iqm(xs)).toBeCloseTo(s / (n - 2 * k), 12);
    }
    expect(trimMean([1, 2, 3, 4, 100], 0)).toBe(22);
    expect(() => trimMean([1], 0.5)).toThrow(RangeError);
  });
});

describe('aggregates over [runs][tasks]', () => {
  // 2 runs × 2 tasks. Task means: (1+3)/2 = 2, (2+6)/2 = 4.
  const scores: ScoreMatrix = [
    [1, 2],
    [3, 6],
  ];
  it('match rliable definitions on a hand example', () => {
    expect(aggregateMean(scores)).toBe(3); // mean(2, 4)
    expect(aggregateMedian(scores)).toBe(3); // median(2, 4)
    // Pooled [1, 2, 3, 6], k = 1 → mean(2, 3) = 2.5.
    expect(aggregateIqm(scores)).toBe(2.5);
    // γ = 5: gaps 4, 3, 2, 0 → 9/4 = 2.25.
    expect(aggregateOptimalityGap(scores, 5)).toBe(2.25);
    // γ = 1 (default): gaps 0, 0, 0, 0.
    expect(aggregateOptimalityGap(scores)).toBe(0);
    expect(aggregateMedian([[1, 2, 10]])).toBe(2);
  });
  it('reject ragged or empty matrices', () => {
    expect(() => aggregateMean([[1, 2], [3]])).toThrow(/row 1 has 1 tasks/);
    expect(() => aggregateMean([])).toThrow(/at least one run/);
    expect(() => aggregateIqm([[]])).toThrow(/at least one task/);
  });
});

/** Plain-loop reference of the stratified bootstrap with the documented draw order. */
function referenceStratifiedCI(scores: ScoreMatrix, stat: (m: ScoreMatrix) => number, reps: number, alpha: number, rng: Rng) {
  const runs = scores.length;
  const tasks = (scores[0] as number[]).length;
  const stats: number[] = [];
  for (let r = 0; r < reps; r++) {
    const m: number[][] = Array.from({ length: runs }, () => new Array<number>(tasks).fill(0));
    for (let j = 0; j < tasks; j++) {
      for (let i = 0; i < runs; i++) (m[i] as number[])[j] = (scores[rng.nextIntUnbiased(runs)] as number[])[j] as number;
    }
    stats.push(stat(m));
  }
  stats.sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (reps - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, reps - 1);
    return (stats[lo] as number) + (h - lo) * ((stats[hi] as number) - (stats[lo] as number));
  };
  return { point: stat(scores), lo: q(alpha / 2), hi: q(1 - alpha / 2) };
}

function uniformMatrix(rng: Rng, runs: number, tasks: number): number[][] {
  return Array.from({ length: runs }, () => Array.from({ length: tasks }, () => rng.nextFloat()));
}

describe('stratifiedBootstrapCI', () => {
  it('is exactly reproducible for the same seed and matches a plain-loop reference', () => {
    const scores = uniformMatrix(new Rng(1), 5, 3);
    const a = stratifiedBootstrapCI(scores, aggregateIqm, { reps: 300, rng: new Rng(99) });
    const b = stratifiedBootstrapCI(scores, aggregateIqm, { reps: 300, rng: new Rng(99) });
    expect(b).toEqual(a);
    const c = stratifiedBootstrapCI(scores, aggregateIqm, { reps: 300, rng: new Rng(100) });
    expect(c).not.toEqual(a);
    expect(a).toEqual(referenceStratifiedCI(scores, aggregateIqm, 300, 0.05, new Rng(99)));
    expect(a.lo).toBeLessThanOrEqual(a.point);
    expect(a.point).toBeLessThanOrEqual(a.hi);
  });

  it('resamples within tasks: constant-per-task columns give a zero-width interval', () => {
    // Each task's runs are identical, so any within-task resample equals the data; an unstratified
    // resample of (run, task) cells would mix tasks and vary.
    const scores = [
      [0, 10, 100],
      [0, 10, 100],
      [0, 10, 100],
    ];
    expect(stratifiedBootstrapCI(scores, aggregateMean, { reps: 200, rng: new Rng(3) })).toEqual({ point: 110 / 3, lo: 110 / 3, hi: 110 / 3 });
  });

  it('has plausible width and coverage for the mean of Uniform(0,1) samples', () => {
    // n = 30 runs, one task. sd of the mean = sqrt(1/12/30) ≈ 0.0527 → 95 % width ≈ 2·1.96·0.0527 ≈ 0.207.
    const rng = new Rng(2024);
    const trials = 150;
    let covered = 0;
    let widthSum = 0;
    for (let t = 0; t < trials; t++) {
      const scores = uniformMatrix(rng, 30, 1);
      const ci = stratifiedBootstrapCI(scores, aggregateMean, { reps: 400, rng });
      if (ci.lo <= 0.5 && 0.5 <= ci.hi) covered += 1;
      widthSum += ci.hi - ci.lo;
    }
    const width = widthSum / trials;
    expect(width).toBeGreaterThan(0.17);
    expect(width).toBeLessThan(0.24);
    // Percentile bootstrap with n = 30 under-covers slightly (~0.93); binomial sd at 150 trials ≈ 0.02.
    expect(covered / trials).toBeGreaterThan(0.86);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it('validates options and propagates NaN', () => {
    const rng = new Rng(1);
    expect(() => stratifiedBootstrapCI([[1]], aggregateMean, { reps: 0, rng })).toThrow(/reps/);
    expect(() => stratifiedBootstrapCI([[1]], aggregateMean, { alpha: 1, rng })).toThrow(/alpha/);
    const ci = stratifiedBootstrapCI([[1], [Number.NaN]], aggregateMean, { reps: 50, rng });
    expect(ci.point).toBeNaN();
    expect(ci.hi).toBeNaN();
  });
});

describe('bootstrapCI (1-D)', () => {
  it('is reproducible and zero-width on constant data', () => {
    const xs = [1, 4, 2, 8, 5, 7];
    expect(bootstrapCI(xs, mean, { reps: 200, rng: new Rng(4) })).toEqual(bootstrapCI(xs, mean, { reps: 200, rng: new Rng(4) }));
    expect(bootstrapCI([3, 3, 3], mean, { reps: 50, rng: new Rng(4) })).toEqual({ point: 3, lo: 3, hi: 3 });
    const ci = bootstrapCI(xs, mean, { reps: 500, rng: new Rng(4) });
    expect(ci.point).toBe(4.5);
    expect(ci.lo).toBeGreaterThanOrEqual(1);
    expect(ci.hi).toBeLessThanOrEqual(8);
    expect(ci.lo).toBeLessThan(4.5);
    expect(ci.hi).toBeGreaterThan(4.5);
    expect(() => bootstrapCI([], mean, { rng: new Rng(1) })).toThrow();
  });
});

describe('probability of improvement', () => {
  it('counts wins over all pairs per task, ties as ½, then averages tasks', () => {
    // x {3, 1} vs y {2, 2}: 3>2, 3>2, 1<2, 1<2 → 2/4 = 0.5.
    expect(probabilityOfImprovement([[3], [1]], [[2], [2]])).toBe(0.5);
    // x {1, 2} vs y {1, 1}: ties ½ + ½, wins 1 + 1 → 3/4.
    expect(probabilityOfImprovement([[1], [2]], [[1], [1]])).toBe(0.75);
    // Two tasks. Task 0: x {1,2} vs y {0,3}: 1>0, 1<3, 2>0, 2<3 → 2/4 = 0.5.
    // Task 1: x {5,5} vs y {5,6}: tie, loss, tie, loss → 1/4 = 0.25. Mean = 0.375.
    const x = [
      [1, 5],
      [2, 5],
    ];
    const y = [
      [0, 5],
      [3, 6],
    ];
    expect(probabilityOfImprovement(x, y)).toBe(0.375);
    expect(probabilityOfImprovement(x, y) + probabilityOfImprovement(y, x)).toBe(1);
    expect(probabilityOfImprovement(x, x)).toBe(0.5);
    // Unequal run counts: x {4, 0, 2} vs y {1, 3}: 4 beats both (2), 0 none, 2 beats 1 (1) → 3/6.
    expect(probabilityOfImprovement([[4], [0], [2]], [[1], [3]])).toBe(0.5);
    expect(probabilityOfImprovement([[1], [Number.NaN]], [[0], [0]])).toBeNaN();
    expect(() => probabilityOfImprovement([[1, 2]], [[1]])).toThrow(/tasks/);
  });

  it('paired version compares seed by seed', () => {
    // Paired: seed 0: 3>2, seed 1: 1>0 → 1. Unpaired: 3>2, 3>0, 1<2, 1>0 → 3/4.
    expect(pairedProbabilityOfImprovement([[3], [1]], [[2], [0]])).toBe(1);
    expect(probabilityOfImprovement([[3], [1]], [[2], [0]])).toBe(0.75);
    // Ties ½: seed 0 tie, seed 1 loss → 0.25.
    expect(pairedProbabilityOfImprovement([[5], [5]], [[5], [6]])).toBe(0.25);
    expect(() => pairedProbabilityOfImprovement([[1], [2]], [[1]])).toThrow(/same seeds/);
  });

  it('CIs: dominance gives [1, 1]; reproducible; lo ≤ point ≤ hi', () => {
    const x = [
      [10, 11],
      [12, 13],
      [14, 15],
    ];
    const y = [
      [1, 2],
      [3, 4],
    ];
    expect(probabilityOfImprovementCI(x, y, { reps: 100, rng: new Rng(1) })).toEqual({ point: 1, lo: 1, hi: 1 });
    const a = uniformMatrix(new Rng(11), 6, 4);
    const b = uniformMatrix(new Rng(12), 6, 4);
    const ci1 = probabilityOfImprovementCI(a, b, { reps: 300, rng: new Rng(7) });
    expect(probabilityOfImprovementCI(a, b, { reps: 300, rng: new Rng(7) })).toEqual(ci1);
    expect(ci1.lo).toBeLessThanOrEqual(ci1.point);
    expect(ci1.point).toBeLessThanOrEqual(ci1.hi);
    expect(ci1.lo).toBeGreaterThanOrEqual(0);
    expect(ci1.hi).toBeLessThanOrEqual(1);
    const p1 = pairedProbabilityOfImprovementCI(a, b, { reps: 300, rng: new Rng(7) });
    expect(pairedProbabilityOfImprovementCI(a, b, { reps: 300, rng: new Rng(7) })).toEqual(p1);
    expect(p1.point).toBe(pairedProbabilityOfImprovement(a, b));
    expect(p1.lo).toBeLessThanOrEqual(p1.point);
    expect(p1.point).toBeLessThanOrEqual(p1.hi);
    // Pairs stay together: x = y + 1 on every seed → every resample has P = 1.
    const shifted = a.map((row) => row.map((v) => v + 1));
    expect(pairedProbabilityOfImprovementCI(shifted, a, { reps: 100, rng: new Rng(2) })).toEqual({ point: 1, lo: 1, hi: 1 });
  });
});

describe('performance profile', () => {
  it('gives the fraction of scores strictly above τ with CIs', () => {
    const scores = [
      [0.1, 0.5],
      [0.9, 0.5],
    ];
    // > 0: all 4 → 1; > 0.5: only 0.9 → 1/4 (0.5 itself is not above); > 0.8 → 1/4; > 1 → 0.
    expect([0, 0.5, 0.8, 1].map((t) => scoreFractionAbove(scores, t))).toEqual([1, 0.25, 0.25, 0]);
    const prof = performanceProfile(scores, [0, 0.5, 0.8, 1], { reps: 200, rng: new Rng(8) });
    expect(prof.map((p) => [p.tau, p.point])).toEqual([
      [0, 1],
      [0.5, 0.25],
      [0.8, 0.25],
      [1, 0],
    ]);
    // All scores > 0 and none > 1 in every resample.
    expect(prof[0]).toMatchObject({ lo: 1, hi: 1 });
    expect(prof[3]).toMatchObject({ lo: 0, hi: 0 });
    // Task 1 is constant 0.5; task 0 resamples {0.1, 0.9}: fraction above 0.5 ∈ {0, 1/4, 2/4}.
    expect(prof[1]?.lo).toBe(0);
    expect(prof[1]?.hi).toBe(0.5);
    for (let i = 1; i < prof.length; i++) {
      expect((prof[i] as { hi: number }).hi).toBeLessThanOrEqual((prof[i - 1] as { hi: number }).hi);
    }
    expect(performanceProfile(scores, [0.5], { reps: 200, rng: new Rng(8) })).toEqual([prof[1]]);
    expect(scoreFractionAbove([[Number.NaN]], 0)).toBeNaN();
  });
});

describe('pairedDeltas', () => {
  it('matches seeds, sorts them, and lists unmatched ones', () => {
    const a = new Map([
      [4, 5],
      [2, 20],
      [1, 10],
    ]);
    const b = new Map([
      [2, 15],
      [1, 4],
      [3, 0],
    ]);
    expect(pairedDeltas(a, b)).toEqual({
      pairs: [
        { seed: 1, a: 10, b: 4, delta: 6 },
        { seed: 2, a: 20, b: 15, delta: 5 },
      ],
      onlyInA: [4],
      onlyInB: [3],
    });
    expect(pairedDeltas(new Map(), new Map())).toEqual({ pairs: [], onlyInA: [], onlyInB: [] });
  });
});
