/**
 * Median of the values (mean of the two middle values for even counts); O(n). NaN for an empty
 * input. Large float32 arrays (≥ 2¹⁷ entries: the posterior diagnostics' σ and |μ| of 400-wide
 * networks, millions per update) are selected by radix on their bit patterns, two passes over
 * 16-bit digits without copying or reordering the input (NaN if they hold a NaN); other inputs by
 * quickselect on a copy (float32 input in float32: the same values).
 */
/** Smallest float32 input selected by radix (below it, quickselect is faster). */
const RADIX_MIN = 1 << 17;

export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  // Radix selection costs two passes plus two scans of 65,536 buckets: worth it for large inputs.
  if (values instanceof Float32Array && n >= RADIX_MIN) return radixMedian(values);
  // float32 input is selected in a float32 copy (a plain memory copy; the same values).
  const a = values instanceof Float32Array ? values.slice() : Float64Array.from(values as ArrayLike<number>);
  const hi = select(a, n >> 1);
  if (n % 2 === 1) return hi;
  // The lower middle is the maximum of the left part after selection.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if ((a[i] as number) > lo) lo = a[i] as number;
  return (lo + hi) / 2;
}

/**
 * The float32 bit pattern as an unsigned key with the order of the values: negative floats have
 * all bits flipped, non-negative ones the sign bit set. (−0 sorts just below +0; both are 0.)
 */
function sortKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

function keyToFloat(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key;
  const u = new Uint32Array([bits >>> 0]);
  return new Float32Array(u.buffer)[0] as number;
}

/** Exact median of a float32 array by radix selection (see {@link median}); exported for tests. */
export function radixMedian(values: Float32Array): number {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  // Pass 1: histogram of the high 16 bits of the keys.
  const high = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const b = bits[i] as number;
    if ((b & 0x7fffffff) > 0x7f800000) return Number.NaN;
    const top = sortKey(b) >>> 16;
    high[top] = (high[top] as number) + 1;
  }
  const ranks = n % 2 === 1 ? [n >> 1] : [(n >> 1) - 1, n >> 1];
  const found = ranks.map((k) => {
    let below = 0;
    let bucket = 0;
    while (below + (high[bucket] as number) <= k) below += high[bucket++] as number;
    return { k, bucket, rankInBucket: k - below };
  });
  // Pass 2: histogram of the low 16 bits within the bucket(s) holding the middle rank(s).
  const buckets = [...new Set(found.map((f) => f.bucket))];
  const low = buckets.map(() => new Uint32Array(65536));
  for (let i = 0; i < n; i++) {
    const key = sortKey(bits[i] as number);
    const j = buckets.indexOf(key >>> 16);
    if (j >= 0) {
      const h = low[j] as Uint32Array;
      h[key & 0xffff] = (h[key & 0xffff] as number) + 1;
    }
  }
  const at = found.map(({ bucket, rankInBucket }) => {
    const h = low[buckets.indexOf(bucket)] as Uint32Array;
    let below = 0;
    let digit = 0;
    while (below + (h[digit] as number) <= rankInBucket) below += h[digit++] as number;
    return keyToFloat(((bucket << 16) | digit) >>> 0);
  });
  return at.length === 1 ? (at[0] as number) : ((at[0] as number) + (at[1] as number)) / 2;
}

/** k-th smallest (0-based), partially reordering `a` so that a[0..k) ≤ a[k] ≤ a(k..n). */
function select(a: Float32Array | Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (left < right) {
    const pivot = a[(left + right) >> 1] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k] as number;
  }
  return a[k] as number;
}
