import { describe, expect, it } from 'vitest';
import { Rng } from '../rng';
import { relaxedSimdAvailable } from './instantiate';
import type { MatmulKernel } from './matmulKernel';
import { wasmKernels } from './wasmKernels';

const matmul = (): MatmulKernel => wasmKernels()!.matmul;

/** C = op(A)·op(B) in float64, straight from the definition. */
function reference(a: Float32Array, ta: boolean, b: Float32Array, tb: boolean, T: number, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(T * n * m);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a[t * n * k + p * n + i]! : a[t * n * k + i * k + p]!;
          const bv = tb ? b[t * k * m + j * k + p]! : b[t * k * m + p * m + j]!;
          s += av * bv;
        }
        out[t * n * m + i * m + j] = s;
      }
    }
  }
  return out;
}

describe('MatmulKernel (gemm.wat)', () => {
  it('equals the float64 definition for every transpose flag and for shapes that need padding', () => {
    expect(wasmKernels()).not.toBeNull();
    const rng = new Rng(3);
    for (const [T, n, k, m] of [[1, 1, 1, 1], [3, 5, 7, 9], [10, 32, 64, 64], [2, 33, 4, 2], [2, 26, 39, 17], [1, 4, 8, 8]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = Float32Array.from({ length: T * n * k }, () => rng.normal());
          const b = Float32Array.from({ length: T * k * m }, () => rng.normal());
          const got = matmul().bmm(a, ta, b, tb, T, n, k, m);
          const want = reference(a, ta, b, tb, T, n, k, m);
          expect(got.length).toBe(want.length);
          let worst = 0;
          for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!)));
          expect(worst, `T=${T} n=${n} k=${k} m=${m} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('adds each term by a fused multiply-add (relaxed SIMD, enabled by the core on Node 20): one rounding per term', () => {
    expect(relaxedSimdAvailable()).toBe(true);
    // −(1 + 2⁻¹¹)·1 + (1 + 2⁻¹²)²: the last product is 1 + 2⁻¹¹ + 2⁻²⁴ exactly, which float32 rounds
    // to 1 + 2⁻¹¹ (a tie, to even); fused, the sum keeps the 2⁻²⁴ (V8 fuses on x86-64 with FMA3 and
    // on arm64, the machines this runs on); a multiply then an add would give 0
    const a = Float32Array.from([-(1 + 2 ** -11), 1 + 2 ** -12]);
    const b = Float32Array.from([1, 1 + 2 ** -12]);
    for (const [ta, tb] of [[false, false], [true, true]] as const) expect(Array.from(matmul().bmm(a, ta, b, tb, 1, 1, 2, 1))).toEqual([2 ** -24]);
  });

  it('does not depend on the other blocks of the batch, and rejects inconsistent sizes', () => {
    const rng = new Rng(4);
    const [n, k, m] = [6, 5, 3];
    const a = Float32Array.from({ length: 3 * n * k }, () => rng.normal());
    const b = Float32Array.from({ length: 3 * k * m }, () => rng.normal());
    const all = matmul().bmm(a, false, b, false, 3, n, k, m);
    const one = matmul().bmm(a.slice(n * k, 2 * n * k), false, b.slice(k * m, 2 * k * m), false, 1, n, k, m);
    expect(Array.from(all.slice(n * m, 2 * n * m))).toEqual(Array.from(one));
    expect(() => matmul().bmm(a, false, b, false, 3, n, k, m + 1)).toThrow(/b has 45 values, expected T·k·m = 60/);
    expect(() => matmul().bmm(a, false, b, false, 0, n, k, m)).toThrow(/T must be a positive integer/);
  });

  it('counts calls and flops (2·T·n·k·m per product) until reset', () => {
    const mm = matmul();
    mm.resetStats();
    mm.bmm(new Float32Array(2 * 3 * 4), false, new Float32Array(2 * 4 * 5), false, 2, 3, 4, 5);
    mm.bmm(new Float32Array(1), true, new Float32Array(1), true, 1, 1, 1, 1);
    const s = mm.stats();
    expect(s.calls).toBe(2);
    expect(s.flops).toBe(2 * 2 * 3 * 4 * 5 + 2);
    expect(s.ms).toBeGreaterThanOrEqual(0);
    mm.resetStats();
    expect(mm.stats()).toEqual({ calls: 0, flops: 0, ms: 0, threadedCalls: 0 });
  });
});
