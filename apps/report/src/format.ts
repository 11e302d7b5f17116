/** Number formatting shared by the HTML, Markdown and summary text. */

/** Compact human number: NaN → "–"; |x| ≥ 1000 → no decimals; otherwise 3 significant digits. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  return String(Number(x.toPrecision(3)));
}

/** `point [lo, hi]`. */
export function fmtCI(ci: { readonly point: number; readonly lo: number; readonly hi: number }): string {
  return `${fmt(ci.point)} [${fmt(ci.lo)}, ${fmt(ci.hi)}]`;
}

/** Signed number: "+3.2", "−1.5". */
export function fmtSigned(x: number): string {
  if (Number.isNaN(x)) return '–';
  return x > 0 ? `+${fmt(x)}` : x < 0 ? `−${fmt(-x)}` : '0';
}

/** "{1, 2, 3}". */
export function fmtSet(xs: readonly number[]): string {
  return `{${xs.join(', ')}}`;
}
