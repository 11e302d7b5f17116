import type { AleaState } from './kernels/randomKernel';

/**
 * The values of `tf.randomNormal(shape, 0, 1, 'float32', seed)` for `n` entries — tfjs-core's
 * Marsaglia polar method on seedrandom's Alea generator seeded with `String(seed)` (tfjs-core 4.x,
 * seedrandom 3.x), the same arithmetic in the same order — written straight into an array, without
 * a closure call per uniform and per value. `seed` must be non-zero (tfjs draws a random seed for 0).
 * (`kernels/randomKernel.ts` computes the same values on a WebAssembly kernel from {@link aleaState}.)
 */
export function randomNormalArray(n: number, seed: number): Float32Array {
  return normalsFrom(aleaState(seed), n);
}

/** Alea's state seeded with `String(seed)`, before the first draw (seedrandom's Mash). */
export function aleaState(seed: number): AleaState {
  if (!seed) throw new Error('randomNormalArray: seed must be non-zero');
  // seedrandom's Mash
  let m = 0xefc8249d;
  const mash = (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      m += data.charCodeAt(i);
      let h = 0.02519603282416938 * m;
      m = h >>> 0;
      h -= m;
      h *= m;
      m = h >>> 0;
      h -= m;
      m += h * 0x100000000;
    }
    return (m >>> 0) * 2.3283064365386963e-10;
  };
  // Alea's state
  const key = String(seed);
  let c = 1;
  let s0 = mash(' ');
  let s1 = mash(' ');
  let s2 = mash(' ');
  s0 -= mash(key);
  if (s0 < 0) s0 += 1;
  s1 -= mash(key);
  if (s1 < 0) s1 += 1;
  s2 -= mash(key);
  if (s2 < 0) s2 += 1;
  return { s0, s1, s2, c };
}

/** {@link randomNormalArray}'s loop from a given Alea state. */
function normalsFrom(state: AleaState, n: number): Float32Array {
  let { s0, s1, s2, c } = state;
  const out = new Float32Array(n);
  let i = 0;
  while (i < n) {
    let v1: number;
    let v2: number;
    let s: number;
    do {
      let t = 2091639 * s0 + c * 2.3283064365386963e-10;
      s0 = s1;
      s1 = s2;
      c = t | 0;
      s2 = t - c;
      v1 = 2 * s2 - 1;
      t = 2091639 * s0 + c * 2.3283064365386963e-10;
      s0 = s1;
      s1 = s2;
      c = t | 0;
      s2 = t - c;
      v2 = 2 * s2 - 1;
      s = v1 * v1 + v2 * v2;
    } while (s >= 1 || s === 0);
    const mul = Math.sqrt((-2.0 * Math.log(s)) / s);
    out[i++] = 0 + 1 * v1 * mul;
    if (i < n) out[i++] = 0 + 1 * v2 * mul;
  }
  return out;
}
