/**
 * Small seedable PRNG for the statistics (bootstrap resampling). Never the global unseeded generator: every draw
 * comes from a generator that the caller creates from a seed and passes in.
 *
 * Algorithm: xoshiro128** 1.1 (Blackman & Vigna, 2018) with a 128-bit state, seeded by expanding a
 * 32-bit seed with splitmix32 (as the xoshiro authors recommend, so nearby seeds give unrelated
 * streams and the state is never all zero).
 */

/** A source of uniform random numbers. `stats.ts` only needs this interface. */
export interface Rng {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, n) without modulo bias; `n` must be an integer in [1, 2^32]. */
  nextInt(n: number): number;
  /** The four 32-bit state words, for checkpointing; `createRngFromState(getState())` continues the stream. */
  getState(): readonly [number, number, number, number];
}

/** splitmix32 step: returns [output, nextState]. Constants from the 32-bit variant of splitmix (mix32 of Stafford/Vigna). */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return [z, next];
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new Error('xoshiro128** state must not be all zero');
    }
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    // 27 + 26 = 53 bits, the same construction as numpy/MT's genrand_res53.
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`nextInt(n): n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling: accept only draws below the largest multiple of n, so every residue is equally likely.
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  getState(): readonly [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}

/**
 * Creates a generator from a seed (any finite number; it is reduced to 32 bits with `>>> 0`, so use
 * integers in [0, 2^32)). Same seed ⇒ same stream on every platform.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`createRng(seed): seed must be finite, got ${seed}`);
  let s = seed >>> 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [out, next] = splitmix32(s);
    words.push(out);
    s = next;
  }
  const state = words as [number, number, number, number];
  // splitmix32 is a bijection of its counter, so four consecutive outputs can't all be zero; keep the guard anyway.
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return new Xoshiro128StarStar(state);
}

/** Re-creates a generator from `rng.getState()` (e.g. after loading a checkpoint). Throws on an all-zero state. */
export function createRngFromState(state: readonly [number, number, number, number]): Rng {
  return new Xoshiro128StarStar(state);
}
