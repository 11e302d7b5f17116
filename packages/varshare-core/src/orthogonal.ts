import type { Rng } from './rng';

/**
 * Orthogonal initialisation with gain, as `torch.nn.init.orthogonal_` (used by CleanRL's
 * `layer_init`): a Gaussian matrix, QR-decomposed, Q's columns sign-corrected by diag(R), scaled by
 * `gain`. Computed in float64 on the CPU from the seeded `rng`, so it is backend-independent.
 *
 * @param rows input dimension (our weights are stored `[in, out]`)
 * @param cols output dimension
 * @returns row-major `[rows, cols]`; orthonormal columns if rows ≥ cols, orthonormal rows otherwise,
 *   times `gain`.
 */
export function orthogonalInit(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols; // long side
  const n = tall ? cols : rows; // short side
  // a: m x n column-major columns for Gram–Schmidt.
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = rng.normal();
    q.push(col);
  }
  // Modified Gram–Schmidt twice ("twice is enough") for numerical orthogonality; R's diagonal sign
  // is the sign of the first pass's norms, which are positive, matching QR with sign correction.
  // Right-looking: once column k has all its projections it is normalised and projected out of every
  // later column. Each column receives the same projections in the same order (k ascending) as
  // in the column-by-column form, so the values are those; the later columns' dot products are
  // independent, so four run interleaved (a dot product is a chain of dependent adds).
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < n; k++) {
      const ck = q[k] as Float64Array;
      let norm = 0;
      for (let i = 0; i < m; i++) norm += (ck[i] as number) ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < m; i++) ck[i] = (ck[i] as number) / norm;
      let j = k + 1;
      for (; j + 4 <= n; j += 4) {
        const c0 = q[j] as Float64Array;
        const c1 = q[j + 1] as Float64Array;
        const c2 = q[j + 2] as Float64Array;
        const c3 = q[j + 3] as Float64Array;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let i = 0; i < m; i++) {
          const x = ck[i] as number;
          d0 += x * (c0[i] as number);
          d1 += x * (c1[i] as number);
          d2 += x * (c2[i] as number);
          d3 += x * (c3[i] as number);
        }
        for (let i = 0; i < m; i++) {
          const x = ck[i] as number;
          c0[i] = (c0[i] as number) - d0 * x;
          c1[i] = (c1[i] as number) - d1 * x;
          c2[i] = (c2[i] as number) - d2 * x;
          c3[i] = (c3[i] as number) - d3 * x;
        }
      }
      for (; j < n; j++) {
        const cj = q[j] as Float64Array;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += (ck[i] as number) * (cj[i] as number);
        for (let i = 0; i < m; i++) cj[i] = (cj[i] as number) - dot * (ck[i] as number);
      }
    }
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // tall: column c of Q is output column c; wide: column r of Q is output row r.
      const v = tall ? (q[c] as Float64Array)[r] : (q[r] as Float64Array)[c];
      out[r * cols + c] = gain * (v as number);
    }
  }
  return out;
}
