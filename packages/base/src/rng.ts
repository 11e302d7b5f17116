/**
 * The project's one seeded generator and its seed derivations.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, 2018): 128 bits of state (four uint32 words, cheap
 * to checkpoint), period 2^128 − 1, and every step is a 32-bit integer op that V8 keeps unboxed
 * (`Math.imul`, shifts). A 32-bit seed is expanded into the four words with splitmix32, as the
 * xoshiro authors recommend, so nearby seeds give unrelated streams and the state is never all zero.
 * No global unseeded randomness anywhere: every draw comes from an `Rng` the caller passes in.
 *
 * Until this module existed, core, envs and metrics each had a copy. All three ran the same engine;
 * they differed in how a seed became the state and in how a uniform integer or a normal was drawn
 * from the raw words. Every one of those variants is in recorded streams (the golden PPO metrics,
 * env episodes, the report's bootstrap intervals), so each is kept here under its own name rather
 * than silently replaced by another:
 * - seeding: `new Rng(seed)` (core, rl-ppo, the report) vs `new Rng(foldEnvSeed(seed))` (envs);
 * - child seeds: {@link deriveSeed} (networks, PPO, evaluation) vs {@link deriveEnvSeed} (env rows);
 * - integers: {@link Rng.nextInt} (scaled, one draw) vs {@link Rng.nextIntUnbiased} (rejection);
 * - normals: {@link Rng.normal} vs {@link Rng.normalOneMinusU} (envs' space sampling).
 */

const TWO_POW_32 = 4294967296;
const GOLDEN_GAMMA = 0x9e3779b9;

/** The `algorithm` tag of {@link RngState}. */
export const RNG_ALGORITHM = 'xoshiro128**';

/** Plain-JSON generator state: the four uint32 words plus the cached second Box–Muller normal. */
export interface RngState {
  readonly algorithm: typeof RNG_ALGORITHM;
  readonly s: readonly [number, number, number, number];
  /** The spare normal deviate from the last Box–Muller pair, or null when none is cached. */
  readonly spare: number | null;
}

/**
 * What {@link Rng.setState} accepts: an {@link RngState}, or the same without `algorithm` — the
 * form core's generator wrote into PPO checkpoints before the generators were unified, so runs
 * checkpointed then still resume.
 */
export type RngStateInput = RngState | Omit<RngState, 'algorithm'>;

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function checkEnvSeed(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/** Folds a non-negative safe integer into 32 bits without discarding its high word. */
function fold53(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return fmix32(lo ^ fmix32(hi ^ 0x5bd1e995));
}

/**
 * Deterministic child seed for stream `index` of `seed` (e.g. layer i of a network, the PPO
 * generator 11, the evaluation streams 13/14). The one derivation of everything outside envs.
 * For a fixed `seed`, distinct `index` in [0, 2^32) give distinct children (a composition of
 * bijections of the index).
 * @param seed  integer; only its low 32 bits are used (`seed >>> 0`)
 * @param index integer ≥ 0
 * @returns a uint32 seed
 */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The envs' child seed: row r of a vector env is seeded with `deriveEnvSeed(deriveEnvSeed(seed, 0), r)`,
 * its task draws with `deriveEnvSeed(deriveEnvSeed(seed, 1), r)`. A different map from
 * {@link deriveSeed} — the two were written separately and each is fixed by recorded episodes and
 * metrics — that also accepts parents and indices up to 2^53 (Gymnasium seeds are arbitrary
 * non-negative integers) and keeps their high words. For a fixed `seed`, distinct `i` in
 * [0, 2^32) give distinct children.
 * @param seed non-negative safe integer
 * @param i    non-negative safe integer (e.g. a row or task index)
 * @returns a uint32 seed
 * @throws RangeError when `seed` or `i` is not a non-negative safe integer
 */
export function deriveEnvSeed(seed: number, i: number): number {
  checkEnvSeed(seed, 'deriveEnvSeed: seed');
  checkEnvSeed(i, 'deriveEnvSeed: i');
  // imul by an odd constant and xor with a constant are injective mod 2^32, fmix32 is a bijection:
  // children of one parent never collide for i < 2^32.
  const mixedIndex = Math.imul(i >>> 0, GOLDEN_GAMMA) ^ fmix32(Math.floor(i / TWO_POW_32) >>> 0);
  return fmix32(fold53(seed) ^ mixedIndex ^ 0x7f4a7c15);
}

/**
 * The 32-bit generator seed of an env seed: envs seed their generators with
 * `new Rng(foldEnvSeed(seed))`, so seeds above 2^32 keep their high word and every env stream stays
 * the one recorded before the generators were unified.
 * @param seed non-negative safe integer
 * @returns a uint32 seed for {@link Rng}
 * @throws RangeError when `seed` is not a non-negative safe integer
 */
export function foldEnvSeed(seed: number): number {
  checkEnvSeed(seed, 'Rng seed');
  return fold53(seed);
}

/**
 * A seeded xoshiro128** generator.
 *
 * ```ts
 * const rng = new Rng(42);
 * rng.nextFloat();           // uniform in [0, 1)
 * rng.nextIntUnbiased(6);    // uniform integer in [0, 6)
 * rng.normal();              // standard normal
 * const s = rng.getState(); rng.setState(s); // exact round trip, JSON-safe
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /**
   * @param seed finite number; its low 32 bits (`seed >>> 0`) seed the stream, equal seeds give
   *   equal streams. Envs pass `foldEnvSeed(seed)`.
   * @throws RangeError for a non-finite seed
   */
  constructor(seed: number) {
    this.reseed(seed);
  }

  /** Re-seeds in place: afterwards the stream is that of `new Rng(seed)`. */
  reseed(seed: number): void {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be finite, got ${String(seed)}`);
    // splitmix32: four consecutive outputs of a Weyl sequence through fmix32.
    let x = seed >>> 0;
    x = (x + GOLDEN_GAMMA) | 0;
    this.s0 = fmix32(x) | 0;
    x = (x + GOLDEN_GAMMA) | 0;
    this.s1 = fmix32(x) | 0;
    x = (x + GOLDEN_GAMMA) | 0;
    this.s2 = fmix32(x) | 0;
    x = (x + GOLDEN_GAMMA) | 0;
    this.s3 = fmix32(x) | 0;
    // fmix32 of four distinct counters cannot all be zero; xoshiro must never see that state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Next raw output, a uint32. */
  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  /** Uniform double in [0, 1) with 32 bits of resolution (one draw). */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform double in [low, high): `low + (high − low)·nextFloat()`. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /**
   * Integer in [0, n) as ⌊nextFloat()·n⌋: always exactly one draw; each value's probability is
   * within 2^−32 of 1/n (n·2^−32 summed over values: 3e-7 for cartpole-mt's 1,280-row batch).
   * The PPO minibatch shuffle uses it; for statistics prefer {@link Rng.nextIntUnbiased}.
   * @param n positive integer ≤ 2^32
   */
  nextInt(n: number): number {
    checkBound(n, 'nextInt');
    return Math.floor(this.nextFloat() * n);
  }

  /**
   * Uniform integer in [0, n) without modulo bias: draws below the largest multiple of n are
   * accepted (`x % n`), the rest redrawn, so the number of draws varies. Env task draws and the
   * report's bootstrap resampling use it.
   * @param n positive integer ≤ 2^32
   */
  nextIntUnbiased(n: number): number {
    checkBound(n, 'nextIntUnbiased');
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /**
   * Standard normal deviate (Box–Muller on u₁ ∈ (0, 1), zero draws skipped, and u₂; the second
   * value of each pair is cached in the state and returned by the next normal call).
   */
  normal(): number {
    if (this.spare !== null) return this.takeSpare();
    let u = 0;
    while (u === 0) u = this.nextFloat();
    return this.boxMuller(u, this.nextFloat());
  }

  /**
   * Standard normal deviate by Box–Muller on (1 − u₁, u₂): 1 − u₁ ∈ (0, 1], so no redraw. Envs'
   * `sampleSpace` draws with it (half-bounded and unbounded Box dimensions); it shares the cached
   * spare with {@link Rng.normal}.
   */
  normalOneMinusU(): number {
    if (this.spare !== null) return this.takeSpare();
    const u1 = 1 - this.nextFloat();
    return this.boxMuller(u1, this.nextFloat());
  }

  /** A seed for a derived stream (e.g. a tf op's `seed` argument), drawn from this stream. */
  nextSeed(): number {
    return this.nextUint32();
  }

  /** Serialisable snapshot (plain JSON). */
  getState(): RngState {
    return { algorithm: RNG_ALGORITHM, s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  /**
   * Restores a snapshot from {@link Rng.getState} (see {@link RngStateInput}).
   * @throws TypeError/RangeError for a wrong tag, words that are not uint32, an all-zero state or
   *   a non-finite spare
   */
  setState(state: RngStateInput): void {
    const tag = (state as { readonly algorithm?: unknown }).algorithm;
    if ((tag !== undefined && tag !== RNG_ALGORITHM) || !Array.isArray(state?.s) || state.s.length !== 4) {
      throw new TypeError(`Rng.setState: expected { algorithm: "${RNG_ALGORITHM}", s: [4 uint32], spare }`);
    }
    for (const w of state.s) {
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) throw new RangeError(`Rng.setState: bad state word ${String(w)}`);
    }
    if ((state.s[0] | state.s[1] | state.s[2] | state.s[3]) === 0) throw new RangeError('Rng.setState: all-zero state');
    if (state.spare !== null && !Number.isFinite(state.spare)) throw new RangeError('Rng.setState: spare must be finite or null');
    this.s0 = state.s[0] | 0;
    this.s1 = state.s[1] | 0;
    this.s2 = state.s[2] | 0;
    this.s3 = state.s[3] | 0;
    this.spare = state.spare;
  }

  private takeSpare(): number {
    const z = this.spare as number;
    this.spare = null;
    return z;
  }

  private boxMuller(u1: number, u2: number): number {
    const r = Math.sqrt(-2 * Math.log(u1));
    const phi = 2 * Math.PI * u2;
    this.spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }
}

function checkBound(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
    throw new RangeError(`Rng.${what}: n must be an integer in [1, 2^32], got ${String(n)}`);
  }
}
