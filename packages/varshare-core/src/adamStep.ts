/** Per-step constants of the Adam update, rounded to float32 as PyTorch's kernels use them. */
export interface AdamStepConstants {
  /** 1 − β₁ */
  readonly c1: number;
  readonly b2: number;
  /** 1 − β₂ */
  readonly c2: number;
  /** −lr/(1 − β₁ᵗ) */
  readonly negStep: number;
  /** √(1 − β₂ᵗ) */
  readonly bc2sqrt: number;
  readonly eps: number;
  /** The global grad-norm clip factor the gradient is multiplied by first. */
  readonly scale: number;
}

/** The float32 constants of step `t` (1-based) at learning rate `lr`, gradients multiplied by `scale`. */
export function adamStepConstants(lr: number, beta1: number, beta2: number, eps: number, t: number, scale: number): AdamStepConstants {
  const f = Math.fround;
  return { c1: f(1 - beta1), b2: f(beta2), c2: f(1 - beta2), negStep: f(-lr / (1 - beta1 ** t)), bc2sqrt: f(Math.sqrt(1 - beta2 ** t)), eps: f(eps), scale: f(scale) };
}

/**
 * The Adam update of one parameter in float32, every operation rounded (Math.fround), in PyTorch's
 * order for a float32 parameter after clip_grad_norm_: g' = g·scale; m ← m + c1·(g' − m);
 * v ← v·b2 + (c2·g')·g'; p ← p + negStep·(m / (√v/bc2sqrt + ε)). Updates `p`, `m` and `v` in place
 * (all the same length as `g`). The reference of the Adam step: `HotOps.adamMemory` runs it (tfjs
 * implementation) or the wasm kernel `adam.wat`, which is bit-identical to it.
 */
export function adamStepReference(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: AdamStepConstants): void {
  const f = Math.fround;
  for (let i = 0; i < p.length; i++) {
    const gi = f((g[i] as number) * k.scale);
    const mi = f((m[i] as number) + f(k.c1 * f(gi - (m[i] as number))));
    const vi = f(f((v[i] as number) * k.b2) + f(f(k.c2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    p[i] = f((p[i] as number) + f(k.negStep * f(mi / f(f(f(Math.sqrt(vi)) / k.bc2sqrt) + k.eps))));
  }
}

/**
 * Length of the blocks {@link sumSquaresReference} sums one after another (an even number: a
 * block's pairs are the array's pairs). A kernel splits longer arrays between threads by whole
 * blocks, so the sum does not depend on the number of threads.
 */
export const SUM_SQUARES_BLOCK = 1 << 16;

/**
 * Σ g² over a float32 gradient, in float64 (the global grad-norm's square before clipping). Per
 * block of {@link SUM_SQUARES_BLOCK} entries (the last may be shorter), even and odd entries are
 * summed separately and the two sums added (the order of the wasm kernel's two lanes), then an odd
 * last entry; the block sums are added in block order from 0. An array of at most one block is one
 * block's sum.
 */
export function sumSquaresReference(g: Float32Array): number {
  let s = 0;
  for (let start = 0; start < g.length; start += SUM_SQUARES_BLOCK) s += blockSumSquares(g, start, Math.min(g.length, start + SUM_SQUARES_BLOCK));
  return s;
}

/** One block of {@link sumSquaresReference}: entries [start, end), start even. */
function blockSumSquares(g: Float32Array, start: number, end: number): number {
  let even = 0;
  let odd = 0;
  const pairsEnd = start + ((end - start) & ~1);
  for (let i = start; i < pairsEnd; i += 2) {
    const a = g[i] as number;
    const b = g[i + 1] as number;
    even += a * a;
    odd += b * b;
  }
  let s = even + odd;
  if (pairsEnd < end) {
    const last = g[pairsEnd] as number;
    s += last * last;
  }
  return s;
}

/** Σ x² of an added term, Σ g² of the gradient after it was added and before (see {@link addIntoReference}). */
export interface AddedSums {
  readonly added: number;
  readonly total: number;
  readonly before: number;
}

/**
 * g ← g + x with each sum rounded to float32 (a float64 sum of two float32 values rounds to the
 * float32 sum), in place; returns Σ x², the new Σ g² and the Σ g² before, each in
 * {@link sumSquaresReference}'s order. What a second gradient term (the KL's) does to a staged
 * gradient (the sum before is the first term's: the PPO gradient norm); `adam.wat`'s `addsq`
 * computes the same in one pass.
 */
export function addIntoReference(g: Float32Array, x: Float32Array): AddedSums {
  if (g.length !== x.length) throw new Error(`addIntoReference: g has ${g.length} values, x has ${x.length}`);
  const before = sumSquaresReference(g);
  for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + (x[i] as number);
  return { added: sumSquaresReference(x), total: sumSquaresReference(g), before };
}

/**
 * One float32 array of an optimizer's {@link AdamMemory} (a parameter's values, gradient, moments):
 * a handle, since the memory it lives in may move or grow (the wasm kernel memory).
 */
export interface AdamArray {
  readonly length: number;
  /** The values as a view: valid until the next kernel call or allocation (re-take it, never keep it). */
  values(): Float32Array;
}
