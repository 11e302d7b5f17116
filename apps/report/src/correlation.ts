/**
 * Rank correlation for the diagnostics the spec asks to "correlate" (σ_prior with |μ| and task
 * performance). `@varshare/metrics` has no correlation, so it lives here.
 */

/**
 * Average ranks (1-based), ties share the mean of the ranks they span: [10, 20, 20, 30] → [1, 2.5, 2.5, 4].
 */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  const ranks = new Array<number>(xs.length).fill(0);
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end + 1 < order.length && (order[end + 1] as { x: number }).x === (order[k] as { x: number }).x) end++;
    const rank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) ranks[(order[t] as { i: number }).i] = rank;
    k = end + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN for fewer than 2 points, any NaN, a length mismatch, or zero variance. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] as number;
    my += ys[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman rank correlation ρ = Pearson correlation of the average ranks (handles ties, as
 * scipy.stats.spearmanr). NaN for fewer than 2 points, any NaN, or a constant input.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length || xs.length < 2) return Number.NaN;
  if (xs.some(Number.isNaN) || ys.some(Number.isNaN)) return Number.NaN;
  return pearson(averageRanks(xs), averageRanks(ys));
}
