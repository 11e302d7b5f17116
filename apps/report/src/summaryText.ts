/**
 * The plain-language findings at the top of the report, generated from the numbers with honest
 * hedging: overlapping CIs are called unresolved, a P(improvement) whose CI contains ½ is called
 * indistinguishable from a coin flip, and fewer than 5 seeds per variant is flagged as too few for
 * the bootstrap to show the real uncertainty.
 */
import type { ReportOptions } from './config';
import type { AggregateRow, ScoreKey, SuiteScores } from './analyseScores';
import type { SuiteDiagnostics } from './analyseDiagnostics';
import type { ComparabilityWarning } from './checkComparability';
import { fmt, fmtCI, fmtSet, fmtSigned } from './format';
import { INERT_SIGMA_MOVE } from './analysePressure';

/** Fewer seeds per variant than this gets the "few seeds" caveat (rliable recommends ≥ 5–10 runs). */
export const FEW_SEEDS = 5;

const SCORE_WORDS: Readonly<Record<ScoreKey, string>> = { return: 'final return', return_norm: 'normalised final return', success: 'final success rate' };

/** Two CIs overlap (closed intervals). */
export function overlaps(a: { readonly lo: number; readonly hi: number }, b: { readonly lo: number; readonly hi: number }): boolean {
  return a.lo <= b.hi && b.lo <= a.hi;
}

/** The fields of a suite report the summary needs. */
export interface SuiteSummaryInput {
  readonly suite: string;
  readonly scores: SuiteScores;
  readonly diagnostics: SuiteDiagnostics;
  readonly comparability: readonly ComparabilityWarning[];
}

/** Findings for one suite, in reading order. */
export function suiteSummary(s: SuiteSummaryInput, options: Pick<ReportOptions, 'baseline' | 'sigmaDriftThreshold'>): string[] {
  const lines: string[] = [];
  const sc = s.scores;
  const seedCounts = sc.variants.map((v) => sc.seeds[v]?.length ?? 0);
  const minSeeds = Math.min(...seedCounts);
  lines.push(
    `${s.suite}: ${sc.variants.length} variant${sc.variants.length === 1 ? '' : 's'} (${sc.variants.join(', ')}), ${sc.tasks.length} tasks, ` +
      `seeds per variant ${sc.variants.map((v) => `${v} ${fmtSet(sc.seeds[v] ?? [])}`).join('; ')}.`,
  );
  if (sc.droppedTasks.length > 0) lines.push(`Tasks not evaluated by every run were left out of the statistics: ${sc.droppedTasks.join(', ')}.`);

  const iqmRows = sc.aggregates.filter((a) => a.score === sc.headline && a.statistic === 'iqm' && !Number.isNaN(a.point));
  const ranked = [...iqmRows].sort((a, b) => b.point - a.point);
  const best = ranked[0];
  const baseRow = iqmRows.find((a) => a.variant === options.baseline);
  const atTop = best === undefined ? [] : ranked.filter((r) => r.point === best.point);
  if (best !== undefined && atTop.length > 1) {
    // A tie on the point estimate (e.g. every variant at the 500-step cap) has no "highest".
    lines.push(`${atTop.length === ranked.length ? 'All variants' : atTop.map((r) => r.variant).join(', ')} tie at IQM ${SCORE_WORDS[sc.headline]} ${fmt(best.point)}${atTop.length < ranked.length ? `; the others: ${ranked.filter((r) => r.point !== best.point).map((r) => `${r.variant} ${fmtCI(r)}`).join(', ')}` : ''}.`);
  } else if (best !== undefined) {
    let text = `${best.variant} has the highest IQM ${SCORE_WORDS[sc.headline]}: ${fmtCI(best)} (95 % CI)`;
    const runnerUp = ranked[1];
    if (runnerUp !== undefined) {
      const tied = ranked.slice(1).filter((r: AggregateRow) => overlaps(r, best)).map((r) => r.variant);
      text += tied.length > 0 ? `, but its CI overlaps ${tied.join(', ')}, so the ranking among them is not resolved` : `, and its CI clears every other variant's`;
    }
    if (baseRow !== undefined && best.variant !== options.baseline) text += `; ${options.baseline}: ${fmtCI(baseRow)}`;
    lines.push(`${text}.`);
  }
  if (baseRow === undefined) lines.push(`No ${options.baseline} runs in this suite, so there is no probability of improvement or paired delta.`);

  for (const imp of sc.improvement.filter((i) => i.score === sc.headline)) {
    const delta = sc.deltaSummary.find((d) => d.variant === imp.variant && d.score === imp.score);
    const coin = imp.lo <= 0.5 && imp.hi >= 0.5;
    const verdict = coin ? 'not distinguishable from a coin flip' : imp.point > 0.5 ? `${imp.variant} tends to beat ${imp.baseline}` : `${imp.variant} tends to lose to ${imp.baseline}`;
    const over = imp.paired ? `over ${imp.seeds.length} paired seed${imp.seeds.length === 1 ? '' : 's'}` : 'over independent runs (no shared seeds)';
    const d = delta !== undefined && delta.pairs > 0 ? `; mean paired delta ${fmtSigned(delta.meanDelta)} [${fmtSigned(delta.lo)}, ${fmtSigned(delta.hi)}]` : '';
    lines.push(`P(${imp.variant} > ${imp.baseline}) = ${fmt(imp.point)} [${fmt(imp.lo)}, ${fmt(imp.hi)}] ${over} — ${verdict}${d}.`);
  }
  if (minSeeds < FEW_SEEDS) {
    lines.push(
      `Caution: as few as ${minSeeds} seed${minSeeds === 1 ? '' : 's'} per variant. Bootstrap intervals over so few seeds understate the real uncertainty; read every difference above as a hint, not a result.`,
    );
  }

  const d = s.diagnostics;
  const drift = d.sigmaDrift.filter((r) => r.flagged);
  const driftVariants = [...new Set(drift.map((r) => r.variant))];
  if (driftVariants.length > 0) {
    for (const v of driftVariants) {
      const layers = drift.filter((r) => r.variant === v);
      lines.push(
        `${v}: posterior σ median ended ≥ ${options.sigmaDriftThreshold} in ${layers.length} layer${layers.length === 1 ? '' : 's'} (${layers.map((l) => `${l.layer} ${fmt(l.final)}`).join(', ')}) — the spec's σ drift toward ~1 (noisy sampled rollouts).`,
      );
    }
  } else if (d.sigmaDrift.length > 0) {
    const peak = Math.max(...d.sigmaDrift.map((r) => r.final));
    lines.push(`No variant's posterior σ median drifted toward ~1 (largest final layer median ${fmt(peak)} < ${options.sigmaDriftThreshold}).`);
  }
  for (const b of d.beta) {
    if (Number.isNaN(b.rEmaInBand)) {
      if (b.betaMax > b.betaMin) lines.push(`${b.variant}: β went from ${fmt(b.betaInitial)} to ${fmt(b.betaFinal)} (range ${fmt(b.betaMin)}–${fmt(b.betaMax)}).`);
      continue;
    }
    lines.push(
      `${b.variant}: β ${fmt(b.betaInitial)} → ${fmt(b.betaFinal)} with ${fmt(b.triggerUp)} up / ${fmt(b.triggerDown)} down triggers per seed on average; ` +
        `R_ema was inside [${b.rMin}, ${b.rMax}] for ${fmt(100 * b.rEmaInBand)} % of updates (final R_ema ${fmt(b.rEmaFinal)}).`,
    );
  }
  for (const v of [...new Set(d.priorSigma.map((p) => p.variant))]) {
    for (const granularity of ['task', 'layer'] as const) {
      const rows = d.priorSigma.filter((p) => p.variant === v && p.granularity === granularity);
      if (rows.length === 0) continue;
      const finals = rows.map((r) => r.sigmaPriorFinal);
      const corr = d.correlations.filter((c) => c.variant === v && c.granularity === granularity);
      const corrText = corr.map((c) => `Spearman(${c.x}, ${c.y}) = ${fmt(c.spearman)} over ${c.n} ${granularity}s`).join('; ');
      let text = `${v}: final σ_prior per ${granularity} spans ${fmt(Math.min(...finals))}–${fmt(Math.max(...finals))}`;
      if (granularity === 'task') {
        const rose = rows.filter((r) => r.state === 'rose').length;
        text += `; it rose for ${rose}/${rows.length} tasks${rose === rows.length && rows.length > 1 ? ' — all at once, which the spec reads as bounds too loose or a biased signal' : ''}`;
      } else {
        const collapse = rows.filter((r) => r.state === 'collapse').map((r) => r.name);
        const explode = rows.filter((r) => r.state === 'explosion').map((r) => r.name);
        if (collapse.length > 0) text += `; collapsing (< 1/10 of its start): ${collapse.join(', ')}`;
        if (explode.length > 0) text += `; exploding (> 10× its start): ${explode.join(', ')}`;
        if (collapse.length === 0 && explode.length === 0) text += '; no layer collapsed or exploded';
      }
      lines.push(`${text}${corrText ? `. ${corrText}` : ''}${rows.length < 5 ? ' (few points: a rank correlation is only indicative)' : ''}.`);
    }
  }
  lines.push(...pressureSummary(d));
  if (s.comparability.length > 0) {
    const cats = [...new Set(s.comparability.map((w) => w.category))];
    lines.push(`Comparability: ${s.comparability.length} warning${s.comparability.length === 1 ? '' : 's'} (${cats.join(', ')}) — runs differ in more than their variant's own toggles; see the comparability section.`);
  } else {
    lines.push('Comparability: all runs share budget, suite config, acting mode, code version and seed sets; they differ only in their variant toggles.');
  }
  return lines;
}

/**
 * Whether each variant's KL could act (the check that catches an inert KL), which way β moved σ
 * where β changed, and the prior against the weight scale.
 */
export function pressureSummary(d: SuiteDiagnostics): string[] {
  const lines: string[] = [];
  const p = d.pressure;
  const inert = p.inertness.filter((i) => i.inert);
  for (const i of inert) {
    lines.push(
      `${i.variant}: the KL was INERT — ${i.reason}. Its β and σ_prior could not act through σ; differences from other variants in this run are not caused by the KL.`,
    );
  }
  const active = p.inertness.filter((i) => !i.inert);
  if (active.length > 0) {
    lines.push(
      `The KL moved σ in ${active.map((i) => `${i.variant} (σ up to ${fmtSigned(100 * i.sigmaMove)} % in ${i.sigmaMoveLayer}; KL/PPO gradient per ρ ${fmt(i.rhoKlRms / i.rhoPpoRms)})`).join(', ')}` +
        ` — at least ${100 * INERT_SIGMA_MOVE} % in some layer, with the KL's gradient on ρ above the optimizer's ε.`,
    );
  }
  for (const r of p.direction) {
    const where =
      r.klSlope === 'negative'
        ? `σ sat below σ_prior in every layer and update, where ∂KL/∂σ = σ/σ_p² − 1/σ < 0: more β pushes σ UP`
        : r.klSlope === 'positive'
          ? `σ sat above σ_prior in every layer and update, where ∂KL/∂σ > 0: more β pushes σ down`
          : `σ was below σ_prior in ${fmt(100 * r.sigmaBelowPrior)} % of layer-updates (there more β pushes σ up; above σ_prior, down)`;
    const vs = Number.isNaN(r.sigmaVsBaseline) ? '' : `; final σ median is ${fmt(r.sigmaVsBaseline)}× the baseline's (geometric mean over layers, ${r.pairs} paired seed${r.pairs === 1 ? '' : 's'})`;
    lines.push(`${r.variant}: β ${fmt(r.betaInitial)} → ${fmt(r.betaFinal)}; ${where}${vs}.`);
  }
  for (const r of p.priorScale) {
    const over = r.granularity === 'global' ? 'layers' : `${r.granularity}s`;
    const pulled = r.muVsBaseline < 0.5;
    const verdict = pulled
      ? `median |μ| is ${fmt(r.muVsBaseline)}× the baseline's: the prior pulled μ down${r.ratioMedian > 10 ? ' (hence the large ratio)' : ''}`
      : r.ratioMedian > 10
        ? `far above the weights: its pull on μ, β·μ/σ_p², is negligible${Number.isNaN(r.muVsBaseline) ? '' : ` (median |μ| ${fmt(r.muVsBaseline)}× the baseline's)`}`
        : `near the weight scale${Number.isNaN(r.muVsBaseline) ? '' : ` (median |μ| ${fmt(r.muVsBaseline)}× the baseline's)`}`;
    lines.push(`${r.variant}: σ_prior ÷ median |μ| = ${fmt(r.ratioMedian)} (range ${fmt(r.ratioMin)}–${fmt(r.ratioMax)} over ${r.n} ${over}) — ${verdict}.`);
  }
  return lines;
}
