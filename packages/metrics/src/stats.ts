/**
 * Statistics for the report, following rliable (Agarwal et al., 2021, "Deep RL at the Edge of the
 * Statistical Precipice"): aggregate metrics over a score matrix `[runs][tasks]`, stratified
 * bootstrap percentile confidence intervals, probability of improvement and performance profiles.
 *
 * Conventions:
 * - A score matrix is `scores[run][task]` (runs = seeds), rectangular, at least one run and one task.
 * - NaN anywhere in the input makes the statistic NaN (numpy-like propagation; rliable would fail
 *   or silently drop it). Empty input gives NaN.
 * - Randomness only from the `Rng` passed in; the order of draws is documented per function, so the
 *   same seed gives the same interval bit for bit.
 */
import type { Rng } from '@varshare/base';

/** Scores `[runs][tasks]`: `scores[i][j]` is run (seed) i on task j. */
export type ScoreMatrix = readonly (readonly number[])[];

/** A statistic of a score matrix, e.g. `aggregateIqm`. Must not keep a reference to its argument (the bootstrap reuses the buffer). */
export type AggregateStatistic = (scores: ScoreMatrix) => number;

/** A point estimate with a percentile confidence interval `[lo, hi]`. */
export interface ConfidenceInterval {
  readonly point: number;
  readonly lo: number;
  readonly hi: number;
}

/** Bootstrap options. */
export interface BootstrapOptions {
  /** Bootstrap replications. Defaults to 2000 (rliable uses 50 000; 2000 keeps percentile endpoints within ~±0.01 of the limit for typical score scales and runs in milliseconds). */
  readonly reps?: number;
  /** 1 − confidence level; the interval is the [alpha/2, 1 − alpha/2] percentile range. Defaults to 0.05 (95 % CI). */
  readonly alpha?: number;
  /** Seeded generator; required (no hidden randomness). */
  readonly rng: Rng;
}

const DEFAULT_REPS = 2000;
const DEFAULT_ALPHA = 0.05;

function hasNaN(xs: readonly number[]): boolean {
  for (const x of xs) if (Number.isNaN(x)) return true;
  return false;
}

function sortedCopy(xs: readonly number[]): Float64Array {
  // Typed-array sort is numeric (Array#sort would compare strings).
  return Float64Array.from(xs).sort();
}

/** Arithmetic mean; NaN for empty input or any NaN. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Quantile with linear interpolation between order statistics (numpy's default, Hyndman–Fan type 7):
 * h = (n − 1)·q, result = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) on the sorted values.
 * `q` in [0, 1]. NaN for empty input or any NaN.
 */
export function quantile(xs: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  if (xs.length === 0 || hasNaN(xs)) return Number.NaN;
  return quantileSorted(sortedCopy(xs), q);
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  // a + f·(b − a) would give NaN for ±Infinity neighbours with f = 0.
  const f = h - lo;
  return f === 0 ? a : a + f * (b - a);
}

/**
 * Trimmed mean with scipy.stats.trim_mean's convention: cut k = ⌊proportion · n⌋ values from EACH
 * end of the sorted data and average the rest (no fractional weighting of boundary values).
 * `proportion` in [0, 0.5). NaN for empty input or any NaN.
 */
export function trimMean(xs: readonly number[], proportion: number): number {
  if (!(proportion >= 0 && proportion < 0.5)) throw new RangeError(`trimMean: proportion must be in [0, 0.5), got ${proportion}`);
  if (xs.length === 0 || hasNaN(xs)) return Number.NaN;
  const sorted = sortedCopy(xs);
  const k = Math.floor(proportion * sorted.length);
  let s = 0;
  for (let i = k; i < sorted.length - k; i++) s += sorted[i] as number;
  return s / (sorted.length - 2 * k);
}

/**
 * Interquartile mean as rliable computes it: `scipy.stats.trim_mean(x, 0.25)`, i.e. drop
 * ⌊n/4⌋ values from each end and average the middle. For n = 10 that keeps the 6 middle values
 * (not a fractional 5); for n < 4 nothing is dropped and IQM = mean.
 */
export function iqm(xs: readonly number[]): number {
  return trimMean(xs, 0.25);
}

function checkMatrix(scores: ScoreMatrix, name = 'scores'): { runs: number; tasks: number } {
  const runs = scores.length;
  if (runs === 0) throw new RangeError(`${name}: need at least one run`);
  const tasks = (scores[0] as readonly number[]).length;
  if (tasks === 0) throw new RangeError(`${name}: need at least one task`);
  for (let i = 1; i < runs; i++) {
    if ((scores[i] as readonly number[]).length !== tasks) {
      throw new RangeError(`${name}: row ${i} has ${(scores[i] as readonly number[]).length} tasks, row 0 has ${tasks} (matrix must be [runs][tasks])`);
    }
  }
  return { runs, tasks };
}

function taskMeans(scores: ScoreMatrix): number[] {
  const { runs, tasks } = checkMatrix(scores);
  const out = new Array<number>(tasks).fill(0);
  for (let i = 0; i < runs; i++) {
    const row = scores[i] as readonly number[];
    for (let j = 0; j < tasks; j++) out[j] = (out[j] as number) + (row[j] as number);
  }
  return out.map((s) => s / runs);
}

function flatten(scores: ScoreMatrix): number[] {
  checkMatrix(scores);
  return scores.flat();
}

/** rliable `aggregate_mean`: mean over tasks of the per-task mean over runs. */
export function aggregateMean(scores: ScoreMatrix): number {
  return mean(taskMeans(scores));
}

/**
 * rliable `aggregate_median`: median over tasks of the per-task mean over runs, as the type-7
 * `quantile(·, 0.5)` = a + ½(b − a) for even counts. `@varshare/base`'s `median` computes (a + b)/2,
 * which can differ in the last bit; the report keeps this form so its numbers stay the recorded ones.
 */
export function aggregateMedian(scores: ScoreMatrix): number {
  return quantile(taskMeans(scores), 0.5);
}

/** rliable `aggregate_iqm`: IQM of all run×task scores pooled (`trim_mean(scores, 0.25, axis=None)`). */
export function aggregateIqm(scores: ScoreMatrix): number {
  return iqm(flatten(scores));
}

/** rliable `aggregate_optimality_gap`: mean over all scores of max(γ − score, 0). γ defaults to 1 (normalised scores). */
export function aggregateOptimalityGap(scores: ScoreMatrix, gamma = 1): number {
  return mean(flatten(scores).map((s) => Math.max(gamma - s, 0)));
}

function resolveBootstrap(options: BootstrapOptions): { reps: number; alpha: number; rng: Rng } {
  const reps = options.reps ?? DEFAULT_REPS;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`bootstrap reps must be a positive integer, got ${reps}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`bootstrap alpha must be in (0, 1), got ${alpha}`);
  return { reps, alpha, rng: options.rng };
}

function percentileInterval(point: number, samples: readonly number[], alpha: number): ConfidenceInterval {
  return { point, lo: quantile(samples, alpha / 2), hi: quantile(samples, 1 - alpha / 2) };
}

function emptyMatrix(runs: number, tasks: number): number[][] {
  return Array.from({ length: runs }, () => new Array<number>(tasks).fill(0));
}

/**
 * One stratified resample into `out`: for each task j (in order), draw `runs` run indices with
 * replacement (`rng.nextIntUnbiased(runs)` each, in row order) and set out[i][j] = scores[k][j].
 */
function resampleStratified(scores: ScoreMatrix, runs: number, tasks: number, rng: Rng, out: number[][]): void {
  for (let j = 0; j < tasks; j++) {
    for (let i = 0; i < runs; i++) {
      (out[i] as number[])[j] = (scores[rng.nextIntUnbiased(runs)] as readonly number[])[j] as number;
    }
  }
}

/**
 * Stratified bootstrap percentile CI of `statistic(scores)`: each replicate resamples runs with
 * replacement independently within every task (rliable's StratifiedBootstrap), so every task keeps
 * its run count. `point` is the statistic on the original matrix; `lo`/`hi` are the alpha/2 and
 * 1 − alpha/2 quantiles (type 7) of the replicate statistics.
 * Draw order: replicate by replicate, task by task, `runs` draws per task.
 */
export function stratifiedBootstrapCI(scores: ScoreMatrix, statistic: AggregateStatistic, options: BootstrapOptions): ConfidenceInterval {
  const { runs, tasks } = checkMatrix(scores);
  const { reps, alpha, rng } = resolveBootstrap(options);
  const buf = emptyMatrix(runs, tasks);
  const samples = new Array<number>(reps);
  for (let r = 0; r < reps; r++) {
    resampleStratified(scores, runs, tasks, rng, buf);
    samples[r] = statistic(buf);
  }
  return percentileInterval(statistic(scores), samples, alpha);
}

/**
 * Plain (unstratified) bootstrap percentile CI of `statistic(xs)` for a 1-D sample, e.g. the mean of
 * paired deltas. One `rng.nextIntUnbiased(n)` per element per replicate.
 */
export function bootstrapCI(xs: readonly number[], statistic: (xs: readonly number[]) => number, options: BootstrapOptions): ConfidenceInterval {
  if (xs.length === 0) throw new RangeError('bootstrapCI: need at least one value');
  const { reps, alpha, rng } = resolveBootstrap(options);
  const n = xs.length;
  const buf = new Array<number>(n);
  const samples = new Array<number>(reps);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) buf[i] = xs[rng.nextIntUnbiased(n)] as number;
    samples[r] = statistic(buf);
  }
  return percentileInterval(statistic(xs), samples, alpha);
}

// ── probability of improvement ──────────────────────────────────────────────────────────────────

/** Mann–Whitney U of x over y divided by nx·ny: P(X > Y) + ½ P(X = Y) over all pairs. NaN if any NaN. */
function pairwiseWinRate(x: readonly number[], y: readonly number[]): number {
  let wins = 0;
  for (const a of x) {
    for (const b of y) {
      if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
      if (a > b) wins += 1;
      else if (a === b) wins += 0.5;
    }
  }
  return wins / (x.length * y.length);
}

function column(scores: ScoreMatrix, j: number): number[] {
  return scores.map((row) => row[j] as number);
}

function checkSameTasks(x: ScoreMatrix, y: ScoreMatrix): { runsX: number; runsY: number; tasks: number } {
  const a = checkMatrix(x, 'x');
  const b = checkMatrix(y, 'y');
  if (a.tasks !== b.tasks) throw new RangeError(`x has ${a.tasks} tasks, y has ${b.tasks}`);
  return { runsX: a.runs, runsY: b.runs, tasks: a.tasks };
}

/**
 * Probability of improvement P(X > Y) (rliable): for each task, the Mann–Whitney U statistic of
 * X's runs against Y's runs divided by nx·ny (ties count ½), then the mean over tasks.
 * `x` `[runsX][tasks]`, `y` `[runsY][tasks]`; run counts may differ.
 */
export function probabilityOfImprovement(x: ScoreMatrix, y: ScoreMatrix): number {
  const { tasks } = checkSameTasks(x, y);
  let s = 0;
  for (let j = 0; j < tasks; j++) s += pairwiseWinRate(column(x, j), column(y, j));
  return s / tasks;
}

/**
 * `probabilityOfImprovement` with a bootstrap CI: each replicate resamples X's runs within each
 * task, then Y's runs within each task, independently (rliable's StratifiedIndependentBootstrap).
 * Draw order per replicate: X (task by task), then Y (task by task).
 */
export function probabilityOfImprovementCI(x: ScoreMatrix, y: ScoreMatrix, options: BootstrapOptions): ConfidenceInterval {
  const { runsX, runsY, tasks } = checkSameTasks(x, y);
  const { reps, alpha, rng } = resolveBootstrap(options);
  const bx = emptyMatrix(runsX, tasks);
  const by = emptyMatrix(runsY, tasks);
  const samples = new Array<number>(reps);
  for (let r = 0; r < reps; r++) {
    resampleStratified(x, runsX, tasks, rng, bx);
    resampleStratified(y, runsY, tasks, rng, by);
    samples[r] = probabilityOfImprovement(bx, by);
  }
  return percentileInterval(probabilityOfImprovement(x, y), samples, alpha);
}

function checkPaired(x: ScoreMatrix, y: ScoreMatrix): { runs: number; tasks: number } {
  const { runsX, runsY, tasks } = checkSameTasks(x, y);
  if (runsX !== runsY) throw new RangeError(`paired comparison needs the same seeds: x has ${runsX} runs, y has ${runsY}`);
  return { runs: runsX, tasks };
}

/**
 * Paired probability of improvement over matched seeds: row i of `x` and row i of `y` share a seed
 * (the spec runs every variant on the same seeds). Per task, the fraction of seeds where x > y
 * (ties ½); then the mean over tasks.
 */
export function pairedProbabilityOfImprovement(x: ScoreMatrix, y: ScoreMatrix): number {
  const { runs, tasks } = checkPaired(x, y);
  let s = 0;
  for (let j = 0; j < tasks; j++) {
    let wins = 0;
    for (let i = 0; i < runs; i++) {
      const a = (x[i] as readonly number[])[j] as number;
      const b = (y[i] as readonly number[])[j] as number;
      if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
      if (a > b) wins += 1;
      else if (a === b) wins += 0.5;
    }
    s += wins / runs;
  }
  return s / tasks;
}

/**
 * `pairedProbabilityOfImprovement` with a bootstrap CI that keeps pairs together: per task, seeds
 * are resampled with replacement and the same seed indices are used for x and y.
 * Draw order per replicate: task by task, `runs` draws per task.
 */
export function pairedProbabilityOfImprovementCI(x: ScoreMatrix, y: ScoreMatrix, options: BootstrapOptions): ConfidenceInterval {
  const { runs, tasks } = checkPaired(x, y);
  const { reps, alpha, rng } = resolveBootstrap(options);
  const bx = emptyMatrix(runs, tasks);
  const by = emptyMatrix(runs, tasks);
  const samples = new Array<number>(reps);
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < tasks; j++) {
      for (let i = 0; i < runs; i++) {
        const k = rng.nextIntUnbiased(runs);
        (bx[i] as number[])[j] = (x[k] as readonly number[])[j] as number;
        (by[i] as number[])[j] = (y[k] as readonly number[])[j] as number;
      }
    }
    samples[r] = pairedProbabilityOfImprovement(bx, by);
  }
  return percentileInterval(pairedProbabilityOfImprovement(x, y), samples, alpha);
}

// ── performance profiles ────────────────────────────────────────────────────────────────────────

/** Fraction of all (run, task) scores strictly greater than `tau` (rliable's run-score distribution). NaN if any NaN. */
export function scoreFractionAbove(scores: ScoreMatrix, tau: number): number {
  const flat = flatten(scores);
  if (hasNaN(flat)) return Number.NaN;
  let above = 0;
  for (const s of flat) if (s > tau) above += 1;
  return above / flat.length;
}

/** One point of a performance profile. */
export interface ProfilePoint extends ConfidenceInterval {
  readonly tau: number;
}

/**
 * Performance profile: for each τ, the fraction of (run, task) scores > τ, with a stratified
 * bootstrap CI. All τ share each replicate (one resample per replicate, as rliable does), so the
 * draw order is that of `stratifiedBootstrapCI`.
 */
export function performanceProfile(scores: ScoreMatrix, taus: readonly number[], options: BootstrapOptions): ProfilePoint[] {
  const { runs, tasks } = checkMatrix(scores);
  const { reps, alpha, rng } = resolveBootstrap(options);
  const buf = emptyMatrix(runs, tasks);
  const samples = taus.map(() => new Array<number>(reps));
  for (let r = 0; r < reps; r++) {
    resampleStratified(scores, runs, tasks, rng, buf);
    taus.forEach((tau, t) => {
      (samples[t] as number[])[r] = scoreFractionAbove(buf, tau);
    });
  }
  return taus.map((tau, t) => ({ tau, ...percentileInterval(scoreFractionAbove(scores, tau), samples[t] as number[], alpha) }));
}

// ── paired deltas ───────────────────────────────────────────────────────────────────────────────

/** One matched seed. */
export interface PairedDelta {
  readonly seed: number;
  readonly a: number;
  readonly b: number;
  /** a − b */
  readonly delta: number;
}

/** Result of `pairedDeltas`. */
export interface PairedDeltas {
  /** Seeds present in both maps, ascending. */
  readonly pairs: readonly PairedDelta[];
  /** Seeds only in `a`, ascending. */
  readonly onlyInA: readonly number[];
  /** Seeds only in `b`, ascending. */
  readonly onlyInB: readonly number[];
}

/**
 * Per-seed differences a − b over the seeds both maps have (e.g. a variant's final score minus the
 * baseline's on the same seed). Unmatched seeds are listed, not dropped silently.
 */
export function pairedDeltas(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): PairedDeltas {
  const pairs: PairedDelta[] = [];
  const onlyInA: number[] = [];
  const onlyInB: number[] = [];
  for (const seed of [...a.keys()].sort((p, q) => p - q)) {
    const bv = b.get(seed);
    const av = a.get(seed) as number;
    if (bv === undefined) onlyInA.push(seed);
    else pairs.push({ seed, a: av, b: bv, delta: av - bv });
  }
  for (const seed of [...b.keys()].sort((p, q) => p - q)) if (!a.has(seed)) onlyInB.push(seed);
  return { pairs, onlyInA, onlyInB };
}
