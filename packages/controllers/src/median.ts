/**
 * Median of plain numbers (the robust centre used by the spec's R statistic and by exp4's c = median_m).
 * Even length → mean of the two middle values. Any NaN → NaN (the median of data containing NaN is
 * undefined; NaN must not be silently sorted away). Does not modify `values`.
 * @param values numbers, shape [n], n ≥ 1
 * @throws RangeError when `values` is empty
 */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) throw new RangeError('median: values is empty');
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) return Number.NaN;
    sorted[i] = v;
  }
  sorted.sort();
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median absolute deviation from the median, UNSCALED: MAD = median_i |x_i − median(x)|.
 * The spec's exp4 writes "MAD"; no 1.4826 normal-consistency factor is applied (with it, z_m and
 * therefore σ_prior,m for a given κ would change by that factor).
 * @param values numbers, shape [n], n ≥ 1
 */
export function medianAbsoluteDeviation(values: ArrayLike<number>): number {
  const c = median(values);
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs((values[i] as number) - c);
  return median(dev);
}
