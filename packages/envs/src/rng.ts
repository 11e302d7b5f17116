/**
 * Seeded pseudo-random generator: xoshiro128** (Blackman & Vigna) seeded through splitmix32.
 *
 * Why this one: 128 bits of state (four uint32, cheap to serialise), period 2^128 − 1, passes
 * BigCrush, and every operation is a 32-bit integer op that V8 keeps unboxed (`Math.imul`, shifts).
 * No global unseeded randomness anywhere in this package: every random draw comes from an `Rng` that is passed in.
 */

/** Serialisable generator state: four uint32 words plus the cached second Box–Muller normal. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
  /** The spare normal deviate from the last Box–Muller pair, or null when none is cached. */
  readonly spare: number | null;
}

const TWO_POW_32 = 4294967296;

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${String(seed)}`);
  }
}

/** Folds a non-negative safe integer (up to 2^53) into 32 bits without discarding its high word. */
function foldSeed(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return fmix32(lo ^ fmix32(hi ^ 0x5bd1e995));
}

/**
 * Derives the `i`-th child seed of `seed` (uint32). For a fixed `seed`, distinct `i` in
 * [0, 2^32) give distinct children (the map is a composition of bijections), and children look
 * unrelated to each other and to the parent.
 *
 * @param seed non-negative safe integer
 * @param i    non-negative safe integer (e.g. a row or task index)
 * @returns a uint32 seed
 */
export function deriveSeed(seed: number, i: number): number {
  checkSeed(seed, 'deriveSeed: seed');
  checkSeed(i, 'deriveSeed: i');
  // Math.imul by an odd constant is injective mod 2^32, xor with a constant is injective, fmix32 is
  // a bijection: child seeds of one parent never collide for i < 2^32.
  const mixedIndex = Math.imul(i >>> 0, 0x9e3779b9) ^ fmix32(Math.floor(i / TWO_POW_32) >>> 0);
  return fmix32(foldSeed(seed) ^ mixedIndex ^ 0x7f4a7c15);
}

/**
 * A seeded xoshiro128** generator.
 *
 * ```ts
 * const rng = new Rng(42);
 * rng.nextFloat();   // uniform in [0, 1)
 * rng.nextInt(6);    // uniform integer in [0, 6)
 * rng.normal();      // standard normal
 * const s = rng.getState(); rng.setState(s); // exact round trip, JSON-safe
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** @param seed non-negative safe integer. Defaults to 0. */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seeds in place (same result as constructing `new Rng(seed)`). */
  seed(seed: number): void {
    checkSeed(seed, 'Rng seed');
    // splitmix32 expands one 32-bit word into four well-mixed words; it never yields the all-zero
    // state that xoshiro must avoid (checked below anyway).
    let x = foldSeed(seed);
    const words: number[] = [];
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) | 0;
      words.push(fmix32(x));
    }
    this.s0 = words[0] ?? 0;
    this.s1 = words[1] ?? 0;
    this.s2 = words[2] ?? 0;
    this.s3 = words[3] ?? 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Next raw output as a uint32. */
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

  /** Uniform double in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /**
   * Uniform integer in [0, n), unbiased (rejection of the top partial block).
   * @param n positive integer ≤ 2^32
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`Rng.nextInt: n must be an integer in [1, 2^32], got ${String(n)}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal deviate (Box–Muller; the second value of each pair is cached in the state). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    // 1 − u lies in (0, 1], so the log is finite.
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const phi = 2 * Math.PI * u2;
    this.spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  /** Serialisable snapshot (plain JSON). */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  /** Restores a snapshot from {@link Rng.getState}; validates it. */
  setState(state: RngState): void {
    if (state?.algorithm !== 'xoshiro128**' || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new TypeError('Rng.setState: expected { algorithm: "xoshiro128**", s: [4 uint32], spare }');
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

  /** An independent copy with the same state. */
  clone(): Rng {
    const r = new Rng(0);
    r.setState(this.getState());
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
