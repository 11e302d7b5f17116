import { instantiateKernel, tf, type NamedArrays, type WasmMemory } from '@varshare/core';
import { adamWasmBase64 } from './kernels/adamWasm';

interface AdamExports {
  readonly memory: WasmMemory;
  adam(p: number, g: number, m: number, v: number, n: number, b1: number, b2: number, stepSize: number, invBc2: number, eps: number, gradScale: number): void;
}

/**
 * The Adam update of one parameter, in float64 per element with m, v and p rounded to float32
 * when stored — the reference semantics of the wasm kernel (`kernels/adam.wat`), which computes
 * exactly these operations in this order. Exported for tests; {@link Adam} uses the kernel when
 * WebAssembly SIMD is available and this loop otherwise.
 */
export function adamStepReference(
  p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  b1: number, b2: number, stepSize: number, invBc2: number, eps: number, gradScale: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = (g[i] as number) * gradScale;
    const mi = (m[i] = b1 * (m[i] as number) + (1 - b1) * gi);
    const vi = (v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi);
    p[i] = (p[i] as number) - (stepSize * mi) / (Math.sqrt(vi * invBc2) + eps);
  }
}

/**
 * Adam (Kingma & Ba) in PyTorch's form, which CleanRL uses: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − lr · (m / (1−β₁ᵗ)) / (sqrt(v / (1−β₂ᵗ)) + ε). One instance per parameter group; the
 * learning rate is passed on every step (linear annealing × the group's scale), and the whole state
 * (step count and moments, keyed by stable parameter names) goes into checkpoints.
 *
 * The step is fused per parameter on the CPU: a VarShare agent has ~20× more parameters than the
 * plain MLP (μ and ρ per task), and the ~12 tensor ops per parameter of an op-by-op Adam cost more
 * on wasm (≈5 µs dispatch each, plus one pass over memory per op) than the arithmetic. The moments
 * live in the memory of a small WebAssembly SIMD kernel (`kernels/adam.wat`, two float64 lanes),
 * which computes {@link adamStepReference} bit for bit ~4× faster than the JavaScript loop.
 */
export class Adam {
  private step = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  /** The kernel and its scratch arrays for a parameter's values and gradient (null: JS loop). */
  private readonly kernel: { readonly x: AdamExports; readonly p: Float32Array; readonly g: Float32Array } | null;

  /** @param params stable name → variable (the names key the checkpointed moments). */
  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-5,
  ) {
    const x = instantiateKernel<AdamExports>(adamWasmBase64);
    if (!x) {
      this.kernel = null;
      for (const [name, p] of params) {
        this.m.set(name, new Float32Array(p.size));
        this.v.set(name, new Float32Array(p.size));
      }
      return;
    }
    let largest = 0;
    let total = 0;
    for (const p of params.values()) {
      largest = Math.max(largest, p.size);
      total += 2 * p.size;
    }
    const bytes = 4 * (total + 2 * largest);
    if (bytes > x.memory.buffer.byteLength) x.memory.grow(Math.ceil((bytes - x.memory.buffer.byteLength) / 65536));
    // Zero-initialised moments, then the two scratch arrays; the memory never grows again, so the views stay valid.
    let off = 0;
    const view = (n: number): Float32Array => {
      const a = new Float32Array(x.memory.buffer, off * 4, n);
      off += n;
      return a;
    };
    for (const [name, p] of params) {
      this.m.set(name, view(p.size));
      this.v.set(name, view(p.size));
    }
    this.kernel = { x, p: view(largest), g: view(largest) };
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.step;
  }

  /** One step with `grads` (stable name → gradient) at learning rate `lr`. Missing grads are skipped. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const arrays = new Map<string, Float32Array>();
    for (const [name, g] of grads) arrays.set(name, g.dataSync() as Float32Array);
    this.applyArrays(arrays, lr);
  }

  /**
   * One step with gradients already on the CPU, each multiplied by `gradScale` first (the global
   * grad-norm clip factor; 1 = no clipping). Missing grads are skipped.
   * @param grads stable name → gradient values (row-major, the parameter's size)
   */
  applyArrays(grads: ReadonlyMap<string, Float32Array>, lr: number, gradScale = 1): void {
    this.step += 1;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = lr / (1 - b1 ** this.step);
    const invBc2 = 1 / (1 - b2 ** this.step);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const m = this.m.get(name) as Float32Array;
      const v = this.v.get(name) as Float32Array;
      if (g.length !== m.length) throw new Error(`Adam: gradient of '${name}' has ${g.length} values, parameter has ${m.length}`);
      let values: Float32Array;
      if (this.kernel) {
        const { x, p: pBuf, g: gBuf } = this.kernel;
        const n = m.length;
        pBuf.set(p.dataSync() as Float32Array);
        gBuf.set(g);
        x.adam(pBuf.byteOffset, gBuf.byteOffset, m.byteOffset, v.byteOffset, n, b1, b2, stepSize, invBc2, eps, gradScale);
        // The wasm backend copies a new tensor's values at once; other backends may keep the array.
        values = tf.getBackend() === 'wasm' ? pBuf.subarray(0, n) : pBuf.slice(0, n);
      } else {
        values = Float32Array.from(p.dataSync() as Float32Array);
        adamStepReference(values, g, m, v, b1, b2, stepSize, invBc2, eps, gradScale);
      }
      tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
    }
  }

  getState(): { step: number; arrays: NamedArrays } {
    const arrays: NamedArrays = {};
    for (const [name, p] of this.params) {
      arrays[`m/${name}`] = { shape: [...p.shape], data: Float32Array.from(this.m.get(name) as Float32Array) };
      arrays[`v/${name}`] = { shape: [...p.shape], data: Float32Array.from(this.v.get(name) as Float32Array) };
    }
    return { step: this.step, arrays };
  }

  setState(state: { step: number; arrays: NamedArrays }): void {
    this.step = state.step;
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, moment] of map) {
        const saved = state.arrays[`${kind}/${name}`];
        if (!saved) throw new Error(`Adam state has no '${kind}/${name}'`);
        if (saved.data.length !== moment.length) throw new Error(`Adam state '${kind}/${name}' has ${saved.data.length} values, expected ${moment.length}`);
        moment.set(saved.data);
      }
    }
  }

  /** Kept for API compatibility: no tensors are held (the kernel's memory is garbage-collected). */
  dispose(): void {}
}
