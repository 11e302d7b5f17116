/**
 * Final-performance statistics of one suite (rliable protocol, via `@varshare/metrics`):
 * mean / median / IQM with stratified-bootstrap CIs over seeds × tasks, per-task tables, paired
 * probability of improvement over the baseline, paired per-seed deltas, performance profiles and
 * IQM sample-efficiency curves. Everything here is numbers; rendering is elsewhere.
 */
import { op } from 'arquero';
import type { ColumnTable } from 'arquero';
import {
  aggregateIqm,
  aggregateMean,
  aggregateMedian,
  bootstrapCI,
  mean,
  pairedDeltas,
  pairedProbabilityOfImprovementCI,
  performanceProfile,
  probabilityOfImprovementCI,
  quantile,
  stratifiedBootstrapCI,
} from '@varshare/metrics';
import type { AggregateStatistic, ScoreMatrix } from '@varshare/metrics';
import type { ReportOptions } from './config';
import { rngFor } from './rngFor';

/** Which score a row is about: raw final return, min–max normalised return, or success rate. */
export type ScoreKey = 'return' | 'return_norm' | 'success';

/** Aggregate statistics the report shows, in display order. */
export const STATISTICS: ReadonlyArray<{ readonly name: 'iqm' | 'mean' | 'median'; readonly fn: AggregateStatistic }> = [
  { name: 'iqm', fn: aggregateIqm },
  { name: 'mean', fn: aggregateMean },
  { name: 'median', fn: aggregateMedian },
];

/** One aggregate of one variant, with its 95 % (1 − α) stratified-bootstrap CI. */
export interface AggregateRow {
  readonly suite: string;
  readonly variant: string;
  readonly score: ScoreKey;
  readonly statistic: 'iqm' | 'mean' | 'median';
  readonly point: number;
  readonly lo: number;
  readonly hi: number;
  readonly seeds: number;
  readonly tasks: number;
}

/** Final score of one variant on one task, summarised over seeds. */
export interface TaskRow {
  readonly suite: string;
  readonly variant: string;
  readonly task: string;
  readonly score: ScoreKey;
  readonly mean: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly seeds: number;
}

/** P(variant > baseline) with its bootstrap CI. */
export interface ImprovementRow {
  readonly suite: string;
  readonly variant: string;
  readonly baseline: string;
  readonly score: ScoreKey;
  /** True when computed over matched seeds (the spec's paired design); false = independent-runs fallback. */
  readonly paired: boolean;
  readonly seeds: readonly number[];
  readonly point: number;
  readonly lo: number;
  readonly hi: number;
}

/** One matched seed: mean-over-tasks final score of the variant minus the baseline's. */
export interface DeltaRow {
  readonly suite: string;
  readonly variant: string;
  readonly baseline: string;
  readonly score: ScoreKey;
  readonly seed: number;
  readonly variantScore: number;
  readonly baselineScore: number;
  readonly delta: number;
}

/** Mean paired delta of one variant with a bootstrap CI over seeds; unmatched seeds listed. */
export interface DeltaSummaryRow {
  readonly suite: string;
  readonly variant: string;
  readonly baseline: string;
  readonly score: ScoreKey;
  readonly pairs: number;
  readonly meanDelta: number;
  readonly lo: number;
  readonly hi: number;
  readonly onlyInVariant: readonly number[];
  readonly onlyInBaseline: readonly number[];
}

/** One τ of a performance profile. */
export interface ProfileRow {
  readonly suite: string;
  readonly variant: string;
  readonly score: ScoreKey;
  readonly tau: number;
  readonly point: number;
  readonly lo: number;
  readonly hi: number;
}

/** One point of a sample-efficiency curve: IQM over seeds × tasks at one env-step count. */
export interface CurveRow {
  readonly suite: string;
  readonly variant: string;
  readonly score: ScoreKey;
  readonly env_steps: number;
  readonly point: number;
  readonly lo: number;
  readonly hi: number;
  readonly seeds: number;
}

/** All final-performance numbers of one suite. */
export interface SuiteScores {
  readonly suite: string;
  /** Tasks every run of the suite evaluated (the score matrices' columns). */
  readonly tasks: readonly string[];
  /** Tasks some but not all runs evaluated: left out of the matrices. */
  readonly droppedTasks: readonly string[];
  /** Baseline first, then the others by name. */
  readonly variants: readonly string[];
  readonly seeds: Readonly<Record<string, readonly number[]>>;
  /** Scores available in this suite (`success` only when the suite logs it). */
  readonly scores: readonly ScoreKey[];
  readonly headline: ScoreKey;
  readonly aggregates: readonly AggregateRow[];
  readonly perTask: readonly TaskRow[];
  readonly improvement: readonly ImprovementRow[];
  readonly deltas: readonly DeltaRow[];
  readonly deltaSummary: readonly DeltaSummaryRow[];
  readonly profiles: readonly ProfileRow[];
  readonly curves: readonly CurveRow[];
}

type ScoreLookup = ReadonlyMap<string, number>;
const cell = (variant: string, seed: number, task: string): string => `${variant}\u0000${seed}\u0000${task}`;

/** `[seeds][tasks]` matrix of `key` for one variant; missing cells are NaN. */
export function scoreMatrix(lookup: ScoreLookup, variant: string, seeds: readonly number[], tasks: readonly string[]): number[][] {
  return seeds.map((seed) => tasks.map((task) => lookup.get(cell(variant, seed, task)) ?? Number.NaN));
}

/** Baseline first, then the rest in code-unit order (`exp1-…` … `exp5-…`). */
export function orderVariants(variants: Iterable<string>, baseline: string): string[] {
  const all = [...new Set(variants)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return all.includes(baseline) ? [baseline, ...all.filter((v) => v !== baseline)] : all;
}

/** `n` evenly spaced values from lo to hi inclusive. */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
}

function rowsOf<T>(t: ColumnTable): T[] {
  return t.objects() as T[];
}

interface ScoreRecord {
  variant: string;
  seed: number;
  task: string;
  return: number;
  success: number;
  return_norm: number;
}

/**
 * Computes every final-performance statistic of `suite` from the long `finalScores` and
 * `evalCurves` tables (already filtered to this suite).
 */
export function analyseScores(suite: string, finalScores: ColumnTable, evalCurves: ColumnTable, options: ReportOptions): SuiteScores {
  const rows = rowsOf<ScoreRecord>(finalScores);
  const variants = orderVariants(rows.map((r) => r.variant), options.baseline);
  const seeds: Record<string, number[]> = {};
  for (const v of variants) seeds[v] = [...new Set(rows.filter((r) => r.variant === v).map((r) => r.seed))].sort((a, b) => a - b);

  // Tasks every run has; the others would make the matrix ragged.
  const runIds = new Set(rows.map((r) => `${r.variant}\u0000${r.seed}`));
  const taskRuns = new Map<string, number>();
  for (const r of rows) taskRuns.set(r.task, (taskRuns.get(r.task) ?? 0) + 1);
  const allTasks = [...taskRuns.keys()].sort();
  const tasks = allTasks.filter((t) => taskRuns.get(t) === runIds.size);
  const droppedTasks = allTasks.filter((t) => taskRuns.get(t) !== runIds.size);

  const hasSuccess = rows.some((r) => !Number.isNaN(r.success));
  const scores: ScoreKey[] = ['return', 'return_norm', ...(hasSuccess ? (['success'] as const) : [])];
  const headline: ScoreKey = options.score === 'minmax' ? 'return_norm' : 'return';
  const lookups = new Map<ScoreKey, Map<string, number>>(scores.map((k) => [k, new Map(rows.map((r) => [cell(r.variant, r.seed, r.task), r[k]]))]));
  const lookup = (k: ScoreKey): ScoreLookup => lookups.get(k) as ScoreLookup;
  const bootstrap = (reps: number, ...name: string[]) => ({ reps, alpha: options.ciAlpha, rng: rngFor(options.bootstrapSeed, suite, ...name) });

  const aggregates: AggregateRow[] = [];
  for (const k of scores) {
    for (const v of variants) {
      const m = scoreMatrix(lookup(k), v, seeds[v] as number[], tasks);
      for (const s of STATISTICS) {
        const ci = tasks.length > 0 ? stratifiedBootstrapCI(m, s.fn, bootstrap(options.bootstrapReps, v, k, s.name)) : { point: Number.NaN, lo: Number.NaN, hi: Number.NaN };
        aggregates.push({ suite, variant: v, score: k, statistic: s.name, ...ci, seeds: m.length, tasks: tasks.length });
      }
    }
  }

  const perTask: TaskRow[] = [];
  for (const k of scores) {
    const grouped = finalScores.groupby('variant', 'task').rollup({ values: op.array_agg(k) });
    for (const g of rowsOf<{ variant: string; task: string; values: number[] }>(grouped)) {
      const xs = g.values;
      // The report's median is the type-7 quantile 0.5, as aggregateMedian's.
      perTask.push({ suite, variant: g.variant, task: g.task, score: k, mean: mean(xs), median: quantile(xs, 0.5), min: Math.min(...xs), max: Math.max(...xs), seeds: xs.length });
    }
  }
  perTask.sort((a, b) => variants.indexOf(a.variant) - variants.indexOf(b.variant) || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));

  const compared: ScoreKey[] = [headline, ...(hasSuccess ? (['success'] as const) : [])];
  const improvement: ImprovementRow[] = [];
  const deltas: DeltaRow[] = [];
  const deltaSummary: DeltaSummaryRow[] = [];
  const baseline = options.baseline;
  const baseSeeds = seeds[baseline];
  if (baseSeeds !== undefined && tasks.length > 0) {
    for (const k of compared) {
      for (const v of variants) {
        if (v === baseline) continue;
        const vSeeds = seeds[v] as number[];
        const common = vSeeds.filter((s) => baseSeeds.includes(s));
        if (common.length > 0) {
          const x = scoreMatrix(lookup(k), v, common, tasks);
          const y = scoreMatrix(lookup(k), baseline, common, tasks);
          improvement.push({ suite, variant: v, baseline, score: k, paired: true, seeds: common, ...pairedProbabilityOfImprovementCI(x, y, bootstrap(options.bootstrapReps, v, k, 'poi')) });
        } else {
          const x = scoreMatrix(lookup(k), v, vSeeds, tasks);
          const y = scoreMatrix(lookup(k), baseline, baseSeeds, tasks);
          improvement.push({ suite, variant: v, baseline, score: k, paired: false, seeds: [], ...probabilityOfImprovementCI(x, y, bootstrap(options.bootstrapReps, v, k, 'poi')) });
        }
        const perSeed = (variant: string, ss: readonly number[]): Map<number, number> =>
          new Map(ss.map((s) => [s, mean(tasks.map((t) => lookup(k).get(cell(variant, s, t)) ?? Number.NaN))]));
        const d = pairedDeltas(perSeed(v, vSeeds), perSeed(baseline, baseSeeds));
        for (const p of d.pairs) deltas.push({ suite, variant: v, baseline, score: k, seed: p.seed, variantScore: p.a, baselineScore: p.b, delta: p.delta });
        const ds = d.pairs.map((p) => p.delta);
        const ci = ds.length > 0 ? bootstrapCI(ds, mean, bootstrap(options.bootstrapReps, v, k, 'delta')) : { point: Number.NaN, lo: Number.NaN, hi: Number.NaN };
        deltaSummary.push({ suite, variant: v, baseline, score: k, pairs: ds.length, meanDelta: ci.point, lo: ci.lo, hi: ci.hi, onlyInVariant: d.onlyInA, onlyInBaseline: d.onlyInB });
      }
    }
  }

  const profiles: ProfileRow[] = [];
  if (tasks.length > 0) {
    for (const k of compared) {
      const values = rows.map((r) => r[k]).filter((x) => !Number.isNaN(x));
      let lo = k === 'return' ? Math.min(...values) : 0;
      let hi = k === 'return' ? Math.max(...values) : 1;
      if (!(hi > lo)) [lo, hi] = [lo - 0.5, lo + 0.5];
      const taus = linspace(lo, hi, options.profilePoints);
      for (const v of variants) {
        const m = scoreMatrix(lookup(k), v, seeds[v] as number[], tasks);
        for (const p of performanceProfile(m, taus, bootstrap(options.bootstrapReps, v, k, 'profile'))) profiles.push({ suite, variant: v, score: k, ...p });
      }
    }
  }

  const curves = tasks.length > 0 ? sampleEfficiencyCurves(suite, evalCurves, variants, seeds, tasks, compared, options) : [];
  return { suite, tasks, droppedTasks, variants, seeds, scores, headline, aggregates, perTask, improvement, deltas, deltaSummary, profiles, curves };
}

/**
 * IQM (with stratified-bootstrap CI over seeds × tasks) of each variant at every env-step count
 * where ALL its seeds evaluated ALL tasks; other points are left out rather than averaged over fewer seeds.
 */
export function sampleEfficiencyCurves(
  suite: string,
  evalCurves: ColumnTable,
  variants: readonly string[],
  seeds: Readonly<Record<string, readonly number[]>>,
  tasks: readonly string[],
  keys: readonly ScoreKey[],
  options: ReportOptions,
): CurveRow[] {
  const rows = rowsOf<ScoreRecord & { env_steps: number }>(evalCurves);
  const out: CurveRow[] = [];
  for (const k of keys) {
    for (const v of variants) {
      const vSeeds = seeds[v] ?? [];
      const byStep = new Map<number, Map<string, number>>();
      for (const r of rows) {
        if (r.variant !== v) continue;
        let m = byStep.get(r.env_steps);
        if (m === undefined) {
          m = new Map();
          byStep.set(r.env_steps, m);
        }
        m.set(cell(v, r.seed, r.task), r[k]);
      }
      const rng = rngFor(options.bootstrapSeed, suite, v, k, 'curve');
      for (const step of [...byStep.keys()].sort((a, b) => a - b)) {
        const m: ScoreMatrix = scoreMatrix(byStep.get(step) as Map<string, number>, v, vSeeds, tasks);
        if (m.some((row) => row.some((x) => Number.isNaN(x)))) continue;
        const ci = stratifiedBootstrapCI(m, aggregateIqm, { reps: options.curveReps, alpha: options.ciAlpha, rng });
        out.push({ suite, variant: v, score: k, env_steps: step, ...ci, seeds: vSeeds.length });
      }
    }
  }
  return out;
}
