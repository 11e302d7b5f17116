/**
 * Whether each variant's KL and prior could act, and which way: the KL-pressure keys
 * (`grad/{kl,ppo}_{norm,rms}/<group>`, `step/rho_abs_median`) against the optimizer's ε, how far σ
 * moved, the sign of ∂KL/∂σ where σ sat relative to σ_prior (what raising β does to σ), and the
 * prior against the weight scale (σ_prior ÷ median |μ|). Numbers only; the wording is in
 * summaryText.ts.
 */
import {
  CONTROLLER_BETA,
  PRIOR_SIGMA,
  STEP_RHO_ABS_MEDIAN,
  VARSHARE_SIGMA_MEDIAN,
  gradKlNorm,
  gradKlRms,
  gradPpoNorm,
  gradPpoRms,
  priorSigmaLayer,
  priorSigmaTask,
  varshareMuAbsMedianLayer,
  type GradGroup,
} from '@varshare/base';
import { mean, quantile } from '@varshare/metrics';
import type { LoadedRun } from './loadRuns';
import { firstLast } from './analyseDiagnostics';

/** σ moving less than this fraction (in every layer) over a run counts as "did not move". */
export const INERT_SIGMA_MOVE = 0.05;
/** A KL gradient below this fraction of PPO's (per ρ, RMS) counts as negligible next to PPO. */
export const INERT_KL_TO_PPO = 0.01;

const GROUPS: readonly GradGroup[] = ['theta', 'mu', 'rho', 'prior'];

/** Mean over a run's updates, then over seeds, of one KL-pressure key per parameter group. */
export interface PressureRow {
  readonly suite: string;
  readonly variant: string;
  readonly group: GradGroup;
  /** RMS per parameter of the KL (+ hyperprior) term's gradient. */
  readonly klRms: number;
  /** RMS per parameter of the PPO loss's gradient. */
  readonly ppoRms: number;
  readonly klNorm: number;
  readonly ppoNorm: number;
  /** klNorm ÷ ppoNorm (NaN without a PPO gradient, e.g. a learned prior). */
  readonly klToPpo: number;
}

/** Could the KL move σ at all? One row per variant (means over seeds). */
export interface InertnessRow {
  readonly suite: string;
  readonly variant: string;
  readonly seeds: number;
  /** Largest |σ_final/σ_initial − 1| over the layers (per run), mean over seeds. */
  readonly sigmaMove: number;
  /** Layer with that largest move (first seed's). */
  readonly sigmaMoveLayer: string;
  readonly rhoKlRms: number;
  readonly rhoPpoRms: number;
  /** Adam ε of the posterior group (config `optimizer.posteriorAdamEps`, else `ppo.adamEps`; NaN if unknown). */
  readonly eps: number;
  /** Median |Δρ| per optimizer step, mean over the run. */
  readonly rhoStep: number;
  /** Peak learning rate of ρ (lr × posteriorLrScale × rhoLrScale; NaN if unknown): Adam's step bound. */
  readonly rhoLr: number;
  /** σ moved < 5 % while the KL's gradient on ρ was below ε or < 1 % of PPO's. */
  readonly inert: boolean;
  /** Why (or why not), in words. */
  readonly reason: string;
}

/** For variants whose β changes: which way more β pushes σ, given where σ sat relative to σ_prior. */
export interface DirectionRow {
  readonly suite: string;
  readonly variant: string;
  readonly betaInitial: number;
  readonly betaFinal: number;
  /** Share of (update, layer) points, all seeds, where the layer's median σ was below its σ_prior. */
  readonly sigmaBelowPrior: number;
  /** Sign of ∂KL/∂σ = σ/σ_p² − 1/σ over the run: `negative` (σ < σ_p: more β pushes σ up), `positive` or `mixed`. */
  readonly klSlope: 'negative' | 'positive' | 'mixed';
  /** Final σ median ÷ the baseline's, geometric mean over layers and paired seeds (NaN without baseline pairs). */
  readonly sigmaVsBaseline: number;
  readonly pairs: number;
}

/** σ_prior against the weight scale it regularises. */
export interface PriorScaleRow {
  readonly suite: string;
  readonly variant: string;
  /** `global` (one σ_prior, ratio per layer), `task` (exp4) or `layer` (exp5). */
  readonly granularity: 'global' | 'task' | 'layer';
  /** Final σ_prior ÷ final median |μ| of the same layer/task: min, median, max over layers/tasks (means over seeds). */
  readonly ratioMin: number;
  readonly ratioMedian: number;
  readonly ratioMax: number;
  readonly n: number;
  /**
   * Final median |μ| over the paired baseline seed's, geometric mean over the same layers/tasks: a
   * large σ_prior ÷ |μ| can mean a loose prior (≈ 1 here) or a prior that already pulled μ down (≪ 1).
   * NaN without baseline pairs (and for the baseline itself).
   */
  readonly muVsBaseline: number;
}

/** All KL-pressure analyses of one suite. */
export interface PressureAnalysis {
  readonly pressure: readonly PressureRow[];
  readonly inertness: readonly InertnessRow[];
  readonly direction: readonly DirectionRow[];
  readonly priorScale: readonly PriorScaleRow[];
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/** Mean of a key over a run's metric rows (NaN when never logged). */
function runMean(run: LoadedRun, key: string): number {
  const xs: number[] = [];
  for (const rec of run.data.metrics) {
    const v = rec[key];
    if (v !== undefined && Number.isFinite(v)) xs.push(v);
  }
  return xs.length > 0 ? mean(xs) : Number.NaN;
}

const seedMean = (runs: readonly LoadedRun[], f: (r: LoadedRun) => number): number => {
  const xs = runs.map(f).filter((x) => !Number.isNaN(x));
  return xs.length > 0 ? mean(xs) : Number.NaN;
};

const LAYER_SIGMA = `${VARSHARE_SIGMA_MEDIAN}/`;

/** Layer names of a run: the qualifiers of `varshare/sigma_median/<layer>` that look like `actor.0`. */
function layersOf(run: LoadedRun): string[] {
  return Object.keys(run.data.metrics.at(-1) ?? {})
    .filter((k) => k.startsWith(LAYER_SIGMA) && /^[A-Za-z_][\w-]*\.\d+$/.test(k.slice(LAYER_SIGMA.length)))
    .map((k) => k.slice(LAYER_SIGMA.length))
    .sort();
}

/** σ_prior in force for a layer in one metrics row: global, the layer's learned value, or the median over tasks (exp4). */
function priorFor(rec: Readonly<Record<string, number>>, layer: string, tasks: readonly string[]): number {
  const global = rec[PRIOR_SIGMA];
  if (global !== undefined) return global;
  const own = rec[priorSigmaLayer(layer)];
  if (own !== undefined) return own;
  const perTask = tasks.map((t) => rec[priorSigmaTask(t)]).filter((x): x is number => x !== undefined);
  // The report's median (type-7 quantile 0.5, as aggregateMedian) keeps its numbers the recorded ones.
  return perTask.length > 0 ? quantile(perTask, 0.5) : Number.NaN;
}

function inertness(suite: string, variant: string, runs: readonly LoadedRun[]): InertnessRow | undefined {
  const withPressure = runs.filter((r) => r.data.metrics.some((m) => m[gradKlRms('rho')] !== undefined));
  if (withPressure.length === 0) return undefined;
  let sigmaMoveLayer = '';
  const moves = withPressure.map((r) => {
    let worst = Number.NaN;
    for (const layer of layersOf(r)) {
      const { first, last } = firstLast(r, `${LAYER_SIGMA}${layer}`);
      const move = Math.abs(last / first - 1);
      if (Number.isNaN(worst) || move > worst) {
        worst = move;
        if (r === withPressure[0]) sigmaMoveLayer = layer;
      }
    }
    return worst;
  });
  const sigmaMove = mean(moves.filter((x) => !Number.isNaN(x)));
  const rhoKlRms = seedMean(withPressure, (r) => runMean(r, gradKlRms('rho')));
  const rhoPpoRms = seedMean(withPressure, (r) => runMean(r, gradPpoRms('rho')));
  const config = withPressure[0]?.data.config;
  const eps = numberAt(config, 'optimizer', 'posteriorAdamEps') ?? numberAt(config, 'ppo', 'adamEps') ?? Number.NaN;
  const lr = numberAt(config, 'ppo', 'learningRate');
  const rhoLr = lr === undefined ? Number.NaN : lr * (numberAt(config, 'optimizer', 'posteriorLrScale') ?? 1) * (numberAt(config, 'optimizer', 'rhoLrScale') ?? 1);
  const rhoStep = seedMean(withPressure, (r) => runMean(r, STEP_RHO_ABS_MEDIAN));
  const belowEps = rhoKlRms < eps;
  const negligible = rhoKlRms < INERT_KL_TO_PPO * rhoPpoRms;
  const still = sigmaMove < INERT_SIGMA_MOVE;
  const inert = still && (belowEps || negligible);
  const pct = (x: number) => `${(100 * x).toPrecision(2)} %`;
  const why = [
    `median σ moved at most ${pct(sigmaMove)} in any layer (${sigmaMoveLayer})`,
    `the KL's gradient per ρ was ${rhoKlRms.toPrecision(2)} (${belowEps ? 'below' : 'above'} Adam's ε = ${eps}; ${pct(rhoKlRms / rhoPpoRms)} of PPO's ${rhoPpoRms.toPrecision(2)})`,
    `ρ stepped ${rhoStep.toPrecision(2)} per step (median)${Number.isNaN(rhoLr) ? '' : `, ${pct(rhoStep / rhoLr)} of its peak lr ${rhoLr.toPrecision(2)}`}`,
  ].join('; ');
  return { suite, variant, seeds: withPressure.length, sigmaMove, sigmaMoveLayer, rhoKlRms, rhoPpoRms, eps, rhoStep, rhoLr, inert, reason: why };
}

function direction(suite: string, variant: string, runs: readonly LoadedRun[], baseline: readonly LoadedRun[], tasks: readonly string[]): DirectionRow | undefined {
  const betas = runs.flatMap((r) => r.data.metrics.map((m) => m[CONTROLLER_BETA]).filter((x): x is number => x !== undefined));
  if (betas.length === 0 || Math.min(...betas) === Math.max(...betas)) return undefined;
  let below = 0;
  let total = 0;
  for (const r of runs) {
    const layers = layersOf(r);
    for (const rec of r.data.metrics) {
      for (const layer of layers) {
        const s = rec[`${LAYER_SIGMA}${layer}`];
        const sp = priorFor(rec, layer, tasks);
        if (s === undefined || Number.isNaN(sp)) continue;
        total += 1;
        if (s < sp) below += 1;
      }
    }
  }
  const share = total > 0 ? below / total : Number.NaN;
  const logRatios: number[] = [];
  let pairs = 0;
  for (const r of runs) {
    const b = baseline.find((x) => x.seed === r.seed);
    if (!b) continue;
    pairs += 1;
    for (const layer of layersOf(r)) {
      const v = firstLast(r, `${LAYER_SIGMA}${layer}`).last;
      const w = firstLast(b, `${LAYER_SIGMA}${layer}`).last;
      if (v > 0 && w > 0) logRatios.push(Math.log(v / w));
    }
  }
  return {
    suite,
    variant,
    betaInitial: seedMean(runs, (r) => firstLast(r, CONTROLLER_BETA).first),
    betaFinal: seedMean(runs, (r) => firstLast(r, CONTROLLER_BETA).last),
    sigmaBelowPrior: share,
    klSlope: share === 1 ? 'negative' : share === 0 ? 'positive' : 'mixed',
    sigmaVsBaseline: logRatios.length > 0 ? Math.exp(mean(logRatios)) : Number.NaN,
    pairs,
  };
}

function priorScale(suite: string, variant: string, runs: readonly LoadedRun[], baseline: readonly LoadedRun[], tasks: readonly string[]): PriorScaleRow[] {
  const out: PriorScaleRow[] = [];
  const muOf = (r: LoadedRun, name: string) => firstLast(r, varshareMuAbsMedianLayer(name)).last;
  const ratioRow = (granularity: PriorScaleRow['granularity'], names: readonly string[], prior: (r: LoadedRun, name: string) => number) => {
    const ratios = names.map((name) => seedMean(runs, (r) => prior(r, name) / muOf(r, name))).filter((x) => Number.isFinite(x));
    if (ratios.length === 0) return;
    const logMu: number[] = [];
    for (const r of runs) {
      const b = baseline.find((x) => x.seed === r.seed);
      if (!b) continue;
      for (const name of names) {
        const q = muOf(r, name) / muOf(b, name);
        if (q > 0 && Number.isFinite(q)) logMu.push(Math.log(q));
      }
    }
    out.push({
      suite,
      variant,
      granularity,
      ratioMin: Math.min(...ratios),
      ratioMedian: quantile(ratios, 0.5),
      ratioMax: Math.max(...ratios),
      n: ratios.length,
      muVsBaseline: logMu.length > 0 ? Math.exp(mean(logMu)) : Number.NaN,
    });
  };
  const first = runs[0];
  if (!first) return out;
  const last: Readonly<Record<string, number>> = first.data.metrics.at(-1) ?? {};
  const layers = layersOf(first);
  if (last[PRIOR_SIGMA] !== undefined) ratioRow('global', layers, (r) => firstLast(r, PRIOR_SIGMA).last);
  const taskPriors = tasks.filter((t) => last[priorSigmaTask(t)] !== undefined);
  if (taskPriors.length > 0) ratioRow('task', taskPriors, (r, t) => firstLast(r, priorSigmaTask(t)).last);
  const layerPriors = layers.filter((l) => last[priorSigmaLayer(l)] !== undefined);
  if (layerPriors.length > 0) ratioRow('layer', layerPriors, (r, l) => firstLast(r, priorSigmaLayer(l)).last);
  return out;
}

/**
 * KL-pressure analyses of ONE suite.
 * @param tasks the suite's task names (to tell exp4's `prior/sigma/<task>` from exp5's `<layer>`)
 * @param baseline name of the control variant (σ ratios are paired against its seeds)
 */
export function analysePressure(suite: string, runs: readonly LoadedRun[], variants: readonly string[], tasks: readonly string[], baseline: string): PressureAnalysis {
  const pressure: PressureRow[] = [];
  const inert: InertnessRow[] = [];
  const dir: DirectionRow[] = [];
  const scale: PriorScaleRow[] = [];
  const baseRuns = runs.filter((r) => r.variant === baseline);
  for (const variant of variants) {
    const vRuns = runs.filter((r) => r.variant === variant);
    for (const group of GROUPS) {
      if (!vRuns.some((r) => r.data.metrics.some((m) => m[gradKlNorm(group)] !== undefined))) continue;
      const klNorm = seedMean(vRuns, (r) => runMean(r, gradKlNorm(group)));
      const ppoNorm = seedMean(vRuns, (r) => runMean(r, gradPpoNorm(group)));
      pressure.push({
        suite,
        variant,
        group,
        klRms: seedMean(vRuns, (r) => runMean(r, gradKlRms(group))),
        ppoRms: seedMean(vRuns, (r) => runMean(r, gradPpoRms(group))),
        klNorm,
        ppoNorm,
        klToPpo: ppoNorm > 0 ? klNorm / ppoNorm : Number.NaN,
      });
    }
    const i = inertness(suite, variant, vRuns);
    if (i) inert.push(i);
    const d = direction(suite, variant, vRuns, variant === baseline ? [] : baseRuns, tasks);
    if (d) dir.push(d);
    scale.push(...priorScale(suite, variant, vRuns, variant === baseline ? [] : baseRuns, tasks));
  }
  return { pressure, inertness: inert, direction: dir, priorScale: scale };
}
