/**
 * Vega-Lite specs of the report's charts, rendered to static SVG in Node (vega `view.toSVG()`,
 * renderer 'none': no canvas, no DOM, no network). Each builder returns undefined when it has no
 * data, so a suite without e.g. Exp3 runs simply has no R chart.
 */
import {
  CONTROLLER_BETA,
  CONTROLLER_R_EMA,
  CONTROLLER_R_RAW,
  CONTROLLER_TRIGGER_DOWN_COUNT,
  CONTROLLER_TRIGGER_UP_COUNT,
  DEFAULT_BASELINE_SIGMA_PRIOR,
  GRAD_KL_RMS,
  GRAD_PPO_RMS,
  PRIOR_HYPER_PENALTY,
  PRIOR_SIGMA,
  STEP_RHO_ABS_MEDIAN,
  VARSHARE_KL,
  VARSHARE_KL_TOTAL,
  VARSHARE_MU_ABS_MEDIAN,
  VARSHARE_SIGMA_MEDIAN,
} from '@varshare/base';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { ScoreKey, SuiteScores } from './analyseScores';
import type { SeriesRow, SuiteDiagnostics } from './analyseDiagnostics';

/** A chart of the report: id (HTML anchor, unique per report), title, caption and spec. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** Report section: final performance ("which") or diagnostics ("why"). Defaults to diagnostics. */
  readonly section?: 'performance' | 'diagnostics';
}

/** Axis titles of the scores. */
export const SCORE_LABEL: Readonly<Record<ScoreKey, string>> = {
  return: 'final eval return',
  return_norm: 'min–max normalised return',
  success: 'success rate',
};

const W = 520;
const H = 230;
const FACET_W = 210;
const FACET_H = 130;

/** Replace NaN/±Infinity (not valid JSON data for vega) by null, which vega treats as missing. */
function clean<T extends object>(rows: readonly T[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : Array.isArray(v) ? v.join(' ') : v])));
}

/** 'log' when every value is positive and they span more than a factor 20, else 'linear'. */
export function scaleTypeFor(values: readonly number[]): 'log' | 'linear' {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0 || finite.some((v) => v <= 0)) return 'linear';
  return Math.max(...finite) / Math.min(...finite) > 20 ? 'log' : 'linear';
}

const variantColor = (variants: readonly string[]) => ({
  field: 'variant',
  type: 'nominal' as const,
  title: 'variant',
  scale: { domain: [...variants] },
});

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: { font: 'sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 320 } } } as const;

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Final-performance aggregates (IQM, mean, median) with their CIs, one panel per statistic. */
function finalChart(s: SuiteScores, score: ScoreKey): ChartSpec | undefined {
  const rows = s.aggregates.filter((a) => a.score === score);
  if (rows.length === 0 || rows.every((r) => Number.isNaN(r.point))) return undefined;
  return {
    id: `${slug(s.suite)}-final-${score}`,
    title: `Final performance — ${SCORE_LABEL[score]}`,
    caption: 'Point = statistic over all seeds × tasks; bar = 95 % stratified-bootstrap CI (resampling seeds within each task).',
    spec: {
      ...base,
      data: { values: clean(rows) },
      facet: { column: { field: 'statistic', type: 'nominal', title: null, sort: ['iqm', 'mean', 'median'] } },
      spec: {
        width: 170,
        height: 24 * s.variants.length,
        layer: [
          { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'variant', type: 'nominal', sort: [...s.variants], title: null }, x: { field: 'lo', type: 'quantitative', title: SCORE_LABEL[score], scale: { zero: false } }, x2: { field: 'hi' }, color: variantColor(s.variants) } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'variant', type: 'nominal', sort: [...s.variants] }, x: { field: 'point', type: 'quantitative' }, color: variantColor(s.variants) } },
        ],
      },
    } as TopLevelSpec,
  };
}

/** A per-variant line with its 95 % CI band (`point`, `lo`, `hi`) over a quantitative x field. */
function bandChart(
  s: SuiteScores,
  rows: readonly object[],
  o: { id: string; title: string; caption: string; x: { field: string; title: string }; yTitle: string; yDomain?: [number, number]; interpolate?: 'step-after'; opacity: number; points: boolean },
): ChartSpec {
  const interp = o.interpolate ? { interpolate: o.interpolate } : {};
  return {
    id: o.id,
    title: o.title,
    caption: o.caption,
    spec: {
      ...base,
      width: W,
      height: H,
      data: { values: clean(rows) },
      encoding: { x: { field: o.x.field, type: 'quantitative', title: o.x.title }, color: variantColor(s.variants) },
      layer: [
        { mark: { type: 'area', opacity: o.opacity, ...interp }, encoding: { y: { field: 'lo', type: 'quantitative', title: o.yTitle, ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}) }, y2: { field: 'hi' } } },
        { mark: { type: 'line', ...(o.points ? { point: true } : {}), ...interp }, encoding: { y: { field: 'point', type: 'quantitative' } } },
      ],
    } as TopLevelSpec,
  };
}

/** IQM over env steps with a CI band, per variant. */
function curveChart(s: SuiteScores, score: ScoreKey): ChartSpec | undefined {
  const rows = s.curves.filter((c) => c.score === score);
  if (rows.length === 0) return undefined;
  const what = SCORE_LABEL[score].replace('final ', '');
  return bandChart(s, rows, {
    id: `${slug(s.suite)}-curve-${score}`,
    title: `Sample efficiency — IQM ${what} over env steps`,
    caption: 'Line = IQM over seeds × tasks at each evaluation (eval.jsonl); band = 95 % stratified-bootstrap CI. Points where some seed had not evaluated are left out.',
    x: { field: 'env_steps', title: 'environment steps' },
    yTitle: `IQM ${what}`,
    opacity: 0.18,
    points: true,
  });
}

/** Fraction of (seed, task) scores above τ with a CI band, per variant. */
function profileChart(s: SuiteScores, score: ScoreKey): ChartSpec | undefined {
  const rows = s.profiles.filter((p) => p.score === score);
  if (rows.length === 0) return undefined;
  return bandChart(s, rows, {
    id: `${slug(s.suite)}-profile-${score}`,
    title: `Performance profile — ${SCORE_LABEL[score]}`,
    caption: 'Fraction of (seed, task) final scores above τ; band = 95 % stratified-bootstrap CI. A curve above another dominates it.',
    x: { field: 'tau', title: `τ (${SCORE_LABEL[score]})` },
    yTitle: 'fraction of runs with score > τ',
    yDomain: [0, 1],
    interpolate: 'step-after',
    opacity: 0.15,
    points: false,
  });
}

function deltaChart(s: SuiteScores, score: ScoreKey): ChartSpec | undefined {
  const rows = s.deltas.filter((d) => d.score === score);
  const summary = s.deltaSummary.filter((d) => d.score === score && d.pairs > 0);
  if (rows.length === 0) return undefined;
  const others = s.variants.filter((v) => summary.some((d) => d.variant === v));
  const baseline = rows[0]?.baseline ?? 'baseline';
  return {
    id: `${slug(s.suite)}-deltas-${score}`,
    title: `Paired per-seed deltas vs ${baseline} — ${SCORE_LABEL[score]}`,
    caption: `Each dot is one seed: the variant's mean-over-tasks score minus ${baseline}'s on the same seed. Diamond and bar: mean delta with a 95 % bootstrap CI over seeds.`,
    spec: {
      ...base,
      width: W,
      height: Math.max(60, 34 * others.length),
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
        { data: { values: clean(summary) }, mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 }, encoding: { y: { field: 'variant', type: 'nominal', sort: others, title: null }, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, color: variantColor(s.variants) } },
        { data: { values: clean(summary) }, mark: { type: 'point', shape: 'diamond', filled: true, size: 120 }, encoding: { y: { field: 'variant', type: 'nominal', sort: others }, x: { field: 'meanDelta', type: 'quantitative' }, color: variantColor(s.variants) } },
        {
          data: { values: clean(rows) },
          mark: { type: 'point', size: 50, yOffset: 8 },
          encoding: { y: { field: 'variant', type: 'nominal', sort: others }, x: { field: 'delta', type: 'quantitative', title: `Δ ${SCORE_LABEL[score]} (variant − ${baseline})` }, color: variantColor(s.variants) },
        },
      ],
    } as TopLevelSpec,
  };
}

function taskHeatmap(s: SuiteScores, score: ScoreKey): ChartSpec | undefined {
  const rows = s.perTask.filter((t) => t.score === score);
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-tasks-${score}`,
    title: `Per-task final ${SCORE_LABEL[score].replace('final ', '')} (mean over seeds)`,
    caption: 'Cell = mean over seeds of the final evaluation of that task.',
    spec: {
      ...base,
      width: Math.max(W, 62 * new Set(rows.map((r) => r.task)).size),
      height: 26 * s.variants.length,
      data: { values: clean(rows) },
      encoding: { x: { field: 'task', type: 'nominal', title: null, axis: { labelAngle: -30 } }, y: { field: 'variant', type: 'nominal', sort: [...s.variants], title: null } },
      layer: [
        { mark: 'rect', encoding: { color: { field: 'mean', type: 'quantitative', title: 'mean', scale: { scheme: 'blues' } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'mean', type: 'quantitative', format: '.3~s' }, color: { value: '#222' } } },
      ],
    } as TopLevelSpec,
  };
}

/** A time-series chart of some diagnostic keys: mean over seeds (line) with min–max band. */
function seriesChart(args: {
  id: string;
  title: string;
  caption: string;
  rows: readonly SeriesRow[];
  variants: readonly string[];
  yTitle: string;
  colorBy?: 'variant' | 'qualifier';
  dashBy?: 'key';
  extraLayers?: object[];
}): ChartSpec | undefined {
  if (args.rows.length === 0) return undefined;
  const yType = scaleTypeFor(args.rows.flatMap((r) => [r.mean, r.min, r.max]));
  const color = args.colorBy === 'qualifier' ? { field: 'qualifier', type: 'nominal', title: null } : variantColor(args.variants);
  const detail = args.dashBy ? { strokeDash: { field: 'key', type: 'nominal', title: null } } : {};
  return {
    id: args.id,
    title: args.title,
    caption: args.caption,
    spec: {
      ...base,
      width: W,
      height: H,
      layer: [
        ...(args.extraLayers ?? []),
        {
          data: { values: clean(args.rows) },
          encoding: { x: { field: 'env_steps', type: 'quantitative', title: 'environment steps' }, color, detail: { field: 'key', type: 'nominal' } },
          layer: [
            { mark: { type: 'area', opacity: 0.12 }, encoding: { y: { field: 'min', type: 'quantitative', scale: { type: yType }, title: args.yTitle }, y2: { field: 'max' } } },
            { mark: { type: 'line' }, encoding: { y: { field: 'mean', type: 'quantitative' }, ...detail } },
          ],
        },
      ],
    } as TopLevelSpec,
  };
}

/** Small multiples of a diagnostic over time: one panel per `facetBy` value. */
function facetSeriesChart(args: { id: string; title: string; caption: string; rows: readonly SeriesRow[]; variants: readonly string[]; facetBy: 'qualifier' | 'variant'; colorBy: 'variant' | 'qualifier'; yTitle: string; ruleAt?: number; independentY?: boolean }): ChartSpec | undefined {
  if (args.rows.length === 0) return undefined;
  const values = args.rows.map((r) => r.mean);
  if (args.ruleAt !== undefined) values.push(args.ruleAt);
  const yType = scaleTypeFor(values);
  const color = args.colorBy === 'qualifier' ? { field: 'qualifier', type: 'nominal', title: null } : variantColor(args.variants);
  return {
    id: args.id,
    title: args.title,
    caption: args.caption,
    spec: {
      ...base,
      data: { values: clean(args.rows) },
      facet: { field: args.facetBy, type: 'nominal', title: null, ...(args.facetBy === 'variant' && { sort: [...args.variants] }) },
      columns: 3,
      ...(args.independentY && { resolve: { scale: { y: 'independent' } } }),
      spec: {
        width: FACET_W,
        height: FACET_H,
        layer: [
          { mark: { type: 'line' }, encoding: { x: { field: 'env_steps', type: 'quantitative', title: 'environment steps' }, y: { field: 'mean', type: 'quantitative', title: args.yTitle, scale: { type: yType } }, color } },
          ...(args.ruleAt !== undefined ? [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#c33' }, encoding: { y: { datum: args.ruleAt } } }] : []),
        ],
      },
    } as TopLevelSpec,
  };
}

/** The charts of one suite, in report order. */
export function suiteCharts(s: SuiteScores, d: SuiteDiagnostics): ChartSpec[] {
  const id = slug(s.suite);
  const compared: ScoreKey[] = [s.headline, ...(s.scores.includes('success') ? (['success'] as const) : [])];
  const charts: (ChartSpec | undefined)[] = [];
  for (const k of compared) charts.push(finalChart(s, k));
  for (const k of compared) charts.push(curveChart(s, k));
  for (const k of compared) charts.push(profileChart(s, k));
  for (const k of compared) charts.push(deltaChart(s, k));
  charts.push(taskHeatmap(s, s.headline));
  const performance = charts.filter((c): c is ChartSpec => c !== undefined).map((c) => ({ ...c, section: 'performance' as const }));
  charts.length = 0;

  const series = (pred: (r: SeriesRow) => boolean): SeriesRow[] => d.series.filter(pred);
  const withR = new Set(d.beta.filter((b) => !Number.isNaN(b.rEmaInBand)).map((b) => b.variant));
  const triggerRows = d.triggers.map((t) => ({ ...t, shape: t.direction === 'up' ? 'triangle-up' : 'triangle-down' }));
  charts.push(
    seriesChart({
      id: `${id}-beta`,
      title: 'KL weight β(t)',
      caption: `${CONTROLLER_BETA}, mean over seeds (band: min–max). Triangles: updates where a ratio controller raised (▲) or lowered (▼) β in some seed.`,
      rows: series((r) => r.key === CONTROLLER_BETA),
      variants: s.variants,
      yTitle: 'β',
      extraLayers: triggerRows.length > 0 ? [{ data: { values: clean(triggerRows) }, mark: { type: 'point', filled: true, size: 70 }, encoding: { x: { field: 'env_steps', type: 'quantitative' }, y: { field: 'beta', type: 'quantitative' }, shape: { field: 'shape', type: 'nominal', scale: null }, color: variantColor(s.variants) } }] : [],
    }),
  );
  const band = d.beta.find((b) => withR.has(b.variant));
  charts.push(
    seriesChart({
      id: `${id}-ratio`,
      title: 'Noise-to-weight ratio R_raw (dashed) and R_ema (solid)',
      caption: `${CONTROLLER_R_RAW} and ${CONTROLLER_R_EMA}, mean over seeds. Shaded: the controller band [R_min, R_max] = [${band?.rMin ?? ''}, ${band?.rMax ?? ''}] from the run config.`,
      rows: series((r) => (r.key === CONTROLLER_R_RAW || r.key === CONTROLLER_R_EMA) && withR.has(r.variant)),
      variants: s.variants,
      yTitle: 'R',
      dashBy: 'key',
      extraLayers: band ? [{ data: { values: [{ lo: band.rMin, hi: band.rMax }] }, mark: { type: 'rect', color: '#2a9d58', opacity: 0.12 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } }] : [],
    }),
  );
  charts.push(
    seriesChart({
      id: `${id}-triggers`,
      title: 'Ratio-controller trigger counts (cumulative; up solid, down dashed)',
      caption: `${CONTROLLER_TRIGGER_UP_COUNT} and ${CONTROLLER_TRIGGER_DOWN_COUNT}, mean over seeds.`,
      rows: series((r) => r.key === CONTROLLER_TRIGGER_UP_COUNT || r.key === CONTROLLER_TRIGGER_DOWN_COUNT),
      variants: s.variants,
      yTitle: 'triggers so far',
      dashBy: 'key',
    }),
  );
  for (const granularity of ['task', 'layer'] as const) {
    const priorVariants = [...new Set(d.series.filter((r) => r.base === PRIOR_SIGMA && r.kind === granularity).map((r) => r.variant))];
    for (const v of priorVariants) {
      const quantity = (r: SeriesRow): string => (r.base === PRIOR_SIGMA ? 'σ_prior' : '|μ| median');
      charts.push(
        facetSeriesChart({
          id: `${id}-prior-${granularity}-${slug(v)}`,
          title: `${v}: σ_prior and |μ| median per ${granularity} over time`,
          caption: `${PRIOR_SIGMA}/<${granularity}> (left) and ${VARSHARE_MU_ABS_MEDIAN}/<${granularity}> (right), mean over seeds, one colour per ${granularity}.`,
          rows: series((r) => r.variant === v && r.kind === granularity && (r.base === PRIOR_SIGMA || r.base === VARSHARE_MU_ABS_MEDIAN)).map((r) => ({ ...r, variant: quantity(r) })),
          variants: ['σ_prior', '|μ| median'],
          facetBy: 'variant',
          colorBy: 'qualifier',
          yTitle: 'value',
          independentY: true,
        }),
      );
      const scatter = d.priorSigma.filter((p) => p.variant === v && p.granularity === granularity);
      if (scatter.length > 0) {
        charts.push({
          id: `${id}-prior-scatter-${granularity}-${slug(v)}`,
          title: `${v}: final σ_prior vs final |μ| per ${granularity}`,
          caption: granularity === 'task' ? 'One point per task (means over seeds); colour = final eval return of the task.' : 'One point per layer (means over seeds).',
          spec: {
            ...base,
            width: 360,
            height: 240,
            data: { values: clean(scatter) },
            layer: [
              {
                mark: { type: 'point', filled: true, size: 80 },
                encoding: {
                  x: { field: 'sigmaPriorFinal', type: 'quantitative', title: 'σ_prior (final)', scale: { zero: false } },
                  y: { field: 'muAbsFinal', type: 'quantitative', title: '|μ| median (final)', scale: { zero: false } },
                  ...(granularity === 'task' ? { color: { field: 'finalReturn', type: 'quantitative', title: 'final return', scale: { scheme: 'viridis' } } } : { color: { value: '#4c78a8' } }),
                },
              },
              { mark: { type: 'text', dx: 6, align: 'left', fontSize: 9 }, encoding: { x: { field: 'sigmaPriorFinal', type: 'quantitative' }, y: { field: 'muAbsFinal', type: 'quantitative' }, text: { field: 'name' } } },
            ],
          } as TopLevelSpec,
        });
      }
    }
  }
  charts.push(
    seriesChart({
      id: `${id}-kl-total`,
      title: 'KL_total over time',
      caption: `${VARSHARE_KL_TOTAL}, mean over seeds (band: min–max).`,
      rows: series((r) => r.key === VARSHARE_KL_TOTAL),
      variants: s.variants,
      yTitle: 'KL_total',
    }),
  );
  charts.push(
    facetSeriesChart({
      id: `${id}-kl-task`,
      title: 'KL per task over time',
      caption: `${VARSHARE_KL}/<task>, mean over seeds; one panel per variant, one colour per task.`,
      rows: series((r) => r.base === VARSHARE_KL && r.kind === 'task'),
      variants: s.variants,
      facetBy: 'variant',
      colorBy: 'qualifier',
      yTitle: 'KL',
    }),
  );
  charts.push(
    facetSeriesChart({
      id: `${id}-sigma-layer`,
      title: 'Posterior σ median per layer — drifting toward ~1?',
      caption: `${VARSHARE_SIGMA_MEDIAN}/<layer>, mean over seeds; one panel per layer. Dashed red line: σ = ${DEFAULT_BASELINE_SIGMA_PRIOR}, the optimum of the KL under a unit prior (spec Exp1 / Note 4).`,
      rows: series((r) => r.base === VARSHARE_SIGMA_MEDIAN && r.kind === 'layer'),
      variants: s.variants,
      facetBy: 'qualifier',
      colorBy: 'variant',
      yTitle: 'σ median',
      ruleAt: DEFAULT_BASELINE_SIGMA_PRIOR,
    }),
  );
  // Log scale: zero series (PPO on a learned prior, KL on θ) have no place on it.
  const pressureRows = series((r) => r.kind === 'group' && (r.base === GRAD_KL_RMS || r.base === GRAD_PPO_RMS) && r.qualifier !== 'theta' && r.mean > 0);
  const eps = d.pressure.inertness.map((i) => i.eps).filter((e) => Number.isFinite(e));
  if (pressureRows.length > 0) {
    charts.push({
      id: `${id}-kl-pressure`,
      title: 'KL pressure: gradient per parameter from the KL (dashed) and from PPO (solid)',
      caption:
        `${GRAD_KL_RMS}/<group> and ${GRAD_PPO_RMS}/<group>, mean over seeds; one panel per parameter group (μ, ρ, learned σ_prior). ` +
        `Red rule: the posterior group's Adam ε${eps.length > 0 ? ` (${[...new Set(eps)].join(', ')})` : ''} — a gradient below it is damped like SGD.`,
      spec: {
        ...base,
        data: { values: clean(pressureRows.map((r) => ({ ...r, term: r.base === GRAD_KL_RMS ? 'KL' : 'PPO' }))) },
        facet: { field: 'qualifier', type: 'nominal', title: null, sort: ['mu', 'rho', 'prior'] },
        columns: 3,
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: FACET_W,
          height: FACET_H,
          layer: [
            {
              mark: { type: 'line' },
              encoding: {
                x: { field: 'env_steps', type: 'quantitative', title: 'environment steps' },
                y: { field: 'mean', type: 'quantitative', title: 'gradient per parameter', scale: { type: 'log' } },
                color: variantColor(s.variants),
                strokeDash: { field: 'term', type: 'nominal', title: null, sort: ['PPO', 'KL'] },
                detail: { field: 'key', type: 'nominal' },
              },
            },
            ...(eps.length > 0 ? [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#c33' }, encoding: { y: { datum: Math.min(...eps) } } }] : []),
          ],
        },
      } as TopLevelSpec,
    });
  }
  charts.push(
    seriesChart({
      id: `${id}-rho-step`,
      title: 'Realised step of ρ: median |Δρ| per optimizer step',
      caption: `${STEP_RHO_ABS_MEDIAN}, mean over seeds (band: min–max). Adam moves a parameter by at most ≈ its learning rate per step; far below it, the gradient is below ε or changes sign from step to step.`,
      rows: series((r) => r.key === STEP_RHO_ABS_MEDIAN),
      variants: s.variants,
      yTitle: '|Δρ| per step',
    }),
  );
  charts.push(
    seriesChart({
      id: `${id}-hyper`,
      title: 'Hyperprior penalty (Exp5)',
      caption: `${PRIOR_HYPER_PENALTY} = λ_hyper Σ_layers (log σ_prior,layer − log σ_target)², mean over seeds.`,
      rows: series((r) => r.key === PRIOR_HYPER_PENALTY),
      variants: s.variants,
      yTitle: 'penalty',
    }),
  );
  return [...performance, ...charts.filter((c): c is ChartSpec => c !== undefined).map((c) => ({ ...c, section: 'diagnostics' as const }))];
}

/**
 * Renames the element ids inside one SVG (vega numbers gradients and clip paths with a
 * process-wide counter) to `<prefix>-<n>` in order of appearance, so the same report renders to the
 * same bytes in any process, and ids stay unique across the many SVGs inlined in one page.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) {
    const id = m[1] as string;
    if (!ids.has(id)) ids.set(id, `${prefix}-${ids.size}`);
  }
  if (ids.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) => {
    const to = ids.get(id);
    return to === undefined ? whole : `${lead}${to}`;
  });
}

/** Compiles a Vega-Lite spec and renders it to an SVG string headlessly; element ids are scoped with `idPrefix`. */
export async function renderSvg(spec: TopLevelSpec, idPrefix = 'chart'): Promise<string> {
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return scopeSvgIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}
