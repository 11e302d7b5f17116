/**
 * Observation and action spaces, shaped like Gymnasium's `Box` and `Discrete` (float32 boxes only,
 * since every observation and continuous action in this package is a `Float32Array`).
 */
import type { Rng } from '@varshare/base';

/**
 * A float32 box: `low[i] ≤ x[i] ≤ high[i]` elementwise; bounds may be ±Infinity (unbounded).
 * `low.length === high.length === product(shape)`; values are stored flat, row-major.
 */
export interface Box {
  readonly kind: 'box';
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];
}

/** The integers `{0, 1, …, n − 1}`. */
export interface Discrete {
  readonly kind: 'discrete';
  readonly n: number;
}

/** Any space of this package. */
export type Space = Box | Discrete;

/** `'discrete'` for a {@link Discrete} action space, `'continuous'` for a {@link Box}. */
export type ActionKind = 'discrete' | 'continuous';

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/**
 * Builds a {@link Box}. Scalars broadcast to `shape`.
 *
 * @param low   lower bounds (array of length product(shape), or one number for all)
 * @param high  upper bounds (same)
 * @param shape dimensions. Defaults to `[low.length]` when `low` is an array.
 * @throws RangeError on a bad shape, mismatched lengths, NaN bounds or `low > high`
 */
export function box(low: ArrayLike<number> | number, high: ArrayLike<number> | number, shape?: readonly number[]): Box {
  const inferred = shape ?? (typeof low !== 'number' ? [low.length] : typeof high !== 'number' ? [high.length] : undefined);
  if (inferred === undefined) throw new RangeError('box: shape is required when both bounds are scalars');
  const size = product(inferred);
  const lo = new Float32Array(size);
  const hi = new Float32Array(size);
  if (typeof low === 'number') lo.fill(low);
  else {
    if (low.length !== size) throw new RangeError(`box: low has length ${low.length}, shape [${inferred.join(', ')}] needs ${size}`);
    lo.set(Array.from(low));
  }
  if (typeof high === 'number') hi.fill(high);
  else {
    if (high.length !== size) throw new RangeError(`box: high has length ${high.length}, shape [${inferred.join(', ')}] needs ${size}`);
    hi.set(Array.from(high));
  }
  const space: Box = { kind: 'box', low: lo, high: hi, shape: Object.freeze([...inferred]) };
  const problem = describeSpaceProblem(space);
  if (problem !== null) throw new RangeError(`box: ${problem}`);
  return space;
}

/**
 * Builds a {@link Discrete} space of `n` actions.
 * @throws RangeError unless `n` is a positive integer
 */
export function discrete(n: number): Discrete {
  const space: Discrete = { kind: 'discrete', n };
  const problem = describeSpaceProblem(space);
  if (problem !== null) throw new RangeError(`discrete: ${problem}`);
  return space;
}

/** Number of float32 slots one element of a box occupies (`product(shape)`). */
export function boxSize(space: Box): number {
  return product(space.shape);
}

/**
 * Slots one action occupies in a flat batched action buffer: 1 for {@link Discrete} (the index),
 * `product(shape)` for {@link Box}.
 */
export function actionSlots(space: Space): number {
  return space.kind === 'discrete' ? 1 : boxSize(space);
}

/** `'discrete'` or `'continuous'`. */
export function actionKindOf(space: Space): ActionKind {
  return space.kind === 'discrete' ? 'discrete' : 'continuous';
}

/** Returns null when the space is well formed, otherwise a sentence naming what is wrong. */
export function describeSpaceProblem(space: Space): string | null {
  if (space.kind === 'discrete') {
    if (!Number.isInteger(space.n) || space.n < 1) return `Discrete.n must be a positive integer, got ${String(space.n)}`;
    return null;
  }
  if (space.kind !== 'box') return `unknown space kind ${String((space as { kind: unknown }).kind)}`;
  if (!(space.low instanceof Float32Array) || !(space.high instanceof Float32Array)) return 'Box.low and Box.high must be Float32Array';
  if (!Array.isArray(space.shape) || space.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    return `Box.shape must be positive integers, got [${String(space.shape)}]`;
  }
  const size = product(space.shape);
  if (space.low.length !== size || space.high.length !== size) {
    return `Box bounds have lengths ${space.low.length}/${space.high.length}, shape [${space.shape.join(', ')}] needs ${size}`;
  }
  for (let i = 0; i < size; i++) {
    const l = space.low[i] ?? Number.NaN;
    const h = space.high[i] ?? Number.NaN;
    if (Number.isNaN(l) || Number.isNaN(h)) return `Box bound ${i} is NaN`;
    if (l > h) return `Box low[${i}] = ${l} > high[${i}] = ${h}`;
  }
  return null;
}

/**
 * Whether `value` belongs to `space`: an integer in [0, n) for {@link Discrete}; for {@link Box} a
 * `Float32Array` of the right length whose entries are not NaN and lie within the bounds.
 */
export function spaceContains(space: Space, value: unknown): boolean {
  if (space.kind === 'discrete') return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < space.n;
  if (!(value instanceof Float32Array) || value.length !== space.low.length) return false;
  for (let i = 0; i < value.length; i++) {
    const v = value[i] ?? Number.NaN;
    if (!(v >= (space.low[i] ?? Number.NaN) && v <= (space.high[i] ?? Number.NaN))) return false;
  }
  return true;
}

/**
 * Draws a random element: uniform integer for {@link Discrete}; for {@link Box}, uniform on finite
 * intervals, `low + |N(0,1)|` / `high − |N(0,1)|` on half-bounded and `N(0,1)` on unbounded ones
 * (Gymnasium's convention).
 */
export function sampleSpace(space: Space, rng: Rng): number | Float32Array {
  if (space.kind === 'discrete') return rng.nextIntUnbiased(space.n);
  const out = new Float32Array(space.low.length);
  for (let i = 0; i < out.length; i++) {
    const l = space.low[i] ?? 0;
    const h = space.high[i] ?? 0;
    const lf = Number.isFinite(l);
    const hf = Number.isFinite(h);
    let v: number;
    if (lf && hf) v = rng.uniform(l, h);
    else if (lf) v = l + Math.abs(rng.normalOneMinusU());
    else if (hf) v = h - Math.abs(rng.normalOneMinusU());
    else v = rng.normalOneMinusU();
    // Rounding to float32 can step one ulp past a finite bound; clamp back in.
    out[i] = Math.min(Math.max(v, l), h);
  }
  return out;
}
