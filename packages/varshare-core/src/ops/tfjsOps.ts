import { adamStepReference, addIntoReference, sumSquaresReference, type AdamArray } from '../adamStep';
import { tf } from '../backend';
import { denseLayer } from '../denseLayer';
import { effectiveWeights, sampledResidual } from '../effectiveWeights';
import { gaussianKl } from '../gaussianKl';
import { logSigmaPerTask, posteriorSigma, posteriorSigmaDerivative } from '../posteriorSigma';
import type { AdamMemory, DenseLayerParams, HotOps, KlPrior, PosteriorParts } from './hotOps';

/** σ and σ' of one value of ρ, as tensors kept until ρ changes; Σ log σ computed when first asked. */
class TensorParts implements PosteriorParts {
  private sums: Float64Array | null = null;

  constructor(
    readonly dataId: object,
    readonly sigma: tf.Tensor,
    readonly dSigma: tf.Tensor,
  ) {}

  get logSigmaSums(): Float64Array {
    if (!this.sums) {
      const t = logSigmaPerTask(this.sigma);
      this.sums = Float64Array.from(t.dataSync());
      t.dispose();
    }
    return this.sums;
  }

  sigmaValues(): Float32Array {
    return Float32Array.from(this.sigma.dataSync() as Float32Array);
  }

  dispose(): void {
    this.sigma.dispose();
    this.dSigma.dispose();
  }
}

const parts = new WeakMap<object, TensorParts>();

/** Shape checks shared with the wasm implementation, so both reject the same inputs the same way. */
export function checkGrouped(a: tf.Tensor3D, b: tf.Tensor3D): void {
  if (a.shape[2] !== b.shape[1]) throw new Error(`groupedMatMul: inner dimensions differ: [${a.shape}] · [${b.shape}]`);
}

/** σ_prior of a KL as `gaussianKl` takes it: a number, a per-task `[T, 1, 1]` tensor, or the tensor given. */
export function priorValue(prior: KlPrior, numTasks: number): number | tf.Tensor {
  if (prior.kind === 'tensor') return prior.sigmaPrior;
  const sp = prior.sigmaPrior;
  if (typeof sp === 'number') return sp;
  if (sp.length !== numTasks) throw new Error(`taskKl: ${sp.length} σ_prior values for ${numTasks} tasks`);
  return tf.tensor3d([...sp], [numTasks, 1, 1]);
}

/**
 * The hot ops as the spec's reference functions on tfjs tensor ops, gradients by autodiff: what
 * runs on the cpu and tensorflow backends, and the semantics the wasm kernels are held to.
 */
export const tfjsOps: HotOps = {
  name: 'tfjs',

  posteriorParts(rho: tf.Variable): PosteriorParts {
    const cached = parts.get(rho);
    if (cached && cached.dataId === rho.dataId) return cached;
    cached?.dispose();
    const fresh = new TensorParts(rho.dataId, tf.keep(posteriorSigma(rho)), tf.keep(posteriorSigmaDerivative(rho)));
    parts.set(rho, fresh);
    return fresh;
  },

  sampleResidual(mu: tf.Variable, rho: tf.Variable, eps: tf.Tensor): tf.Tensor {
    return tf.tidy(() => sampledResidual(mu, posteriorSigma(rho), eps));
  },

  groupedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
    checkGrouped(a, b);
    return tf.matMul(a, b);
  },

  dense(xg: tf.Tensor3D, layer: DenseLayerParams, activation): tf.Tensor3D {
    return tf.tidy(() => {
      const r = layer.residual;
      const residual = !r ? null : r.noise ? sampledResidual(r.mu, posteriorSigma(r.noise.rho), r.noise.eps) : r.mu;
      return denseLayer(xg, effectiveWeights(layer.theta, residual), layer.bias, activation);
    });
  },

  denseWithWeights(xg: tf.Tensor3D, w: tf.Tensor, bias: tf.Tensor, activation): tf.Tensor3D {
    return denseLayer(xg, w, bias, activation);
  },

  denseArrays(x: Float32Array, shape: readonly [number, number, number], w: tf.Tensor, bias: tf.Tensor, activation): Float32Array {
    const y = tf.tidy(() => denseLayer(tf.tensor3d(x, [...shape]), w, bias, activation));
    const out = Float32Array.from(y.dataSync() as Float32Array);
    y.dispose();
    return out;
  },

  taskKl(mu: tf.Variable, rho: tf.Variable, prior: KlPrior): tf.Tensor1D {
    return tf.tidy(() => {
      const sp = priorValue(prior, mu.shape[0] as number);
      const detachSigmaForPrior = prior.kind === 'tensor' && prior.detachSigma;
      return tf.sum(gaussianKl(mu, posteriorSigma(rho), sp, { detachSigmaForPrior }), [1, 2]) as tf.Tensor1D;
    });
  },

  // No op here delivers to a sink: every gradient flows through autodiff.
  withGradientSink: (_sink, fn) => fn(),

  adamMemory(): AdamMemory {
    // Plain arrays, each behind a handle that returns it.
    const arrays = new WeakMap<AdamArray, Float32Array>();
    const of = (a: AdamArray): Float32Array => {
      const x = arrays.get(a);
      if (!x) throw new Error('adamMemory: arrays must come from alloc');
      return x;
    };
    return {
      alloc(n) {
        const x = new Float32Array(n);
        const a: AdamArray = { length: n, values: () => x };
        arrays.set(a, x);
        return a;
      },
      step: (p, g, m, v, k) => adamStepReference(of(p), of(g), of(m), of(v), k),
      stepVariable(variable, p, g, m, v, k, reload) {
        if (reload) of(p).set(variable.dataSync() as Float32Array);
        adamStepReference(of(p), of(g), of(m), of(v), k);
        // a copy: a backend may keep the array it is given
        const values = of(p).slice();
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      },
      sumSquares: (g) => sumSquaresReference(of(g)),
      addInto: (g, x) => addIntoReference(of(g), of(x)),
      assigned: () => undefined,
      dispose: () => undefined,
    };
  },

  readValues(t: tf.Tensor): Float32Array {
    return t.dataSync() as Float32Array;
  },

  kernelStats: () => null,
  setKernelThreads: () => undefined,
  kernelThreads: () => 1,
  resetKernelStats: () => undefined,

  release(owner: object): void {
    parts.get(owner)?.dispose();
    parts.delete(owner);
  },
};
