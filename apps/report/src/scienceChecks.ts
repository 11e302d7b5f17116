/**
 * Whether each variant's mechanism acted in one seed's runs — the checks of `npm run science`
 * (issue "make the experiments informative"): σ inflation under the unit prior, exp1's tight prior,
 * exp3's β decisions following their trigger rule, exp4's per-task priors against |μ|, exp5's layer
 * priors separating, and the KL-pressure keys being logged. Every check returns the measured
 * numbers and a pass/fail against its threshold; nothing here runs training.
 */
import {
  CONTROLLER_BETA,
  CONTROLLER_R_EMA,
  DEFAULT_R_BAND,
  DEFAULT_RATIO_K,
  PRIOR_HYPER_PENALTY,
  STEP_RHO_ABS_MEDIAN,
  VARSHARE_SIGMA_MEDIAN,
  gradKlNorm,
  gradKlRms,
  gradPpoNorm,
  priorSigmaLayer,
  priorSigmaTask,
  priorZTask,
  varshareMuAbsMedianTask,
} from '@varshare/base';
import { mean, type MetricRecord, type RunData } from '@varshare/metrics';
import { spearman } from './correlation';

/** One measured check. */
export interface ScienceCheck {
  readonly id: string;
  readonly variant: string;
  /** What is claimed, with its threshold. */
  readonly claim: string;
  /** What was measured, in numbers. */
  readonly measured: string;
  readonly pass: boolean;
}

const LAYER_SIGMA = `${VARSHARE_SIGMA_MEDIAN}/`;
const LAYER_RE = /^[A-Za-z_][\w-]*\.\d+$/;

function layers(run: RunData): string[] {
  return Object.keys(run.metrics.at(-1) ?? {})
    .filter((k) => k.startsWith(LAYER_SIGMA) && LAYER_RE.test(k.slice(LAYER_SIGMA.length)))
    .map((k) => k.slice(LAYER_SIGMA.length))
    .sort();
}

function firstLast(rows: readonly MetricRecord[], key: string): { first: number; last: number } {
  const xs = rows.map((r) => r[key]).filter((x): x is number => x !== undefined);
  return { first: xs[0] ?? Number.NaN, last: xs.at(-1) ?? Number.NaN };
}

const f3 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));

/** Baseline: median σ grows by ≥ `factor` over the run in the layers (σ inflation under the unit prior). */
export function checkSigmaInflation(baseline: RunData, factor = 2): ScienceCheck {
  const growth = layers(baseline).map((l) => {
    const { first, last } = firstLast(baseline.metrics, `${LAYER_SIGMA}${l}`);
    return { l, g: last / first };
  });
  const grown = growth.filter((x) => x.g >= factor);
  return {
    id: 'sigma-inflation',
    variant: 'baseline',
    claim: `median σ grows ≥ ${factor}× over the run in the layers the KL reaches (unit prior: ∂KL/∂σ < 0 below σ_p = 1)`,
    measured: `${grown.length}/${growth.length} layers ≥ ${factor}×: ${growth.map((x) => `${x.l} ×${f3(x.g)}`).join(', ')}`,
    pass: growth.length > 0 && grown.length === growth.length,
  };
}

/** exp1 ends with σ ≤ `fraction` × the baseline's final σ in every layer. */
export function checkTightPrior(exp1: RunData, baseline: RunData, fraction = 0.5): ScienceCheck {
  const rows = layers(exp1).map((l) => {
    const a = firstLast(exp1.metrics, `${LAYER_SIGMA}${l}`).last;
    const b = firstLast(baseline.metrics, `${LAYER_SIGMA}${l}`).last;
    return { l, r: a / b };
  });
  return {
    id: 'tight-prior',
    variant: 'exp1-fixed-prior',
    claim: `final median σ ≤ ${fraction}× the baseline's in every layer`,
    measured: rows.map((x) => `${x.l} ${f3(x.r)}×`).join(', '),
    pass: rows.length > 0 && rows.every((x) => x.r <= fraction),
  };
}

/**
 * exp3: β changes ≥ `minChanges` times, every change at a decision update ((t+1) mod K = 0 for the
 * 0-based update t) in the direction its rule gives (up iff R_ema > R_max, down iff R_ema < R_min,
 * bounded by β_min/β_max), no missed decision, and R_ema crosses into or out of [R_min, R_max].
 * Row t logs the β used by update t and R_ema after it; a decision after update t shows in row t+1.
 */
export function checkRatioController(exp3: RunData, minChanges = 3): ScienceCheck[] {
  const c = (exp3.config as Record<string, unknown>)['controller'] as { beta?: Record<string, unknown> } | undefined;
  const K = Number(c?.beta?.['K'] ?? DEFAULT_RATIO_K);
  const rMin = Number(c?.beta?.['rMin'] ?? DEFAULT_R_BAND.rMin);
  const rMax = Number(c?.beta?.['rMax'] ?? DEFAULT_R_BAND.rMax);
  const betaMin = Number(c?.beta?.['betaMin'] ?? 0);
  const betaMax = Number(c?.beta?.['betaMax'] ?? Number.POSITIVE_INFINITY);
  const rows = exp3.metrics;
  let changes = 0;
  const violations: string[] = [];
  for (let t = 0; t + 1 < rows.length; t++) {
    const b0 = rows[t]?.[CONTROLLER_BETA] as number;
    const b1 = rows[t + 1]?.[CONTROLLER_BETA] as number;
    const r = rows[t]?.[CONTROLLER_R_EMA] as number;
    const decision = (t + 1) % K === 0;
    const want = !decision ? 'none' : r > rMax && b0 < betaMax ? 'up' : r < rMin && b0 > betaMin ? 'down' : 'none';
    const got = b1 > b0 ? 'up' : b1 < b0 ? 'down' : 'none';
    if (got !== 'none') changes += 1;
    if (want !== got) violations.push(`update ${t}: R_ema ${f3(r)} → expected ${want}, β went ${got}`);
  }
  const inBand = rows.map((r) => {
    const x = r[CONTROLLER_R_EMA] as number;
    return x >= rMin && x <= rMax;
  });
  const crossings = inBand.reduce((n, b, i) => (i > 0 && b !== inBand[i - 1] ? n + 1 : n), 0);
  const rEma = rows.map((r) => r[CONTROLLER_R_EMA] as number);
  return [
    {
      id: 'ratio-controller-acts',
      variant: 'exp3-ratio-controller',
      claim: `β changes ≥ ${minChanges} times, each at a decision update (every K = ${K}) in the direction of its trigger rule, none missed`,
      measured: `${changes} changes (β ${f3(rows[0]?.[CONTROLLER_BETA] as number)} → ${f3(rows.at(-1)?.[CONTROLLER_BETA] as number)}); ${violations.length === 0 ? 'every change and non-change follows the rule' : `${violations.length} deviations: ${violations.slice(0, 3).join('; ')}`}`,
      pass: changes >= minChanges && violations.length === 0,
    },
    {
      id: 'ratio-band-crossing',
      variant: 'exp3-ratio-controller',
      claim: `R_ema crosses into or out of [${rMin}, ${rMax}] at least once`,
      measured: `${crossings} crossing${crossings === 1 ? '' : 's'}; R_ema ${f3(rEma[0] as number)} → ${f3(rEma.at(-1) as number)} (min ${f3(Math.min(...rEma))}, max ${f3(Math.max(...rEma))})`,
      pass: crossings >= 1,
    },
  ];
}

/** exp4: the final σ_prior,m differ across tasks; their Spearman correlation with each task's |μ|. */
export function checkLossGapPrior(exp4: RunData, tasks: readonly string[]): ScienceCheck {
  const last: Readonly<Record<string, number>> = exp4.metrics.at(-1) ?? {};
  const sig = tasks.map((t) => last[priorSigmaTask(t)] as number);
  const mu = tasks.map((t) => last[varshareMuAbsMedianTask(t)] as number);
  const lo = Math.min(...sig);
  const hi = Math.max(...sig);
  const metaUpdates = exp4.metrics.filter((r) => r[priorZTask(tasks[0] as string)] !== undefined).length;
  return {
    id: 'loss-gap-prior-differs',
    variant: 'exp4-loss-gap-prior',
    claim: 'σ_prior,m differ across tasks (the report gives their correlation with each task\'s |μ|)',
    measured: `${metaUpdates} meta-updates; final σ_prior,m ${f3(lo)}–${f3(hi)} (max/min ${f3(hi / lo)}); Spearman(σ_prior,m, |μ_m|) = ${f3(spearman(sig, mu))} over ${tasks.length} tasks`,
    pass: Number.isFinite(hi / lo) && hi / lo > 1.01,
  };
}

/** exp5: final σ_prior,layer spread (max − min)/min ≥ `spread`, and the hyperprior penalty logged every update. */
export function checkLearnedPrior(exp5: RunData, spread = 0.1): ScienceCheck {
  const last: Readonly<Record<string, number>> = exp5.metrics.at(-1) ?? {};
  const ls = layers(exp5);
  const sig = ls.map((l) => last[priorSigmaLayer(l)] as number);
  const lo = Math.min(...sig);
  const hi = Math.max(...sig);
  const hyper = exp5.metrics.filter((r) => r[PRIOR_HYPER_PENALTY] !== undefined).length;
  return {
    id: 'learned-prior-separates',
    variant: 'exp5-empirical-bayes',
    claim: `layers reach different σ_prior,layer (spread (max − min)/min ≥ ${100 * spread} %), hyperprior penalty logged`,
    measured: `${ls.map((l, i) => `${l} ${f3(sig[i] as number)}`).join(', ')}; spread ${f3((100 * (hi - lo)) / lo)} %; ${PRIOR_HYPER_PENALTY} in ${hyper}/${exp5.metrics.length} rows (final ${f3(last[PRIOR_HYPER_PENALTY] as number)})`,
    pass: (hi - lo) / lo >= spread && hyper === exp5.metrics.length,
  };
}

/** The KL-pressure keys are in every row of every run's metrics.jsonl. */
export function checkPressureKeys(runs: readonly RunData[]): ScienceCheck {
  const groups = ['theta', 'mu', 'rho'] as const;
  const keys = [...groups.map(gradKlNorm), ...groups.map(gradPpoNorm), STEP_RHO_ABS_MEDIAN];
  const missing: string[] = [];
  for (const r of runs) {
    const rowsWith = r.metrics.filter((m) => keys.every((k) => m[k] !== undefined)).length;
    if (rowsWith !== r.metrics.length) missing.push(`${r.dir}: ${r.metrics.length - rowsWith} rows`);
  }
  const rhoKl = mean(runs.map((r) => mean(r.metrics.map((m) => m[gradKlRms('rho')] as number))));
  return {
    id: 'pressure-keys',
    variant: 'all',
    claim: `KL-pressure keys (${keys.join(', ')}) in every metrics.jsonl row`,
    measured: missing.length === 0 ? `present in all rows of ${runs.length} runs (mean KL gradient per ρ ${f3(rhoKl)})` : `missing: ${missing.join('; ')}`,
    pass: missing.length === 0 && runs.length > 0,
  };
}

/**
 * All checks for one seed's runs, keyed by variant name (the six built-in names). Variants that are
 * absent are skipped.
 */
export function scienceChecks(runs: ReadonlyMap<string, RunData>, tasks: readonly string[]): ScienceCheck[] {
  const out: ScienceCheck[] = [];
  const base = runs.get('baseline');
  const exp1 = runs.get('exp1-fixed-prior');
  const exp3 = runs.get('exp3-ratio-controller');
  const exp4 = runs.get('exp4-loss-gap-prior');
  const exp5 = runs.get('exp5-empirical-bayes');
  if (base) out.push(checkSigmaInflation(base));
  if (base && exp1) out.push(checkTightPrior(exp1, base));
  if (exp3) out.push(...checkRatioController(exp3));
  if (exp4) out.push(checkLossGapPrior(exp4, tasks));
  if (exp5) out.push(checkLearnedPrior(exp5));
  out.push(checkPressureKeys([...runs.values()]));
  return out;
}
