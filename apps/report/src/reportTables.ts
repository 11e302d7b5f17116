/**
 * The report's display tables (strings), built once and rendered both as HTML and as Markdown,
 * plus the numeric CSV tables (one file per table, all suites stacked with a `suite` column).
 */
import { from } from 'arquero';
import { CONTROLLER_BETA, GRAD_KL_RMS, GRAD_PPO_RMS, PRIOR_HYPER_PENALTY, PRIOR_SIGMA, VARSHARE_KL_TOTAL, VARSHARE_RATIO_R, VARSHARE_SIGMA_MEDIAN } from '@varshare/base';
import type { Report, SuiteReport } from './buildReport';
import type { RunTables } from './runTables';
import type { ScoreKey } from './analyseScores';
import { SCORE_LABEL } from './charts';
import { fmt, fmtCI, fmtSet, fmtSigned } from './format';

/** A table of formatted cells. */
export interface DisplayTable {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function finalTable(s: SuiteReport, score: ScoreKey): DisplayTable {
  const sc = s.scores;
  const get = (v: string, stat: string) => sc.aggregates.find((a) => a.variant === v && a.score === score && a.statistic === stat);
  return {
    id: `${slug(s.suite)}-final-table-${score}`,
    title: `Final performance — ${SCORE_LABEL[score]}`,
    caption: `Over ${sc.tasks.length} tasks × each variant's seeds; [95 % stratified-bootstrap CI]. IQM pools all seed×task scores; mean and median are over per-task means (rliable).`,
    headers: ['variant', 'seeds', 'IQM [CI]', 'mean [CI]', 'median [CI]'],
    rows: sc.variants.map((v) => [v, String(sc.seeds[v]?.length ?? 0), ...['iqm', 'mean', 'median'].map((st) => { const a = get(v, st); return a ? fmtCI(a) : '–'; })]),
  };
}

function perTaskTable(s: SuiteReport, score: ScoreKey): DisplayTable {
  const sc = s.scores;
  const tasks = [...sc.tasks, ...sc.droppedTasks];
  return {
    id: `${slug(s.suite)}-per-task-${score}`,
    title: `Per-task ${SCORE_LABEL[score]}`,
    caption: 'Mean over seeds (min–max over seeds).',
    headers: ['variant', ...tasks],
    rows: sc.variants.map((v) => [
      v,
      ...tasks.map((t) => {
        const r = sc.perTask.find((p) => p.variant === v && p.task === t && p.score === score);
        return r ? `${fmt(r.mean)} (${fmt(r.min)}–${fmt(r.max)})` : '–';
      }),
    ]),
  };
}

function improvementTable(s: SuiteReport, score: ScoreKey): DisplayTable | undefined {
  const sc = s.scores;
  const rows = sc.improvement.filter((i) => i.score === score);
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-improvement-${score}`,
    title: `Against ${rows[0]?.baseline} — ${SCORE_LABEL[score]}`,
    caption: 'P(X > Y): per task the fraction of paired seeds where the variant beats the baseline (ties ½), averaged over tasks; CI resamples seeds keeping pairs. Δ: per seed, mean-over-tasks score minus the baseline\'s.',
    headers: ['variant', 'paired seeds', 'P(variant > baseline) [CI]', 'mean Δ [CI]', 'per-seed Δ', 'unpaired seeds'],
    rows: rows.map((i) => {
      const d = sc.deltaSummary.find((x) => x.variant === i.variant && x.score === score);
      const perSeed = sc.deltas.filter((x) => x.variant === i.variant && x.score === score).map((x) => `s${x.seed}: ${fmtSigned(x.delta)}`).join(', ');
      const unpaired = d ? [...d.onlyInVariant.map((x) => `${i.variant}:${x}`), ...d.onlyInBaseline.map((x) => `${i.baseline}:${x}`)].join(', ') : '';
      return [
        i.variant,
        i.paired ? fmtSet(i.seeds) : 'none (independent-runs P)',
        fmtCI(i),
        d && d.pairs > 0 ? `${fmtSigned(d.meanDelta)} [${fmtSigned(d.lo)}, ${fmtSigned(d.hi)}]` : '–',
        perSeed || '–',
        unpaired || '–',
      ];
    }),
  };
}

function actingTable(s: SuiteReport): DisplayTable {
  return {
    id: `${slug(s.suite)}-acting-mode`,
    title: 'Acting mode and variant toggles',
    caption: 'From config.json meta.actingMode and controller (spec Note 3: rollout weights, sampling scope and evaluation weights must be explicit).',
    headers: ['variant', 'seeds', 'β source', 'σ_prior source', 'rollout weights', 'train weights', 'noise', 'sampling scope', 'eval weights', 'network', 'same across seeds'],
    rows: s.actingModes.map((a) => [a.variant, fmtSet(a.seeds), a.betaKind, a.priorKind, a.rolloutWeights, a.trainWeights, a.noise, a.samplingScope, a.evalWeights, a.network, a.consistent ? 'yes' : 'NO']),
  };
}

function betaTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.beta;
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-beta-table`,
    title: 'β(t) and the ratio controller',
    caption: 'Means over seeds. Triggers: final cumulative controller/trigger_up_count / trigger_down_count. In band: share of logged updates with R_min ≤ R_ema ≤ R_max.',
    headers: ['variant', 'β initial', 'β final', 'β min', 'β max', 'triggers up', 'triggers down', 'R_ema final', 'R_ema in band'],
    rows: rows.map((b) => [b.variant, fmt(b.betaInitial), fmt(b.betaFinal), fmt(b.betaMin), fmt(b.betaMax), fmt(b.triggerUp), fmt(b.triggerDown), fmt(b.rEmaFinal), Number.isNaN(b.rEmaInBand) ? '–' : `${fmt(100 * b.rEmaInBand)} % of [${b.rMin}, ${b.rMax}]`]),
  };
}

function sigmaDriftTable(s: SuiteReport, threshold: number): DisplayTable | undefined {
  const rows = s.diagnostics.sigmaDrift;
  if (rows.length === 0) return undefined;
  const layers = [...new Set(rows.map((r) => r.layer))].sort();
  const variants = s.scores.variants.filter((v) => rows.some((r) => r.variant === v));
  return {
    id: `${slug(s.suite)}-sigma-drift`,
    title: 'Posterior σ median per layer (final; peak)',
    caption: `${VARSHARE_SIGMA_MEDIAN}/<layer>, last logged value (mean over seeds) and its largest value over the run. ⚠ = final ≥ ${threshold} (drifting toward ~1).`,
    headers: ['variant', ...layers],
    rows: variants.map((v) => [
      v,
      ...layers.map((l) => {
        const r = rows.find((x) => x.variant === v && x.layer === l);
        return r ? `${r.flagged ? '⚠ ' : ''}${fmt(r.final)} (${fmt(r.peak)})` : '–';
      }),
    ]),
  };
}

function priorTable(s: SuiteReport, granularity: 'task' | 'layer'): DisplayTable | undefined {
  const rows = s.diagnostics.priorSigma.filter((p) => p.granularity === granularity);
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-prior-${granularity}`,
    title: granularity === 'task' ? 'σ_prior per task (Exp4) against |μ| and performance' : 'σ_prior per layer (Exp5) against |μ|',
    caption: 'Means over seeds of first and last logged values. State: tasks rose/fell/flat; layers collapse (< 1/10 of start), explosion (> 10×) or ok.',
    headers: ['variant', granularity, 'σ_prior initial', 'σ_prior final', '|μ| median final', ...(granularity === 'task' ? ['final return'] : []), 'state'],
    rows: rows.map((r) => [r.variant, r.name, fmt(r.sigmaPriorInitial), fmt(r.sigmaPriorFinal), fmt(r.muAbsFinal), ...(granularity === 'task' ? [fmt(r.finalReturn)] : []), r.state]),
  };
}

function correlationTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.correlations;
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-correlations`,
    title: 'Correlations (Spearman ρ across tasks or layers)',
    caption: 'Rank correlation of final values (means over seeds); NaN when a side is constant. Few points → indicative only.',
    headers: ['variant', 'over', 'x', 'y', 'n', 'ρ'],
    rows: rows.map((c) => [c.variant, `${c.granularity}s`, c.x, c.y, String(c.n), fmt(c.spearman)]),
  };
}

function pressureTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.pressure.pressure;
  if (rows.length === 0) return undefined;
  const groups = (['theta', 'mu', 'rho', 'prior'] as const).filter((g) => rows.some((r) => r.group === g));
  const variants = s.scores.variants.filter((v) => rows.some((r) => r.variant === v));
  return {
    id: `${slug(s.suite)}-kl-pressure`,
    title: 'KL pressure: gradient per parameter from the KL term and from PPO',
    caption:
      `${GRAD_KL_RMS}/<group> and ${GRAD_PPO_RMS}/<group> (L2 norm ÷ √count, mean over minibatch steps, updates and seeds); in brackets the ratio of the norms. ` +
      'θ takes no KL gradient; a learned σ_prior takes no PPO gradient. Compare with the optimizer ε in the next table: below ε, Adam damps a gradient like SGD.',
    headers: ['variant', ...groups.map((g) => `${g}: KL / PPO per param (ratio)`)],
    rows: variants.map((v) => [
      v,
      ...groups.map((g) => {
        const r = rows.find((x) => x.variant === v && x.group === g);
        return r ? `${fmt(r.klRms)} / ${fmt(r.ppoRms)} (${fmt(r.klToPpo)})` : '–';
      }),
    ]),
  };
}

function inertnessTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.pressure.inertness;
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-kl-inert`,
    title: 'Did the KL act? σ movement against the KL gradient and the optimizer ε',
    caption:
      'σ moved: largest |final/initial − 1| of a layer\'s median σ (mean over seeds). INERT = σ moved < 5 % in every layer while the KL\'s gradient per ρ was below ε or < 1 % of PPO\'s. ' +
      '|Δρ| per step: step/rho_abs_median; ρ\'s peak lr bounds it (Adam moves a parameter by ≲ lr per step).',
    headers: ['variant', 'σ moved (layer)', 'KL grad per ρ', 'PPO grad per ρ', 'posterior ε', '|Δρ| per step', 'ρ peak lr', 'verdict'],
    rows: rows.map((r) => [
      r.variant,
      `${fmt(100 * r.sigmaMove)} % (${r.sigmaMoveLayer})`,
      fmt(r.rhoKlRms),
      fmt(r.rhoPpoRms),
      fmt(r.eps),
      fmt(r.rhoStep),
      fmt(r.rhoLr),
      r.inert ? 'INERT' : 'acts',
    ]),
  };
}

function directionTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.pressure.direction;
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-beta-direction`,
    title: 'Which way does more β move σ? (variants whose β changes)',
    caption:
      '∂KL/∂σ = σ/σ_p² − 1/σ is negative while σ < σ_p: there more β pushes σ up, toward σ_p. σ below σ_prior: share of (update, layer) points over all seeds. ' +
      'σ ÷ baseline: final layer median σ over the paired baseline seed\'s, geometric mean over layers and seeds.',
    headers: ['variant', 'β initial → final', 'σ below σ_prior', 'more β pushes σ', 'σ ÷ baseline (pairs)'],
    rows: rows.map((r) => [
      r.variant,
      `${fmt(r.betaInitial)} → ${fmt(r.betaFinal)}`,
      `${fmt(100 * r.sigmaBelowPrior)} %`,
      r.klSlope === 'negative' ? 'up' : r.klSlope === 'positive' ? 'down' : 'up below σ_p, down above',
      Number.isNaN(r.sigmaVsBaseline) ? '–' : `${fmt(r.sigmaVsBaseline)} (${r.pairs})`,
    ]),
  };
}

function priorScaleTable(s: SuiteReport): DisplayTable | undefined {
  const rows = s.diagnostics.pressure.priorScale;
  if (rows.length === 0) return undefined;
  return {
    id: `${slug(s.suite)}-prior-scale`,
    title: 'The prior against the weight scale: σ_prior ÷ median |μ|',
    caption: 'Final σ_prior over the final median |μ| of the same layer (global and learned priors) or task (Exp4), means over seeds. ≫ 1: either a loose prior (its pull β·μ/σ_p² vanishes) or one that has already pulled μ far below it — the last column (final |μ| over the paired baseline\'s, geometric mean) tells which.',
    headers: ['variant', 'over', 'min', 'median', 'max', '|μ| ÷ baseline'],
    rows: rows.map((r) => [r.variant, `${r.n} ${r.granularity === 'global' ? 'layers' : `${r.granularity}s`}`, fmt(r.ratioMin), fmt(r.ratioMedian), fmt(r.ratioMax), fmt(r.muVsBaseline)]),
  };
}

function finalsTable(s: SuiteReport): DisplayTable | undefined {
  const wanted = [VARSHARE_KL_TOTAL, VARSHARE_RATIO_R, CONTROLLER_BETA, PRIOR_SIGMA, PRIOR_HYPER_PENALTY];
  const rows = s.diagnostics.finals.filter((f) => wanted.includes(f.key));
  if (rows.length === 0) return undefined;
  const keys = wanted.filter((k) => rows.some((r) => r.key === k));
  const variants = s.scores.variants.filter((v) => rows.some((r) => r.variant === v));
  return {
    id: `${slug(s.suite)}-diagnostic-finals`,
    title: 'Final values of global diagnostics',
    caption: 'Last logged value, mean over seeds (all keys and per-task/per-layer values are in diagnostic_final.csv).',
    headers: ['variant', ...keys],
    rows: variants.map((v) => [v, ...keys.map((k) => { const r = rows.find((x) => x.variant === v && x.key === k); return r ? fmt(r.mean) : '–'; })]),
  };
}

/** Display tables of one suite, in report order. */
export function suiteDisplayTables(s: SuiteReport, sigmaDriftThreshold: number): DisplayTable[] {
  const sc = s.scores;
  const compared: ScoreKey[] = [sc.headline, ...(sc.scores.includes('success') ? (['success'] as const) : [])];
  const other: ScoreKey = sc.headline === 'return' ? 'return_norm' : 'return';
  const tables: (DisplayTable | undefined)[] = [
    ...compared.map((k) => finalTable(s, k)),
    finalTable(s, other),
    ...compared.map((k) => improvementTable(s, k)),
    perTaskTable(s, sc.headline),
    ...(sc.scores.includes('success') ? [perTaskTable(s, 'success')] : []),
    actingTable(s),
    betaTable(s),
    sigmaDriftTable(s, sigmaDriftThreshold),
    inertnessTable(s),
    pressureTable(s),
    directionTable(s),
    priorScaleTable(s),
    priorTable(s, 'task'),
    priorTable(s, 'layer'),
    correlationTable(s),
    finalsTable(s),
  ];
  return tables.filter((t): t is DisplayTable => t !== undefined);
}

/** Runs left out of the report. */
export function skippedTable(report: Report): DisplayTable {
  return {
    id: 'skipped-runs',
    title: 'Runs left out',
    caption: 'Incomplete, failed, corrupt or duplicate run directories are listed here and excluded from every statistic.',
    headers: ['run directory', 'reason'],
    rows: report.skipped.map((s) => [s.dir, s.reason]),
  };
}

/**
 * A text cell a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR), prefixed
 * with `'` so it shows as text. Numbers, and text that is just a number such as `-1.5`, stay as they are.
 */
export function neutraliseCsvText(text: string): string {
  if (!/^[=+\-@\t\r]/.test(text)) return text;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return text;
  return `'${text}`;
}

function toCell(v: unknown): unknown {
  if (Array.isArray(v)) return neutraliseCsvText(v.join(' '));
  return typeof v === 'string' ? neutraliseCsvText(v) : v;
}

function csvOf(rows: readonly object[], columns?: readonly string[]): string {
  const cleaned = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toCell(v)])));
  if (cleaned.length === 0) return `${(columns ?? []).join(',')}\n`;
  return `${from(cleaned).toCSV()}\n`;
}

/** Every CSV file of the report: name → content. */
export function csvFiles(report: Report, tables: RunTables): Map<string, string> {
  const all = <T>(f: (s: SuiteReport) => readonly T[]): T[] => report.suites.flatMap((s) => [...f(s)]);
  const files = new Map<string, string>();
  files.set('final_performance.csv', csvOf(all((s) => s.scores.aggregates)));
  files.set('per_task.csv', csvOf(all((s) => s.scores.perTask)));
  files.set('probability_of_improvement.csv', csvOf(all((s) => s.scores.improvement), ['suite', 'variant', 'baseline', 'score', 'paired', 'seeds', 'point', 'lo', 'hi']));
  files.set('paired_deltas.csv', csvOf(all((s) => s.scores.deltas), ['suite', 'variant', 'baseline', 'score', 'seed', 'variantScore', 'baselineScore', 'delta']));
  files.set('paired_delta_summary.csv', csvOf(all((s) => s.scores.deltaSummary), ['suite', 'variant', 'baseline', 'score', 'pairs', 'meanDelta', 'lo', 'hi', 'onlyInVariant', 'onlyInBaseline']));
  files.set('performance_profiles.csv', csvOf(all((s) => s.scores.profiles), ['suite', 'variant', 'score', 'tau', 'point', 'lo', 'hi']));
  files.set('sample_efficiency.csv', csvOf(all((s) => s.scores.curves), ['suite', 'variant', 'score', 'env_steps', 'point', 'lo', 'hi', 'seeds']));
  files.set('acting_mode.csv', csvOf(all((s) => s.actingModes)));
  files.set('comparability.csv', csvOf(all((s) => s.comparability), ['suite', 'kind', 'path', 'category', 'message']));
  files.set('beta_controller.csv', csvOf(all((s) => s.diagnostics.beta), ['suite', 'variant']));
  files.set('trigger_events.csv', csvOf(all((s) => s.diagnostics.triggers), ['suite', 'variant', 'seed', 'update', 'env_steps', 'direction', 'beta']));
  files.set('sigma_drift.csv', csvOf(all((s) => s.diagnostics.sigmaDrift), ['suite', 'variant', 'layer', 'initial', 'final', 'peak', 'flagged']));
  files.set('prior_sigma.csv', csvOf(all((s) => s.diagnostics.priorSigma), ['suite', 'variant', 'granularity', 'name', 'sigmaPriorInitial', 'sigmaPriorFinal', 'muAbsFinal', 'finalReturn', 'state']));
  files.set('kl_pressure.csv', csvOf(all((s) => s.diagnostics.pressure.pressure), ['suite', 'variant', 'group', 'klRms', 'ppoRms', 'klNorm', 'ppoNorm', 'klToPpo']));
  files.set('kl_inertness.csv', csvOf(all((s) => s.diagnostics.pressure.inertness), ['suite', 'variant', 'seeds', 'sigmaMove', 'sigmaMoveLayer', 'rhoKlRms', 'rhoPpoRms', 'eps', 'rhoStep', 'rhoLr', 'inert', 'reason']));
  files.set('beta_direction.csv', csvOf(all((s) => s.diagnostics.pressure.direction), ['suite', 'variant', 'betaInitial', 'betaFinal', 'sigmaBelowPrior', 'klSlope', 'sigmaVsBaseline', 'pairs']));
  files.set('prior_scale.csv', csvOf(all((s) => s.diagnostics.pressure.priorScale), ['suite', 'variant', 'granularity', 'ratioMin', 'ratioMedian', 'ratioMax', 'n', 'muVsBaseline']));
  files.set('correlations.csv', csvOf(all((s) => s.diagnostics.correlations), ['suite', 'variant', 'granularity', 'x', 'y', 'n', 'spearman']));
  files.set('diagnostic_series.csv', csvOf(all((s) => s.diagnostics.series), ['suite', 'variant', 'key', 'base', 'qualifier', 'kind', 'env_steps', 'mean', 'min', 'max', 'seeds']));
  files.set('diagnostic_final.csv', csvOf(all((s) => s.diagnostics.finals), ['suite', 'variant', 'key', 'mean', 'min', 'max', 'seeds']));
  files.set('runs.csv', csvOf(tables.runs.objects(), tables.runs.columnNames()));
  files.set('final_scores.csv', csvOf(tables.finalScores.objects(), tables.finalScores.columnNames()));
  files.set('skipped_runs.csv', csvOf(report.skipped, ['dir', 'reason']));
  return files;
}
