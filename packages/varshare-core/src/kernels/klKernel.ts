import { checkLength, type KernelMemory, type Operand } from './kernelMemory';
import { MIN_ELEMENTS_PER_PART, splitRange, type KernelPool, type KernelThreads } from './kernelThreads';

/** kl.wat's exports (byte offsets). */
export interface KlExports {
  klfwd(mu: number, sigma: number, halfiv: number, out: number, T: number, size: number): void;
  klbwd(mu: number, sigma: number, dsig: number, d: number, iv: number, dmu: number, drho: number, T: number, size: number): void;
}

/**
 * The KL of T task posteriors N(μ, σ²) against N(0, σ_p,t²) and its gradients on a WebAssembly
 * SIMD kernel (`kl.wat`), in the {@link KernelMemory} where a layer's μ, σ and σ' are resident.
 * Only the parts that depend on μ, σ and σ_p are here; the caller adds −Σ log σ (posterior.wat)
 * and the constant n·(log σ_p − ½) to get `gaussianKl` summed per task. With helper threads
 * ({@link KernelPool}) a large call is split by whole tasks, each task's sums and gradients
 * computed as on one thread: bit-identical for every thread count.
 */
export class KlKernel {
  constructor(
    private x: KlExports,
    private readonly memory: KernelMemory,
    private readonly pool: KernelPool | null = null,
  ) {}

  /** The threads and task ranges `[t0, tn]` to split a call over T·size values into; null: not split. */
  private taskParts(T: number, size: number): { threads: KernelThreads; ranges: [number, number][] } | null {
    const threads = this.pool?.threads;
    const parts = threads ? Math.min(T, threads.partsFor(T * size, MIN_ELEMENTS_PER_PART)) : 1;
    return threads && parts > 1 ? { threads, ranges: splitRange(T, parts) } : null;
  }

  /** Works through `x` from now on (kl.wat on the memory the kernels moved to). */
  rebind(x: KlExports): void {
    this.x = x;
  }

  /**
   * Per task t over `size` entries per task, in float64 from float32 terms: `quad[t]` =
   * Σ_i (σ² + μ²)/(2σ_p,t²) and `muQuad[t]` = Σ_i μ²/(2σ_p,t²) (for a learned prior's gradient
   * with σ detached).
   * @param mu `[T, size]`
   * @param sigma `[T, size]`
   * @param invVar 1/σ_p,t² per task, `[T]`
   */
  forward(mu: Operand, sigma: Operand, invVar: readonly number[], T: number, size: number): { quad: Float64Array; muQuad: Float64Array } {
    for (const [field, a] of [['mu', mu], ['sigma', sigma]] as const) checkLength('KlKernel', field, a, T * size, 'T·size');
    if (invVar.length !== T) throw new Error(`KlKernel.forward: ${invVar.length} prior variances for ${T} tasks`);
    const mem = this.memory;
    mem.beginCall();
    const m = mem.put(mu);
    const sg = mem.put(sigma);
    const h = mem.put(Float32Array.from(invVar, (v) => v * 0.5));
    const split = this.taskParts(T, size);
    if (!split) {
      const out = mem.alloc(4 * T); // 2T float64 (the arena is 16-byte aligned)
      this.x.klfwd(m * 4, sg * 4, h * 4, out * 4, T, size);
      const sums = mem.doubles(out, 2 * T);
      return { quad: sums.subarray(0, T), muQuad: sums.subarray(T, 2 * T) };
    }
    // Each part writes its tn quad sums then its tn μ sums to its own region.
    const { threads, ranges } = split;
    const outs = ranges.map(([, tn]) => mem.alloc(4 * tn));
    const args = ranges.map(([t0, tn], i) => [(m + t0 * size) * 4, (sg + t0 * size) * 4, (h + t0) * 4, (outs[i] as number) * 4, tn, size]);
    threads.run('kl.klfwd', args, this.x.klfwd);
    const quad = new Float64Array(T);
    const muQuad = new Float64Array(T);
    ranges.forEach(([t0, tn], i) => {
      const sums = mem.doubles(outs[i] as number, 2 * tn);
      quad.set(sums.subarray(0, tn), t0);
      muQuad.set(sums.subarray(tn), t0);
    });
    return { quad, muQuad };
  }

  /**
   * Gradients of Σ_t d_t·KL_t: dμ = d_t·(μ/σ_p,t²) and dρ = d_t·((σ/σ_p,t² − 1/σ)·σ'),
   * σ' = sigmoid(ρ); each `[T, size]`. Views of the kernel memory, valid until its next call.
   * @param d `[T]`
   * @param targets float offsets of T·size floats each where dμ and dρ are written (e.g. an
   *   optimizer's regions), instead of the call's arena
   */
  backward(mu: Operand, sigma: Operand, dSigma: Operand, d: Float32Array, invVar: readonly number[], T: number, size: number, targets: { readonly dMu?: number; readonly dRho?: number } = {}): { dMu: Float32Array; dRho: Float32Array } {
    for (const [field, a] of [['mu', mu], ['sigma', sigma], ['dSigma', dSigma]] as const) checkLength('KlKernel', field, a, T * size, 'T·size');
    checkLength('KlKernel', 'd', d, T, 'T');
    if (invVar.length !== T) throw new Error(`KlKernel.backward: ${invVar.length} prior variances for ${T} tasks`);
    const mem = this.memory;
    mem.beginCall();
    const m = mem.put(mu);
    const sg = mem.put(sigma);
    const ds = mem.put(dSigma);
    const dd = mem.put(d);
    const iv = mem.put(Float32Array.from(invVar));
    const dMu = targets.dMu ?? mem.alloc(T * size);
    const dRho = targets.dRho ?? mem.alloc(T * size);
    const split = this.taskParts(T, size);
    if (!split) this.x.klbwd(m * 4, sg * 4, ds * 4, dd * 4, iv * 4, dMu * 4, dRho * 4, T, size);
    else {
      const at = (base: number, t0: number) => (base + t0 * size) * 4;
      const args = split.ranges.map(([t0, tn]) => [at(m, t0), at(sg, t0), at(ds, t0), (dd + t0) * 4, (iv + t0) * 4, at(dMu, t0), at(dRho, t0), tn, size]);
      split.threads.run('kl.klbwd', args, this.x.klbwd);
    }
    return { dMu: mem.view(dMu, T * size), dRho: mem.view(dRho, T * size) };
  }
}
