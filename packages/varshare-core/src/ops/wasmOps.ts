import { tf } from '../backend';
import type { LayerActivation } from '../denseLayer';
import { sampledResidual } from '../effectiveWeights';
import { kernelRegionOf } from '../kernels/adamKernel';
import type { DenseOperands } from '../kernels/denseKernel';
import type { HeapBackend } from '../kernels/heap';
import type { Operand, ResidentBuffer } from '../kernels/kernelMemory';
import { deferrableBackend, deferTo, settleDeferred, unwrittenTensor } from '../kernels/deferredTensor';
import { releaseResident, residentFor, residentOf } from '../kernels/residentTensor';
import type { WasmKernels } from '../kernels/wasmKernels';
import type { AdamMemory, DenseLayerParams, DenseOptions, GradientSink, HotOps, KlPrior, PosteriorParts } from './hotOps';
import { checkGrouped, tfjsOps } from './tfjsOps';

type CustomGradFunc = Parameters<typeof tf.customGrad>[0];

/** The tfjs-wasm backend (this implementation is only chosen there): zero-copy views of its heap. */
const heap = (): HeapBackend => tf.backend() as unknown as HeapBackend;

/**
 * σ, σ' and Σ log σ of one ρ variable from one pass of the posterior kernel, σ and σ' resident in
 * the kernel memory where the dense and KL kernels read them in place; tensors of them are made
 * only when asked for (the rollout snapshot, low-rank sampling).
 */
class KernelParts implements PosteriorParts {
  private dataId: object | null = null;
  private sigmaT: tf.Tensor | null = null;
  private dSigmaT: tf.Tensor | null = null;
  logSigmaSums: Float64Array = new Float64Array(0);
  readonly sigmaBuf: ResidentBuffer;
  readonly dSigmaBuf: ResidentBuffer;

  constructor(
    private readonly k: WasmKernels,
    private readonly rho: tf.Variable,
  ) {
    this.sigmaBuf = k.memory.resident(rho.size);
    this.dSigmaBuf = k.memory.resident(rho.size);
  }

  /** Recomputes the parts when ρ was assigned since the last call (a new dataId). */
  refresh(be: HeapBackend): this {
    if (this.dataId === this.rho.dataId) return this;
    this.disposeTensors();
    const perTask = this.rho.shape.slice(1).reduce((a, b) => a * b, 1);
    // σ and σ' straight into their resident regions (the posterior kernel shares the memory).
    // ρ from its resident region (in place when the optimizer's copy holds it, see aliasResident).
    this.logSigmaSums = this.k.posterior.computeInto(residentOf(this.k.memory, this.rho, be), this.sigmaBuf.off, this.dSigmaBuf.off, perTask);
    this.dataId = this.rho.dataId;
    return this;
  }

  get sigma(): tf.Tensor {
    if (!this.sigmaT) this.sigmaT = tf.keep(tf.tensor(this.sigmaValues(), this.rho.shape));
    return this.sigmaT;
  }

  get dSigma(): tf.Tensor {
    if (!this.dSigmaT) this.dSigmaT = tf.keep(tf.tensor(this.k.memory.read(this.dSigmaBuf).slice(), this.rho.shape));
    return this.dSigmaT;
  }

  sigmaValues(): Float32Array {
    return this.k.memory.read(this.sigmaBuf).slice();
  }

  private disposeTensors(): void {
    this.sigmaT?.dispose();
    this.dSigmaT?.dispose();
    this.sigmaT = null;
    this.dSigmaT = null;
  }

  dispose(): void {
    this.disposeTensors();
    this.k.memory.release(this.sigmaBuf);
    this.k.memory.release(this.dSigmaBuf);
  }
}

/**
 * The hot ops on the WebAssembly SIMD kernels (tfjs-wasm backend), each a tfjs op with its
 * gradient written out: σ and σ' come from one kernel pass per value of ρ and are reused by every
 * op; a layer's θ, μ, ε, σ, σ' and effective weights stay resident in the kernel memory across
 * the forward, the backward and the KL of a minibatch step. Cases without a kernel (a KL prior
 * tensor that is not a scalar, a broadcast matmul) are delegated to the tfjs implementation.
 */
export function createWasmOps(k: WasmKernels): HotOps {
  const mem = k.memory;
  const parts = new WeakMap<object, KernelParts>();
  /** The owner of a layer's effective-weight buffer, per μ variable (μ's own slot holds μ). */
  const weightOwners = new WeakMap<object, object>();
  /** The owner of a layer's output region, per θ variable, and that region (see `dense`). */
  const outputOwners = new WeakMap<object, { buf: ResidentBuffer | null }>();
  /** The region holding a dense output's values, by its dataId (valid while the region's tag is that dataId). */
  const outputRegions = new WeakMap<object, ResidentBuffer>();
  /** A tensor's values where the dense kernel reads them: the region of a dense output still there, else the tfjs heap. */
  const inPlace = (t: tf.Tensor, be: HeapBackend): Operand => {
    const r = outputRegions.get(t.dataId);
    return r && !r.released && r.tag === t.dataId ? r : be.typedArrayFromHeap(t);
  };
  /** The gradient sink of {@link HotOps.withGradientSink} while its function runs. */
  let sink: GradientSink | null = null;
  /** Where the sink takes `param`'s gradient in the kernel memory (a float offset), if it offers a region there. */
  const targetOf = (sk: GradientSink, param: tf.Variable): number | undefined => kernelRegionOf(sk.target?.(param), mem)?.off;

  const partsOf = (rho: tf.Variable, be: HeapBackend): KernelParts => {
    let p = parts.get(rho);
    if (!p) {
      p = new KernelParts(k, rho);
      parts.set(rho, p);
    }
    return p.refresh(be);
  };

  /** `op(a) · op(b)` on the matmul kernel as a new tensor, operands read straight from the heap. */
  const product = (be: HeapBackend, a: tf.Tensor3D, transA: boolean, b: tf.Tensor3D, transB: boolean): tf.Tensor3D => {
    const T = a.shape[0];
    const [n, kk] = transA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
    const m = transB ? b.shape[1] : b.shape[2];
    // A view of the kernel's memory is enough: creating a wasm tensor copies it at once.
    return tf.tensor3d(k.matmul.bmm(be.typedArrayFromHeap(a), transA, be.typedArrayFromHeap(b), transB, T, n, kk, m, false), [T, n, m]);
  };

  /**
   * The KL backward's μ and ρ gradients for upstream `dy` `[T]`: delivered to the sink `sk` (written
   * into the regions it offers) and [] returned, or as tensors without a sink.
   */
  const klGradients = (sk: GradientSink | null, mu: tf.Variable, rho: tf.Variable, p: KernelParts, be: HeapBackend, dy: Float32Array, ivs: number[]): tf.Tensor[] => {
    const [T, rows, cols] = mu.shape as [number, number, number];
    const targets = sk ? { dMu: targetOf(sk, mu), dRho: targetOf(sk, rho) } : {};
    const g = k.kl.backward(residentOf(mem, mu, be), p.sigmaBuf, p.dSigmaBuf, dy, ivs, T, rows * cols, targets);
    if (!sk) return [tf.tensor3d(g.dMu, [T, rows, cols]), tf.tensor3d(g.dRho, [T, rows, cols])];
    sk.accept(mu, g.dMu);
    sk.accept(rho, g.dRho);
    return [];
  };

  /** The pieces of a KL under a constant σ_p per task: 1/σ_p² per task and the forward's values `[T]`. */
  const constantKlForward = (be: HeapBackend, mu: tf.Variable, rho: tf.Variable, sigmaPrior: number | readonly number[]): { p: KernelParts; ivs: number[]; values: Float32Array } => {
    const [T, rows, cols] = mu.shape as [number, number, number];
    if (typeof sigmaPrior !== 'number' && sigmaPrior.length !== T) throw new Error(`taskKl: ${sigmaPrior.length} σ_prior values for ${T} tasks`);
    const p = partsOf(rho, be);
    // One pass of the kernel each way (terms in float32, per-task sums in float64); Σ log σ per
    // task comes from the posterior pass.
    const logSums = p.logSigmaSums;
    const ivs = typeof sigmaPrior === 'number' ? new Array<number>(T).fill(1 / (sigmaPrior * sigmaPrior)) : sigmaPrior.map((s) => 1 / (s * s));
    const constant = (t: number) => (Math.log(typeof sigmaPrior === 'number' ? sigmaPrior : (sigmaPrior[t] as number)) - 0.5) * rows * cols;
    const { quad } = k.kl.forward(residentOf(mem, mu, be), p.sigmaBuf, ivs, T, rows * cols);
    const values = new Float32Array(T);
    for (let t = 0; t < T; t++) values[t] = (quad[t] as number) - (logSums[t] as number) + constant(t);
    return { p, ivs, values };
  };

  /** KL with a constant σ_p per task (no gradient to it): `[T]`, differentiable in μ and ρ. */
  const constantKl = (mu: tf.Variable, rho: tf.Variable, sigmaPrior: number | readonly number[]): tf.Tensor1D => {
    const be = heap();
    // With a sink, μ and ρ's gradients go to it and the op hangs on the sink's anchor instead.
    const sk = sink;
    const op = tf.customGrad(((...args: tf.Tensor[]) => {
      const save = args[args.length - 1] as unknown as tf.GradSaveFunc;
      save([]);
      const { p, ivs, values } = constantKlForward(be, mu, rho, sigmaPrior);
      return {
        value: tf.tensor1d(values),
        // With a sink the op's only input is the anchor, whose gradient is 0.
        gradFunc: (dy: tf.Tensor) => {
          const grads = klGradients(sk, mu, rho, p, be, be.typedArrayFromHeap(dy), ivs);
          return sk ? [tf.scalar(0)] : grads;
        },
      };
    }) as unknown as CustomGradFunc);
    return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor1D)(...(sk ? [sk.anchor] : [mu, rho]));
  };

  /**
   * KL under a scalar σ_p tensor that takes a gradient (exp5's learned per-layer prior): value and
   * μ/ρ gradients as {@link constantKl}; dKL_t/dσ_p = n/σ_p − Σ(σ² + μ²)/σ_p³, or with `detachSigma`
   * n/σ_p − Σμ²/σ_p³, n = rows·cols.
   */
  const scalarKl = (mu: tf.Variable, rho: tf.Variable, sigmaPrior: tf.Tensor, detachSigma: boolean): tf.Tensor1D => {
    const be = heap();
    const p = partsOf(rho, be);
    const logSums = p.logSigmaSums;
    const [T, rows, cols] = mu.shape as [number, number, number];
    const n = rows * cols;
    // With a sink, μ and ρ's gradients go to it (σ_p still takes its gradient through the tape).
    const sk = sink;
    const op = tf.customGrad(((...args: tf.Tensor[]) => {
      const spT = args[args.length - 2] as tf.Tensor;
      const save = args[args.length - 1] as unknown as tf.GradSaveFunc;
      save([]);
      const sp = spT.dataSync()[0] as number;
      const ivs = new Array<number>(T).fill(1 / (sp * sp));
      const { quad, muQuad } = k.kl.forward(residentOf(mem, mu, be), p.sigmaBuf, ivs, T, n);
      const constant = (Math.log(sp) - 0.5) * n;
      return {
        value: tf.tensor1d(Float32Array.from(quad, (v, t) => v - (logSums[t] as number) + constant)),
        gradFunc: (dy: tf.Tensor) => {
          const d = dy.dataSync();
          // quad_t = Σ(σ² + μ²)/(2σ_p²) ⇒ Σ(σ² + μ²)/σ_p³ = 2·quad_t/σ_p (likewise muQuad for Σμ²)
          const byPrior = detachSigma ? muQuad : quad;
          let dSp = 0;
          for (let t = 0; t < T; t++) dSp += (d[t] as number) * (n / sp - (2 * (byPrior[t] as number)) / sp);
          return [...klGradients(sk, mu, rho, p, be, be.typedArrayFromHeap(dy), ivs), tf.scalar(dSp)];
        },
      };
    }) as unknown as CustomGradFunc);
    return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor1D)(...(sk ? [sigmaPrior] : [mu, rho, sigmaPrior]));
  };

  /**
   * act(X_t W_t + b) on the dense kernel with the effective weights given (a rollout snapshot's):
   * a view of the call's arena, `[T, n, out]`. Shared weights (rank 2) act on all T·n rows as one
   * block, as the training forward does; W is resident (a snapshot serves every step, copied into
   * the kernel memory once).
   */
  const forwardWithWeights = (be: HeapBackend, x: Float32Array, shape: readonly number[], w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation): Float32Array => {
    const [T, n, d] = shape as [number, number, number];
    const out = w.shape[w.rank - 1] as number;
    const [tb, nb] = w.rank === 3 ? [T, n] : [1, T * n];
    return k.dense.forwardWeights(x, residentOf(mem, w, be), be.typedArrayFromHeap(bias), activation, tb, nb, d, out);
  };

  /**
   * The dense forward into the layer's output region, as a new tensor deferred to it (no copy out;
   * a copy on a backend without the internals this needs). Tensors still deferred to the region's
   * previous contents are given their values first.
   */
  const forwardInto = <X>(theta: tf.Variable, operands: (x: X) => DenseOperands, x: X, bias: Float32Array, activation: LayerActivation, shape: [number, number, number]): tf.Tensor3D => {
    const internals = deferrableBackend();
    if (!internals) return tf.tensor3d(k.dense.forward(operands(x), bias, activation), shape);
    let owner = outputOwners.get(theta);
    if (!owner) outputOwners.set(theta, (owner = { buf: null }));
    if (owner.buf) settleDeferred(owner.buf);
    const buf = residentFor(mem, owner, shape[0] * shape[1] * shape[2]);
    owner.buf = buf;
    buf.tag = null; // no tensor's values from here on (an x aliased to it is read from the tfjs heap)
    k.dense.forward(operands(x), bias, activation, buf);
    const value = unwrittenTensor(internals, shape) as tf.Tensor3D;
    deferTo(value, internals, mem, buf, owner);
    buf.tag = value.dataId;
    outputRegions.set(value.dataId, buf);
    return value;
  };

  /**
   * The whole layer on the dense kernel as one differentiable op: gradients for x, θ, b and, with
   * a residual, μ and (with noise) ρ through σ'. Replaces ~25 tfjs ops per layer per pass (each
   * with its dispatch, tape and saved-tensor bookkeeping) by one.
   */
  const dense = (xg: tf.Tensor3D, layer: DenseLayerParams, activation: LayerActivation, options?: DenseOptions): tf.Tensor3D => {
    const inputGradient = options?.inputGradient ?? true;
    const be = heap();
    const { theta, bias } = layer;
    const [T, n, inDim] = xg.shape;
    const outDim = theta.shape[1] as number;
    const r = layer.residual ?? null;
    const noise = r?.noise ?? null;
    // θ, μ, ε, σ and σ' are resident in the kernel memory (written when they change, shared by the
    // forward, the backward and the KL); dy is a view of the tfjs heap, copied in by the call. The
    // output stays in a region of the layer's (its tensor takes the values only if read through
    // tfjs, see deferredTensor.ts), where the next layer's forward and both backwards read it as x
    // and y in place — until the layer's next forward, which first settles a tensor still held.
    const p = noise ? partsOf(noise.rho, be) : null;
    let wOwner: object | undefined;
    if (r) {
      wOwner = weightOwners.get(r.mu);
      if (!wOwner) weightOwners.set(r.mu, (wOwner = {}));
    }
    const operands = (x: tf.Tensor) => ({
      x: inPlace(x, be),
      theta: residentOf(mem, theta, be) as Operand,
      mu: r ? residentOf(mem, r.mu, be) : null,
      noise: noise && p ? { sigma: p.sigmaBuf, eps: residentOf(mem, noise.eps, be) } : null,
      // W is kept for the backward: recomputed only if θ, μ, ρ or ε changed in between.
      w: r && wOwner ? { buf: residentFor(mem, wOwner, T * inDim * outDim), key: [theta.dataId, r.mu.dataId, noise ? noise.rho.dataId : undefined, noise ? noise.eps : null] } : undefined,
      T,
      n,
      inDim,
      outDim,
    });
    // With a sink (and a residual), μ and ρ's gradients go to it and are not tape inputs.
    const sk = r ? sink : null;
    const op = tf.customGrad(((...args: tf.Tensor[]) => {
      const x = args[0] as tf.Tensor3D;
      const save = args[args.length - 1] as unknown as tf.GradSaveFunc;
      const value = forwardInto(theta, operands, x, be.typedArrayFromHeap(bias), activation, [T, n, outDim]);
      // The activation's derivative is taken from the output (1 − y², [y > 0]).
      save(activation === 'none' ? [x] : [x, value]);
      return {
        value,
        gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
          const y = activation === 'none' ? null : inPlace(saved[1] as tf.Tensor, be);
          // With a sink, dμ and dρ straight into the regions it offers (its optimizer's, in this memory).
          const targets = { ...(sk && r ? { dMu: targetOf(sk, r.mu), dRho: noise ? targetOf(sk, noise.rho) : undefined } : {}), dx: inputGradient };
          const g = k.dense.backward(operands(saved[0] as tf.Tensor), be.typedArrayFromHeap(dy), p ? p.dSigmaBuf : null, activation, y, targets);
          if (sk && r) {
            // (the sink copies them out before any other kernel call reuses the arena)
            if (g.dMu) sk.accept(r.mu, g.dMu);
            if (g.dRho && noise) sk.accept(noise.rho, g.dRho);
          }
          // Tensor creation copies out of the kernel memory, which tfjs allocations do not touch.
          // (no ∂x asked for: the input is data, its gradient zeros)
          const grads = [g.dx ? tf.tensor3d(g.dx, [T, n, inDim]) : tf.zeros([T, n, inDim]), tf.tensor2d(g.dTheta, [inDim, outDim]), tf.tensor1d(g.dBias)];
          if (sk) return grads;
          if (g.dMu) grads.push(tf.tensor3d(g.dMu, [T, inDim, outDim]));
          if (g.dRho) grads.push(tf.tensor3d(g.dRho, [T, inDim, outDim]));
          return grads;
        },
      };
    }) as unknown as CustomGradFunc);
    const inputs = !r || sk ? [xg, theta, bias] : noise ? [xg, theta, bias, r.mu, noise.rho] : [xg, theta, bias, r.mu];
    return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor3D)(...inputs);
  };

  return {
    name: 'wasm',

    posteriorParts: (rho) => partsOf(rho, heap()),

    posteriorMedians(queries) {
      const be = heap();
      // Every region first (a variable not yet resident is copied in), then the call's arena.
      const ranges = queries.map((q) => ({
        abs: q.abs,
        parts: q.parts.map((p) => {
          if (!(Number.isInteger(p.start) && Number.isInteger(p.length) && p.start >= 0 && p.length >= 0 && p.start + p.length <= p.variable.size)) {
            throw new Error(`posteriorMedians: entries [${p.start}, ${p.start + p.length}) of a variable of ${p.variable.size}`);
          }
          const off = p.of === 'sigma' ? partsOf(p.variable, be).sigmaBuf.off : residentOf(mem, p.variable, be).off;
          return [off + p.start, p.length] as const;
        }),
      }));
      return k.median.medians(ranges);
    },

    sampleResidual(mu: tf.Variable, rho: tf.Variable, eps: tf.Tensor): tf.Tensor {
      const p = partsOf(rho, heap());
      const sigma = p.sigma;
      const dSigma = p.dSigma;
      // d(μ + σ⊙ε)/dμ = 1, d(μ + σ⊙ε)/dρ = ε⊙σ' with σ' from the posterior pass.
      const op = tf.customGrad(((m: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
        save([]);
        void r;
        return { value: sampledResidual(m, sigma, eps), gradFunc: (dy: tf.Tensor) => [dy, tf.mul(dy, tf.mul(eps, dSigma))] };
      }) as unknown as CustomGradFunc);
      return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor)(mu, rho);
    },

    groupedMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
      if (a.shape[0] !== b.shape[0] || a.dtype !== 'float32' || b.dtype !== 'float32') return tfjsOps.groupedMatMul(a, b);
      checkGrouped(a, b);
      const be = heap();
      // dA = dY·Bᵀ and dB = Aᵀ·dY, the transposes folded into the kernel's operand copies.
      const op = tf.customGrad(((x: tf.Tensor3D, w: tf.Tensor3D, save: tf.GradSaveFunc) => {
        save([x, w]);
        return {
          value: product(be, x, false, w, false),
          gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
            const [xs, ws] = saved as [tf.Tensor3D, tf.Tensor3D];
            return [product(be, dy, false, ws, true), product(be, xs, true, dy, false)];
          },
        };
      }) as unknown as CustomGradFunc);
      return op(a, b) as tf.Tensor3D;
    },

    dense,

    denseWithWeights(xg: tf.Tensor3D, w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation): tf.Tensor3D {
      const be = heap();
      // A view of the kernel's memory is enough: creating a wasm tensor copies it at once.
      return tf.tensor3d(forwardWithWeights(be, be.typedArrayFromHeap(xg), xg.shape, w, bias, activation), [xg.shape[0], xg.shape[1], w.shape[w.rank - 1] as number]);
    },

    denseArrays(x: Float32Array, shape: readonly [number, number, number], w: tf.Tensor, bias: tf.Tensor, activation: LayerActivation): Float32Array {
      // (the output is a view of the call's arena, valid until the next kernel call: copied out)
      return forwardWithWeights(heap(), x, shape, w, bias, activation).slice();
    },

    klWithGradient(mu: tf.Variable, rho: tf.Variable, sigmaPrior: number | readonly number[], dy: Float32Array, sk: GradientSink): Float32Array {
      const be = heap();
      const T = mu.shape[0] as number;
      if (dy.length !== T) throw new Error(`klWithGradient: dy has ${dy.length} entries for ${T} tasks`);
      const { p, ivs, values } = constantKlForward(be, mu, rho, sigmaPrior);
      klGradients(sk, mu, rho, p, be, dy, ivs);
      return values;
    },

    taskKl(mu: tf.Variable, rho: tf.Variable, prior: KlPrior): tf.Tensor1D {
      if (prior.kind === 'constant') return constantKl(mu, rho, prior.sigmaPrior);
      if (prior.sigmaPrior.rank === 0) return scalarKl(mu, rho, prior.sigmaPrior, prior.detachSigma);
      return tfjsOps.taskKl(mu, rho, prior);
    },

    withGradientSink<T>(next: GradientSink | null, fn: () => T): T {
      const outer = sink;
      sink = next;
      try {
        return fn();
      } finally {
        sink = outer;
      }
    },

    adamMemory(): AdamMemory {
      return k.adam.arrays();
    },

    readValues: (t) => heap().typedArrayFromHeap(t),

    kernelStats: () => k.matmul.stats(),
    resetKernelStats: () => k.matmul.resetStats(),
    setKernelThreads: (threads) => k.pool.set(threads),
    kernelThreads: () => k.pool.count,

    release(owner: object): void {
      const out = outputOwners.get(owner);
      if (out) {
        if (out.buf) settleDeferred(out.buf);
        releaseResident(out);
        outputOwners.delete(owner);
      }
      releaseResident(owner);
      parts.get(owner)?.dispose();
      parts.delete(owner);
      const w = weightOwners.get(owner);
      if (w) releaseResident(w);
      weightOwners.delete(owner);
    },
  };
}
