/**
 * Diagnostics the spec asks to log and correlate (spec "Metrics to log" B and C, and each
 * experiment's "Logging emphasis"): β(t) with trigger events, R_raw/R_ema against the
 * [R_min, R_max] band, σ_prior per task (exp4) and per layer (exp5) against |μ| and task
 * performance, KL total and per task, posterior σ median per layer (drift toward ~1?), and the
 * hyperprior penalty. Numbers only; charts are elsewhere.
 */
import { op } from 'arquero';
import type { ColumnTable } from 'arquero';
import {
  CONTROLLER_BETA,
  CONTROLLER_R_EMA,
  CONTROLLER_TRIGGER_DOWN_COUNT,
  CONTROLLER_TRIGGER_UP_COUNT,
  DEFAULT_R_BAND,
  PRIOR_SIGMA,
  VARSHARE_SIGMA_MEDIAN,
  varshareMuAbsMedianLayer,
  varshareMuAbsMedianTask,
} from '@varshare/base';
import { mean } from '@varshare/metrics';
import type { LoadedRun } from './loadRuns';
import type { QualifierKind } from './runTables';
import { spearman } from './correlation';
import { analysePressure, type PressureAnalysis } from './analysePressure';

/** Exp5 degeneracy flags: final σ_prior,layer below initial/10 reads as collapse, above initial·10 as explosion. */
export const SIGMA_PRIOR_DEGENERACY_FACTOR = 10;

/** A diagnostic key over time, mean/min/max over the seeds of a variant. */
export interface SeriesRow {
  readonly suite: string;
  readonly variant: string;
  readonly key: string;
  readonly base: string;
  readonly qualifier: string;
  readonly kind: QualifierKind;
  readonly env_steps: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly seeds: number;
}

/** The last logged value of a key, mean/min/max over seeds. */
export interface FinalValueRow {
  readonly suite: string;
  readonly variant: string;
  readonly key: string;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly seeds: number;
}

/** β(t) and Exp3 controller summary of one variant (means over seeds). */
export interface BetaSummaryRow {
  readonly suite: string;
  readonly variant: string;
  readonly betaInitial: number;
  readonly betaFinal: number;
  readonly betaMin: number;
  readonly betaMax: number;
  /** Final cumulative trigger counts (NaN when the variant has no ratio controller). */
  readonly triggerUp: number;
  readonly triggerDown: number;
  /** Fraction of all logged updates (all seeds) with R_min ≤ R_ema ≤ R_max; NaN without R_ema. */
  readonly rEmaInBand: number;
  readonly rEmaFinal: number;
  readonly rMin: number;
  readonly rMax: number;
}

/** An update at which a run's ratio controller raised or lowered β (its trigger count increased). */
export interface TriggerEvent {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly update: number;
  readonly env_steps: number;
  readonly direction: 'up' | 'down';
  readonly beta: number;
}

/** Posterior σ median of one layer: does it drift toward ~1 (spec Exp1, Note 4)? */
export interface SigmaDriftRow {
  readonly suite: string;
  readonly variant: string;
  readonly layer: string;
  readonly initial: number;
  readonly final: number;
  /** Largest seed-mean value over the run. */
  readonly peak: number;
  readonly flagged: boolean;
}

/** σ_prior of one task or layer next to its |μ| (and, per task, final return). Means over seeds. */
export interface PriorSigmaRow {
  readonly suite: string;
  readonly variant: string;
  readonly granularity: 'task' | 'layer';
  readonly name: string;
  readonly sigmaPriorInitial: number;
  readonly sigmaPriorFinal: number;
  readonly muAbsFinal: number;
  /** Final eval return of the task (NaN for layers). */
  readonly finalReturn: number;
  /** Layers (exp5): `collapse` / `explosion` / `ok` by `SIGMA_PRIOR_DEGENERACY_FACTOR`; tasks: `rose` / `fell` / `flat`. */
  readonly state: string;
}

/** Spearman correlation across tasks or layers. */
export interface CorrelationRow {
  readonly suite: string;
  readonly variant: string;
  readonly granularity: 'task' | 'layer';
  readonly x: string;
  readonly y: string;
  readonly n: number;
  readonly spearman: number;
}

/** All diagnostics of one suite. */
export interface SuiteDiagnostics {
  readonly suite: string;
  readonly series: readonly SeriesRow[];
  readonly finals: readonly FinalValueRow[];
  readonly beta: readonly BetaSummaryRow[];
  readonly triggers: readonly TriggerEvent[];
  readonly sigmaDrift: readonly SigmaDriftRow[];
  readonly priorSigma: readonly PriorSigmaRow[];
  readonly correlations: readonly CorrelationRow[];
  /** KL pressure, inertness, direction of β's effect on σ, prior against the weight scale. */
  readonly pressure: PressureAnalysis;
}

/** First and last value of `key` in a run's metrics.jsonl (NaN when never logged). */
export function firstLast(run: LoadedRun, key: string): { first: number; last: number } {
  let first = Number.NaN;
  let last = Number.NaN;
  for (const rec of run.data.metrics) {
    const v = rec[key];
    if (v === undefined) continue;
    if (Number.isNaN(first)) first = v;
    last = v;
  }
  return { first, last };
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'number' ? v : undefined;
}

const meanOver = (runs: readonly LoadedRun[], f: (r: LoadedRun) => number): number => mean(runs.map(f).filter((x) => !Number.isNaN(x)));

/**
 * Diagnostics of ONE suite. `diagnostics` is the suite's slice of the long diagnostics table
 * (downsampled updates); `runs` give full-resolution first/last values, trigger events and configs;
 * `finalReturns` maps `variant\0task` to the mean final eval return over seeds.
 */
export function analyseDiagnostics(
  suite: string,
  runs: readonly LoadedRun[],
  diagnostics: ColumnTable,
  variants: readonly string[],
  finalReturns: ReadonlyMap<string, number>,
  sigmaDriftThreshold: number,
  tasks: readonly string[] = [],
  baseline = 'baseline',
): SuiteDiagnostics {
  const series: SeriesRow[] = [];
  if (diagnostics.numRows() > 0) {
    const grouped = diagnostics.groupby('variant', 'key', 'base', 'qualifier', 'kind', 'env_steps').rollup({ values: op.array_agg('value') });
    for (const g of grouped.objects() as Array<Omit<SeriesRow, 'mean' | 'min' | 'max' | 'seeds' | 'suite'> & { values: number[] }>) {
      const { values, ...rest } = g;
      series.push({ suite, ...rest, mean: mean(values), min: Math.min(...values), max: Math.max(...values), seeds: values.length });
    }
    series.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.env_steps - b.env_steps);
  }
  const kindByKey = new Map<string, { base: string; qualifier: string; kind: QualifierKind }>();
  for (const s of series) kindByKey.set(s.key, { base: s.base, qualifier: s.qualifier, kind: s.kind });

  const byVariant = new Map(variants.map((v) => [v, runs.filter((r) => r.variant === v)]));
  const finals: FinalValueRow[] = [];
  const beta: BetaSummaryRow[] = [];
  const triggers: TriggerEvent[] = [];
  const sigmaDrift: SigmaDriftRow[] = [];
  const priorSigma: PriorSigmaRow[] = [];
  const correlations: CorrelationRow[] = [];

  for (const [variant, vRuns] of byVariant) {
    const keys = [...new Set(vRuns.flatMap((r) => Object.keys(r.data.metrics.at(-1) ?? {})))].filter((k) => kindByKey.has(k)).sort();
    for (const key of keys) {
      const lasts = vRuns.map((r) => firstLast(r, key).last).filter((x) => !Number.isNaN(x));
      if (lasts.length > 0) finals.push({ suite, variant, key, mean: mean(lasts), min: Math.min(...lasts), max: Math.max(...lasts), seeds: lasts.length });
    }
    const has = (key: string): boolean => keys.includes(key);

    if (has(CONTROLLER_BETA)) {
      const values = vRuns.flatMap((r) => r.data.metrics.map((m) => m[CONTROLLER_BETA]).filter((x): x is number => x !== undefined));
      const band = {
        rMin: numberAt(vRuns[0]?.data.config, 'controller', 'beta', 'rMin') ?? DEFAULT_R_BAND.rMin,
        rMax: numberAt(vRuns[0]?.data.config, 'controller', 'beta', 'rMax') ?? DEFAULT_R_BAND.rMax,
      };
      const rEma = vRuns.flatMap((r) => r.data.metrics.map((m) => m[CONTROLLER_R_EMA]).filter((x): x is number => x !== undefined && !Number.isNaN(x)));
      beta.push({
        suite,
        variant,
        betaInitial: meanOver(vRuns, (r) => firstLast(r, CONTROLLER_BETA).first),
        betaFinal: meanOver(vRuns, (r) => firstLast(r, CONTROLLER_BETA).last),
        betaMin: Math.min(...values),
        betaMax: Math.max(...values),
        triggerUp: meanOver(vRuns, (r) => firstLast(r, CONTROLLER_TRIGGER_UP_COUNT).last),
        triggerDown: meanOver(vRuns, (r) => firstLast(r, CONTROLLER_TRIGGER_DOWN_COUNT).last),
        rEmaInBand: rEma.length > 0 ? rEma.filter((x) => x >= band.rMin && x <= band.rMax).length / rEma.length : Number.NaN,
        rEmaFinal: meanOver(vRuns, (r) => firstLast(r, CONTROLLER_R_EMA).last),
        ...band,
      });
    }

    for (const r of vRuns) {
      let up = Number.NaN;
      let down = Number.NaN;
      for (const m of r.data.metrics) {
        const u = m[CONTROLLER_TRIGGER_UP_COUNT];
        const d = m[CONTROLLER_TRIGGER_DOWN_COUNT];
        const b = m[CONTROLLER_BETA] ?? Number.NaN;
        if (u !== undefined && !Number.isNaN(up) && u > up) triggers.push({ suite, variant, seed: r.seed, update: m.update, env_steps: m.env_steps, direction: 'up', beta: b });
        if (d !== undefined && !Number.isNaN(down) && d > down) triggers.push({ suite, variant, seed: r.seed, update: m.update, env_steps: m.env_steps, direction: 'down', beta: b });
        if (u !== undefined) up = u;
        if (d !== undefined) down = d;
      }
    }

    for (const key of keys) {
      const p = kindByKey.get(key);
      if (p === undefined || p.base !== VARSHARE_SIGMA_MEDIAN || p.kind !== 'layer') continue;
      const seriesMeans = series.filter((s) => s.variant === variant && s.key === key).map((s) => s.mean);
      const final = meanOver(vRuns, (r) => firstLast(r, key).last);
      sigmaDrift.push({
        suite,
        variant,
        layer: p.qualifier,
        initial: meanOver(vRuns, (r) => firstLast(r, key).first),
        final,
        peak: seriesMeans.length > 0 ? Math.max(...seriesMeans) : Number.NaN,
        flagged: final >= sigmaDriftThreshold,
      });
    }

    for (const granularity of ['task', 'layer'] as const) {
      const sigmaKeys = keys.filter((k) => kindByKey.get(k)?.base === PRIOR_SIGMA && kindByKey.get(k)?.kind === granularity);
      if (sigmaKeys.length === 0) continue;
      const rows: PriorSigmaRow[] = sigmaKeys.map((key) => {
        const name = (kindByKey.get(key) as { qualifier: string }).qualifier;
        const sigmaPriorInitial = meanOver(vRuns, (r) => firstLast(r, key).first);
        const sigmaPriorFinal = meanOver(vRuns, (r) => firstLast(r, key).last);
        const ratio = sigmaPriorFinal / sigmaPriorInitial;
        const state =
          granularity === 'layer'
            ? ratio < 1 / SIGMA_PRIOR_DEGENERACY_FACTOR
              ? 'collapse'
              : ratio > SIGMA_PRIOR_DEGENERACY_FACTOR
                ? 'explosion'
                : 'ok'
            : sigmaPriorFinal > sigmaPriorInitial
              ? 'rose'
              : sigmaPriorFinal < sigmaPriorInitial
                ? 'fell'
                : 'flat';
        return {
          suite,
          variant,
          granularity,
          name,
          sigmaPriorInitial,
          sigmaPriorFinal,
          muAbsFinal: meanOver(vRuns, (r) => firstLast(r, granularity === 'task' ? varshareMuAbsMedianTask(name) : varshareMuAbsMedianLayer(name)).last),
          finalReturn: granularity === 'task' ? (finalReturns.get(`${variant}\u0000${name}`) ?? Number.NaN) : Number.NaN,
          state,
        };
      });
      priorSigma.push(...rows);
      const sig = rows.map((r) => r.sigmaPriorFinal);
      correlations.push({ suite, variant, granularity, x: 'σ_prior (final)', y: '|μ| median (final)', n: rows.length, spearman: spearman(sig, rows.map((r) => r.muAbsFinal)) });
      if (granularity === 'task') {
        correlations.push({ suite, variant, granularity, x: 'σ_prior (final)', y: 'final eval return', n: rows.length, spearman: spearman(sig, rows.map((r) => r.finalReturn)) });
      }
    }
  }
  const pressure = analysePressure(suite, runs, variants, tasks, baseline);
  return { suite, series, finals, beta, triggers, sigmaDrift, priorSigma, correlations, pressure };
}
