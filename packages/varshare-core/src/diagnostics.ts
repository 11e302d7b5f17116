import { median, noiseToWeightRatio } from '@varshare/base';
import type { SigmaPriorValue } from './gaussianKl';
import type { tf } from './backend';
import { hotOps, type HotOps, type PosteriorMedianQuery } from './ops/hotOps';
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
   * Per task, over this layer's residual parameters, `[numTasks]`. On the CPU path computed on first
   * access (its medians are ~2/7 of the whole; the trainer's metrics do not read it); with in-place
   * medians computed with the rest (a small share of that call).
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
 * mean σ, mean log σ, and R = median(σ)/(median|θ|+ε). With the wasm ops on more than one kernel
 * thread the medians of |μ| and σ are selected where the values are ({@link HotOps.posteriorMedians},
 * split over the threads); otherwise the variables are read to the CPU once. Both give the same
 * numbers (`median`'s; tested). On arm-mt10's 400-wide actor and critic after two updates
 * (the two paths alternating in one process, medians of 10 calls each): 90 ms in place
 * against 189 ms on copies at two threads; at one thread 170 against 159 ms, so one thread keeps
 * the copies.
 * @param eps ε of R. Defaults to 1e-8.
 */
export function posteriorDiagnostics(nets: readonly VarShareMLP[], eps = 1e-8): ModelDiagnostics {
  const ops = hotOps();
  const inPlace = ops.posteriorMedians;
  return inPlace && ops.kernelThreads() > 1 ? diagnosticsInPlace(nets, eps, inPlace) : diagnosticsOnCopies(nets, eps);
}

/** Per (layer, task) pieces of {@link diagnosticsInPlace}: the parts of |μ| and σ, and the sums. */
interface Block {
  readonly mu: PosteriorMedianQuery['parts'];
  readonly sigma: PosteriorMedianQuery['parts'];
  readonly n: number;
  readonly sigmaSum: number;
  readonly logSigmaSum: number;
}

/**
 * {@link posteriorDiagnostics} with every median of |μ| and σ (per layer and task, per layer, per
 * task, and σ overall) in one call of `medians`; σ's sums from a copy of σ, in the order of
 * {@link diagnosticsOnCopies} (each task's entries factor after factor, then task after task or
 * layer after layer), so every statistic equals that function's: on arm-mt10's 400-wide networks
 * 153 medians over 24.5 M values (the per-layer-per-task ones too, which the copies compute on
 * first access), two passes each.
 */
function diagnosticsInPlace(nets: readonly VarShareMLP[], eps: number, medians: NonNullable<HotOps['posteriorMedians']>): ModelDiagnostics {
  const numTasks = nets[0]?.numTasks ?? 0;
  const ops = hotOps();
  const allTheta: Float32Array[] = [];
  const layers: { name: string; thetaAbsMedian: number; blocks: Block[] }[] = [];
  for (const net of nets) {
    for (const layer of net.layers) {
      const thetaAbs = absAll(layer.theta.dataSync() as Float32Array);
      allTheta.push(thetaAbs);
      if (layer.residualParamsPerTask === 0) continue;
      const vars = layer.posteriorVariables();
      const factors: { mu: tf.Variable; rho: tf.Variable; size: number; sigma: Float32Array; logSigmaSums: ArrayLike<number> }[] = [];
      for (let f = 0; f < vars.length; f += 2) {
        const mu = vars[f] as tf.Variable;
        const rho = vars[f + 1] as tf.Variable;
        const parts = ops.posteriorParts(rho);
        factors.push({ mu, rho, size: mu.size / numTasks, sigma: parts.sigmaValues(), logSigmaSums: parts.logSigmaSums });
      }
      const blocks: Block[] = [];
      for (let t = 0; t < numTasks; t++) {
        let sigmaSum = 0;
        let logSigmaSum = 0;
        for (const f of factors) {
          for (let i = t * f.size; i < (t + 1) * f.size; i++) sigmaSum += f.sigma[i] as number;
          logSigmaSum += f.logSigmaSums[t] as number;
        }
        blocks.push({
          mu: factors.map((f) => ({ of: 'values' as const, variable: f.mu, start: t * f.size, length: f.size })),
          sigma: factors.map((f) => ({ of: 'sigma' as const, variable: f.rho, start: t * f.size, length: f.size })),
          n: layer.residualParamsPerTask,
          sigmaSum,
          logSigmaSum,
        });
      }
      layers.push({ name: layer.name, thetaAbsMedian: median(thetaAbs), blocks });
    }
  }
  // The queries, in this order: per (layer, task) |μ| and σ; per layer; per task; σ overall.
  const queries: PosteriorMedianQuery[] = [];
  const pair = (blocks: readonly Block[]) => {
    queries.push({ abs: true, parts: blocks.flatMap((b) => b.mu) }, { abs: false, parts: blocks.flatMap((b) => b.sigma) });
  };
  for (const l of layers) for (const b of l.blocks) pair([b]);
  for (const l of layers) pair(l.blocks);
  for (let t = 0; t < numTasks; t++) pair(layers.map((l) => l.blocks[t] as Block));
  if (layers.length) queries.push({ abs: false, parts: layers.flatMap((l) => l.blocks.flatMap((b) => b.sigma)) });
  const values = medians(queries);
  let next = 0;
  const statsOf = (blocks: readonly Block[]): PosteriorStats => {
    const muAbsMedian = values[next++] as number;
    const sigmaMedian = values[next++] as number;
    const n = blocks.reduce((a, b) => a + b.n, 0);
    return { muAbsMedian, sigmaMedian, sigmaMean: blocks.reduce((a, b) => a + b.sigmaSum, 0) / n, logSigmaMean: blocks.reduce((a, b) => a + b.logSigmaSum, 0) / n };
  };
  const layerTasks = layers.map((l) => l.blocks.map((b) => statsOf([b])));
  const perLayer: LayerDiagnostics[] = layers.map((l, i) => {
    const whole = statsOf(l.blocks);
    const perTask = layerTasks[i] as PosteriorStats[];
    return { layer: l.name, ...whole, thetaAbsMedian: l.thetaAbsMedian, ratioR: noiseToWeightRatio(whole.sigmaMedian, l.thetaAbsMedian, eps), perTask };
  });
  const perTask = Array.from({ length: numTasks }, (_, t) => statsOf(layers.map((l) => l.blocks[t] as Block)));
  const sigmaMedian = layers.length ? (values[next++] as number) : Number.NaN;
  const thetaAbsMedian = median(concat(allTheta));
  return { perTask, perLayer, sigmaMedian, thetaAbsMedian, ratioR: noiseToWeightRatio(sigmaMedian, thetaAbsMedian, eps) };
}

/** @internal {@link posteriorDiagnostics} on copies of the values read to the CPU (whatever the ops; for tests). */
export function diagnosticsOnCopies(nets: readonly VarShareMLP[], eps = 1e-8): ModelDiagnostics {
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
