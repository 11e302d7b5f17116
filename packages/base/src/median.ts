/** Smallest float32 input selected by radix (below it, quickselect is faster). */
const RADIX_MIN = 1 << 17;

/**
 * Median of the values: the middle value, the mean (a + b)/2 of the two middle values for even
 * counts; O(n), does not modify `values`. The one median of the project: the posterior diagnostics
 * (core), R_raw, and exp4's c = median_m Δ̄_m (controllers). NaN for an empty input or any NaN (the
 * median of data holding NaN is undefined; it must not be sorted away). Large float32 arrays
 * (≥ 2¹⁷ entries: the posterior diagnostics' σ and |μ| of 400-wide networks, millions per update)
 * are selected by radix on their bit patterns, two passes over 16-bit digits without copying or
 * reordering the input; other inputs by quickselect on a copy (float32 input in float32: the same
 * values).
 * @param values numbers, shape [n]
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  // Radix selection costs two passes plus two scans of 65,536 buckets: worth it for large inputs.
  if (values instanceof Float32Array && n >= RADIX_MIN) return radixMedian(values);
  // float32 input is selected in a float32 copy (a plain memory copy; the same values).
  const a = values instanceof Float32Array ? values.slice() : Float64Array.from(values as ArrayLike<number>);
  // Quickselect's comparisons are all false for NaN, which would leave an arbitrary order.
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i] as number)) return Number.NaN;
  const hi = select(a, n >> 1);
  if (n % 2 === 1) return hi;
  // The lower middle is the maximum of the left part after selection.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if ((a[i] as number) > lo) lo = a[i] as number;
  return (lo + hi) / 2;
}

/**
 * Keys: the float32 bit pattern as an unsigned number with the order of the values — negative
 * floats have all bits flipped, non-negative ones the sign bit set (−0 sorts just below +0).
 * keyToFloat inverts that (also for core's median kernel, which selects such keys in wasm).
 */
export function keyToFloat(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key;
  const u = new Uint32Array([bits >>> 0]);
  return new Float32Array(u.buffer)[0] as number;
}

/** Exact median of a float32 array by radix selection (see {@link median}); exported for tests. */
export function radixMedian(values: Float32Array): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  // Pass 1: histogram of the high 16 bits of the order-preserving keys (see sortKey).
  const high = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i] as number;
    if ((b & 0x7fffffff) > 0x7f800000) return Number.NaN;
    const top = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 16;
    high[top] = (high[top] as number) + 1;
  }
  // The middle rank(s) and the high-16-bit bucket holding each.
  const kHi = n >> 1;
  const kLo = n % 2 === 1 ? kHi : kHi - 1;
  const locate = (k: number): [number, number] => {
    let below = 0;
    let bucket = 0;
    while (below + (high[bucket] as number) <= k) below += high[bucket++] as number;
    return [bucket, k - below];
  };
  const [bLo, rLo] = locate(kLo);
  const [bHi, rHi] = locate(kHi);
  // Pass 2: histogram of the low 16 bits within those (one or two) buckets.
  const lowLo = new Uint32Array(65536);
  const lowHi = bHi === bLo ? lowLo : new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i] as number;
    const key = (b & 0x80000000 ? ~b : b | 0x80000000) >>> 0;
    const top = key >>> 16;
    if (top === bLo) lowLo[key & 0xffff] = (lowLo[key & 0xffff] as number) + 1;
    else if (top === bHi) lowHi[key & 0xffff] = (lowHi[key & 0xffff] as number) + 1;
  }
  const pick = (bucket: number, rank: number, h: Uint32Array): number => {
    let below = 0;
    let digit = 0;
    while (below + (h[digit] as number) <= rank) below += h[digit++] as number;
    return keyToFloat(((bucket << 16) | digit) >>> 0);
  };
  const hi = pick(bHi, rHi, lowHi);
  return kLo === kHi ? hi : (pick(bLo, rLo, lowLo) + hi) / 2;
}

/**
 * k-th smallest (0-based), partially reordering `a` so that a[0..k) ≤ a[k] ≤ a(k..n): Floyd and
 * Rivest's SELECT (CACM 1975, algorithm 489) — on a range of over 600 values it first selects
 * within a sample-sized subrange around where the k-th value should fall, so the partition that
 * follows starts from a pivot close to it (1.3–2× faster than a middle-element quickselect on the
 * posterior diagnostics' arrays of 2,560–89,600 float32 values, measured).
 */
function select(a: Float32Array | Float64Array, k: number, left = 0, right = a.length - 1): number {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const i = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i - n / 2 < 0 ? -1 : 1);
      select(a, k, Math.max(left, Math.floor(k - (i * s) / n + sd)), Math.min(right, Math.floor(k + ((n - i) * s) / n + sd)));
    }
    const t = a[k] as number;
    let i = left;
    let j = right;
    swap(a, left, k);
    if ((a[right] as number) > t) swap(a, right, left);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while ((a[i] as number) < t) i++;
      while ((a[j] as number) > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
  return a[k] as number;
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/**
 * Median absolute deviation from the median, UNSCALED: MAD = median_i |x_i − median(x)|.
 * The spec's exp4 writes "MAD"; no 1.4826 normal-consistency factor is applied (with it, z_m and
 * therefore σ_prior,m for a given κ would change by that factor). NaN for an empty input or any NaN.
 * @param values numbers, shape [n]
 */
export function medianAbsoluteDeviation(values: ArrayLike<number>): number {
  const c = median(values);
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs((values[i] as number) - c);
  return median(dev);
}
