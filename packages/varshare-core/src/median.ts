/**
 * Median of the values (mean of the two middle values for even counts) by quickselect on a copy;
 * O(n) on average. NaN for an empty input.
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  // float32 input is selected in a float32 copy (a plain memory copy; the same values).
  const a = values instanceof Float32Array ? values.slice() : Float64Array.from(values as ArrayLike<number>);
  const hi = select(a, n >> 1);
  if (n % 2 === 1) return hi;
  // The lower middle is the maximum of the left part after selection.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if ((a[i] as number) > lo) lo = a[i] as number;
  return (lo + hi) / 2;
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
