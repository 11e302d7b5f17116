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
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < n; j++) {
      const cj = q[j] as Float64Array;
      for (let k = 0; k < j; k++) {
        const ck = q[k] as Float64Array;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += (ck[i] as number) * (cj[i] as number);
        for (let i = 0; i < m; i++) cj[i] = (cj[i] as number) - dot * (ck[i] as number);
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += (cj[i] as number) ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < m; i++) cj[i] = (cj[i] as number) / norm;
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
