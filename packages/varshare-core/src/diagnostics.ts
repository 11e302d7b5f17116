import { median, noiseToWeightRatio } from '@varshare/base';
import type { SigmaPriorValue } from './gaussianKl';
import type { SigmaPrior } from './sigmaPrior';
import type { VarShareMLP } from './varShareMlp';

/** Posterior statistics over a set of residual parameters (spec, "Metrics to log" B). */
export interface PosteriorStats {
  /** median |μ| */
  readonly muAbsMedian: number;
  /** median σ */
  readonly sigmaMedian: number;
  /** mean σ */
  readonly sigmaMean: number;
  /** mean log σ */
  readonly logSigmaMean: number;
}

/** Statistics of one layer. */
export interface LayerDiagnostics extends PosteriorStats {
  readonly layer: string;
  /** median |θ| over the layer's shared weight matrix (bias excluded). */
  readonly thetaAbsMedian: number;
  /** R = median σ / (median |θ| + ε) for this layer. */
  readonly ratioR: number;
  /**
   * Per task, over this layer's residual parameters, `[numTasks]`. Computed on first access (its
   * medians are ~2/7 of the whole; the trainer's metrics do not read it).
   */
  readonly perTask: readonly PosteriorStats[];
}

/** Diagnostics of one or more VarShare networks sharing the task set (e.g. actor and critic). */
export interface ModelDiagnostics {
  /** Per task over all layers of all networks, `[numTasks]`. */
  readonly perTask: readonly PosteriorStats[];
  /** Per layer with a residual. */
  readonly perLayer: readonly LayerDiagnostics[];
  /** median σ over (task, layer, param). */
  readonly sigmaMedian: number;
  /** median |θ| over (layer, param). */
  readonly thetaAbsMedian: number;
  /** Global noise-to-weight ratio R = median σ / (median |θ| + ε) (spec, Experiment 3). */
  readonly ratioR: number;
}

/** One set of entries: |μ| and σ values with their sums (Σσ, Σ log σ). */
interface Entries {
  readonly absMu: Float32Array;
  readonly sigma: Float32Array;
  readonly sigmaSum: number;
  readonly logSigmaSum: number;
}

function entries(mu: Float32Array, sigma: Float32Array, logSigmaSum: number): Entries {
  const absMu = new Float32Array(mu.length);
  for (let i = 0; i < mu.length; i++) absMu[i] = Math.abs(mu[i] as number);
  let sigmaSum = 0;
  for (let i = 0; i < sigma.length; i++) sigmaSum += sigma[i] as number;
  return { absMu, sigma, sigmaSum, logSigmaSum };
}

/** Entries of several sets together (sums added, arrays concatenated: no per-entry work again). */
function merge(parts: readonly Entries[]): Entries {
  return {
    absMu: concat(parts.map((p) => p.absMu)),
    sigma: concat(parts.map((p) => p.sigma)),
    sigmaSum: parts.reduce((a, p) => a + p.sigmaSum, 0),
    logSigmaSum: parts.reduce((a, p) => a + p.logSigmaSum, 0),
  };
}

function stats(e: Entries): PosteriorStats {
  const n = e.sigma.length;
  return { muAbsMedian: median(e.absMu), sigmaMedian: median(e.sigma), sigmaMean: e.sigmaSum / n, logSigmaMean: e.logSigmaSum / n };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function absAll(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.abs(x[i] as number);
  return out;
}

/**
 * Posterior diagnostics the spec asks for, per task, per layer and globally: median |μ|, median and
 * mean σ, mean log σ, and R = median(σ)/(median|θ|+ε). Reads the variables to the CPU once.
 * @param eps ε of R. Defaults to 1e-8.
 */
export function posteriorDiagnostics(nets: readonly VarShareMLP[], eps = 1e-8): ModelDiagnostics {
  const numTasks = nets[0]?.numTasks ?? 0;
  // |μ| and the sums are computed once per (layer, task); layer-wide and task-wide statistics reuse them.
  const perTaskParts: Entries[][] = Array.from({ length: numTasks }, () => []);
  const allSigma: Float32Array[] = [];
  const allTheta: Float32Array[] = [];
  const perLayer: LayerDiagnostics[] = [];
  for (const net of nets) {
    for (const layer of net.layers) {
      const { mu, sigma, logSigmaSum, theta } = layer.readPosterior();
      const thetaAbs = absAll(theta);
      allTheta.push(thetaAbs);
      if (layer.residualParamsPerTask === 0) continue;
      const tasks = mu.map((m, t) => entries(m, sigma[t] as Float32Array, logSigmaSum[t] as number));
      tasks.forEach((e, t) => (perTaskParts[t] as Entries[]).push(e));
      const whole = merge(tasks);
      allSigma.push(whole.sigma);
      const wholeStats = stats(whole);
      const thetaAbsMedian = median(thetaAbs);
      let layerTasks: PosteriorStats[] | null = null;
      perLayer.push({
        layer: layer.name,
        ...wholeStats,
        thetaAbsMedian,
        ratioR: noiseToWeightRatio(wholeStats.sigmaMedian, thetaAbsMedian, eps),
        get perTask(): readonly PosteriorStats[] {
          return (layerTasks ??= tasks.map(stats));
        },
      });
    }
  }
  const sigmaMedian = allSigma.length ? median(concat(allSigma)) : Number.NaN;
  const thetaAbsMedian = median(concat(allTheta));
  return {
    perTask: perTaskParts.map((parts) => stats(merge(parts))),
    perLayer,
    sigmaMedian,
    thetaAbsMedian,
    ratioR: noiseToWeightRatio(sigmaMedian, thetaAbsMedian, eps),
  };
}

/** KL values read to the CPU: per task (all layers) and per layer per task. */
export interface KlBreakdown {
  /** `[numTasks]` */
  readonly perTask: number[];
  /** layer name → `[numTasks]` */
  readonly perLayer: Record<string, number[]>;
}

/** Per-task and per-layer KL of the networks under `sigmaPrior` (no gradients). */
export function klBreakdown(nets: readonly VarShareMLP[], sigmaPrior: SigmaPriorValue | SigmaPrior): KlBreakdown {
  const perLayer: Record<string, number[]> = {};
  const numTasks = nets[0]?.numTasks ?? 0;
  const perTask = new Array<number>(numTasks).fill(0);
  for (const net of nets) {
    for (const layer of net.layers) {
      if (layer.residualParamsPerTask === 0) continue;
      const kl = layer.kl(sigmaPrior);
      const values = Array.from(kl.dataSync());
      kl.dispose();
      perLayer[layer.name] = values;
      values.forEach((v, t) => (perTask[t] = (perTask[t] as number) + v));
    }
  }
  return { perTask, perLayer };
}
