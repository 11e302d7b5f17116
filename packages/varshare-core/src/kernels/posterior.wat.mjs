// Generator of posterior.wat (run by tools/wasm/build.mjs, which writes posterior.wat next to this
// file and assembles it). The kernel is written once per group of 4 lanes here and emitted for
// UNROLL independent groups with their statements interleaved: the polynomial chains are
// latency-bound, and interleaved chains run ~2× faster per element than one.
//
// With e = exp(−|ρ|) ∈ (0, 1]: log1p(e) = e·R(e) and, for ρ ≤ 0, log σ = log(e·R(e)) = ρ + H(e),
// where R(e) = log1p(e)/e and H = log R are smooth on [0, 1] and replaced by polynomials (float64
// least squares on Chebyshev nodes, degree 9 and 8: |ΔR/R| < 5e-9, |ΔH| < 1.1e-8 before float32
// rounding). Only lane groups holding some ρ > 0 (σ > log 2, rare) take a full logarithm.

const UNROLL = 4;

import { K, I, g, k, expGroup } from './simdMath.mjs';

/** R(e) = log1p(e)/e ≈ Σ r_i eⁱ and H(e) = log R(e) ≈ Σ h_i eⁱ on [0, 1]. */
const R = [0.9999999954, -0.4999990399, 0.3333000404, -0.2495455887, 0.1967811726, -0.1531186311, 0.1061426469, -0.05706420081, 0.01990716095, -0.003256378479];
const H = [-1.043363556e-8, -0.4999982377, 0.2082837371, -0.1244528667, 0.08404319371, -0.05557280245, 0.03041553832, -0.01118781896, 0.00195635425];
const PK = Object.fromEntries([...R.map((c, i) => [`r${i}`, c]), ...H.map((c, i) => [`h${i}`, c])]);

/**
 * Estrin evaluation of Σ c_i xⁱ (coefficients named `${name}${i}`, degree 8 or 9) for one lane
 * group: pairs c_2j + c_2j+1·x, combined with x² and x⁴. Needs x2/x4 of the group set already.
 */
function estrin(s, name, degree, x, dst) {
  const c = (i) => g(`k_${name}${i}`);
  const pair = (i) => (i + 1 <= degree ? `(f32x4.add ${c(i)} (f32x4.mul ${c(i + 1)} ${x}))` : c(i));
  const x2 = g(`x2${s}`);
  const x4 = g(`x4${s}`);
  // q0 = p01 + p23·x², q1 = p45 + p67·x², P = q0 + x⁴·(q1 + x⁴·p89)
  return [[dst, `(f32x4.add (f32x4.add ${pair(0)} (f32x4.mul ${pair(2)} ${x2})) (f32x4.mul ${x4} (f32x4.add (f32x4.add ${pair(4)} (f32x4.mul ${pair(6)} ${x2})) (f32x4.mul ${x4} ${pair(8)}))))`]];
}

/** Statements of log for one lane group: sets `dst` from `src` (a positive normal float). */
function logGroup(s, src, dst) {
  return [
    // src = 2^kk · m', m' ∈ [½, 1); when m' < √½: kk − 1 and m = 2m' − 1, else m = m' − 1
    [`kk${s}`, `(i32x4.sub (i32x4.shr_u ${g(src)} (i32.const 23)) ${g('k_i126')})`],
    [`m${s}`, `(v128.or (v128.and ${g(src)} ${g('k_mantMask')}) ${g('k_halfBits')})`],
    [`mask${s}`, `(f32x4.lt ${g(`m${s}`)} ${k('sqrthf')})`],
    [`kf${s}`, `(f32x4.convert_i32x4_s (i32x4.add ${g(`kk${s}`)} ${g(`mask${s}`)}))`],
    [`m${s}`, `(f32x4.sub (f32x4.add ${g(`m${s}`)} (v128.and ${g(`m${s}`)} ${g(`mask${s}`)})) ${k('one')})`],
    [`z${s}`, `(f32x4.mul ${g(`m${s}`)} ${g(`m${s}`)})`],
    // Estrin: P = ((t0 z + t1) z² + (t2 z + t3)) m + q8, t_i = q_2i m + q_2i+1
    [`a${s}`, `(f32x4.add (f32x4.mul ${k('q0')} ${g(`m${s}`)}) ${k('q1')})`],
    [`b${s}`, `(f32x4.add (f32x4.mul ${k('q2')} ${g(`m${s}`)}) ${k('q3')})`],
    [`c${s}`, `(f32x4.add (f32x4.mul ${k('q4')} ${g(`m${s}`)}) ${k('q5')})`],
    [`d${s}`, `(f32x4.add (f32x4.mul ${k('q6')} ${g(`m${s}`)}) ${k('q7')})`],
    [`a${s}`, `(f32x4.add (f32x4.mul ${g(`a${s}`)} ${g(`z${s}`)}) ${g(`b${s}`)})`],
    [`c${s}`, `(f32x4.add (f32x4.mul ${g(`c${s}`)} ${g(`z${s}`)}) ${g(`d${s}`)})`],
    [`a${s}`, `(f32x4.add (f32x4.mul (f32x4.add (f32x4.mul ${g(`a${s}`)} (f32x4.mul ${g(`z${s}`)} ${g(`z${s}`)})) ${g(`c${s}`)}) ${g(`m${s}`)}) ${k('q8')})`],
    // y = m·z·P + kf·ln2lo − z/2;  log = (m + y) + kf·ln2hi
    [`a${s}`, `(f32x4.sub (f32x4.add (f32x4.mul (f32x4.mul ${g(`a${s}`)} ${g(`m${s}`)}) ${g(`z${s}`)}) (f32x4.mul ${g(`kf${s}`)} ${k('ln2lo')})) (f32x4.mul ${g(`z${s}`)} ${k('half')}))`],
    [dst, `(f32x4.add (f32x4.add ${g(`m${s}`)} ${g(`a${s}`)}) (f32x4.mul ${g(`kf${s}`)} ${k('ln2hi')}))`],
  ];
}

/** All statements for one lane group s at byte offset `off` from $i. */
function group(s, off) {
  const at = (base) => (off ? `(i32.add (i32.add ${g(base)} ${g('i')}) (i32.const ${off}))` : `(i32.add ${g(base)} ${g('i')})`);
  return [
    [`rho${s}`, `(v128.load ${at('in')})`],
    ...expGroup(s, `(f32x4.neg (f32x4.abs ${g(`rho${s}`)}))`),
    [`x2${s}`, `(f32x4.mul ${g(`e${s}`)} ${g(`e${s}`)})`],
    [`x4${s}`, `(f32x4.mul ${g(`x2${s}`)} ${g(`x2${s}`)})`],
    ...estrin(s, 'r', R.length - 1, g(`e${s}`), `rr${s}`),
    ...estrin(s, 'h', H.length - 1, g(`e${s}`), `hh${s}`),
    // σ = max(ρ, 0) + e·R(e);  log σ = ρ + H(e) (ρ ≤ 0; other lanes are redone below)
    [`sig${s}`, `(f32x4.add (f32x4.pmax ${g(`rho${s}`)} ${k('zero')}) (f32x4.mul ${g(`e${s}`)} ${g(`rr${s}`)}))`],
    [`logsig${s}`, `(f32x4.add ${g(`rho${s}`)} ${g(`hh${s}`)})`],
    [null, `(v128.store ${at('out')} ${g(`sig${s}`)})`],
    [null, `(v128.store ${at('o1')} (f32x4.div (v128.bitselect ${k('one')} ${g(`e${s}`)} (f32x4.ge ${g(`rho${s}`)} ${k('zero')})) (f32x4.add ${g(`e${s}`)} ${k('one')})))`],
    [null, `(v128.store ${at('o2')} ${g(`logsig${s}`)})`],
  ];
}

/** Where a group holds some ρ > 0: log σ by the full logarithm for those lanes. */
function positiveFix(s, off) {
  const at = (base) => (off ? `(i32.add (i32.add ${g(base)} ${g('i')}) (i32.const ${off}))` : `(i32.add ${g(base)} ${g('i')})`);
  const stmts = [...logGroup(s, `sig${s}`, `full${s}`), [null, `(v128.store ${at('o2')} (v128.bitselect ${g(`full${s}`)} ${g(`logsig${s}`)} (f32x4.gt ${g(`rho${s}`)} ${k('zero')})))`]];
  const body = stmts.map(([dst, expr]) => (dst ? `            (local.set $${dst} ${expr})` : `            ${expr}`)).join('\n');
  return { stmts, text: `        (if (v128.any_true (f32x4.gt ${g(`rho${s}`)} ${k('zero')}))\n          (then\n${body}))` };
}

export default function generate() {
  const groups = Array.from({ length: UNROLL }, (_, u) => group(`_${u}`, 16 * u));
  const fixes = Array.from({ length: UNROLL }, (_, u) => positiveFix(`_${u}`, 16 * u));
  const locals = new Set();
  for (const grp of [...groups, ...fixes.map((f) => f.stmts)]) for (const [dst] of grp) if (dst) locals.add(dst);
  const lines = [];
  for (let j = 0; j < (groups[0] ?? []).length; j++) {
    for (const grp of groups) {
      const [dst, expr] = grp[j];
      lines.push(dst ? `        (local.set $${dst} ${expr})` : `        ${expr}`);
    }
  }
  for (const f of fixes) lines.push(f.text);
  const step = 16 * UNROLL;
  return `;; GENERATED by posterior.wat.mjs (tools/wasm/build.mjs): edit that file, then npm run build:wasm.
;;
;; σ = softplus(ρ) and the quantities the posterior ops need from it, in one pass over ρ with
;; 128-bit SIMD, for @varshare/core (src/kernels/posteriorKernel.ts; posteriorOps.ts' SigmaCache).
;;
;; The module works on the kernel memory it imports (shared, or the unshared build): σ and σ' are
;; written where the dense and KL kernels read them.
;;
;; sigma(in, out, o1, o2, n): n a multiple of ${4 * UNROLL} (the caller does the rest on a padded
;; copy); with ρ = in[i] (float32), e = exp(−|ρ|) and u = 1 + e:
;;   out[i] = σ  = max(ρ, 0) + log1p(e)
;;   o1[i]  = σ' = sigmoid(ρ) = (ρ ≥ 0 ? 1 : e) / u
;;   o2[i]  = log σ
;; log1p(e) = e·R(e) and, for ρ ≤ 0, log σ = ρ + H(e), with polynomials R ≈ log1p(e)/e (degree 9)
;; and H ≈ log R (degree 8) on [0, 1]; a group of 4 lanes with some ρ > 0 takes the full log for
;; those lanes. exp and log are the Cephes single-precision polynomials; polynomials are evaluated
;; in Estrin form; ρ below −87 is treated as −87 (σ ≥ 1.6e−38, a normal float). ${UNROLL} groups of
;; 4 lanes per iteration, interleaved.
;;
;; blocksums(src, n, block, out): float64 sums of consecutive blocks (Σ log σ per task).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; the multiple of n the caller must pad to
  (func (export "lanes") (result i32) (i32.const ${4 * UNROLL}))
  (func (export "sigma") (param $in i32) (param $out i32) (param $o1 i32) (param $o2 i32) (param $n i32)
    (local $i i32)
    ${[...Object.keys(K).map((c) => `k_${c}`), ...Object.keys(PK).map((c) => `k_${c}`), ...Object.keys(I).map((c) => `k_${c}`), ...locals].map((l) => `(local $${l} v128)`).join(' ')}
${Object.entries({ ...K, ...PK }).map(([c, v]) => `    (local.set $k_${c} (f32x4.splat (f32.const ${v})))`).join('\n')}
${Object.entries(I).map(([c, v]) => `    (local.set $k_${c} (i32x4.splat (i32.const ${v})))`).join('\n')}
    (block $done
      (br_if $done (i32.eqz ${g('n')}))
      (loop $lanes
${lines.join('\n')}
        (local.set $i (i32.add ${g('i')} (i32.const ${step})))
        (br_if $lanes (i32.lt_u ${g('i')} (i32.shl ${g('n')} (i32.const 2)))))))
  ;; blocksums(src, n, block, out): out[b] = Σ src[b·block .. (b+1)·block) in float64 (float32 src,
  ;; float64 out; n a multiple of block); four lanes promoted in pairs, then a scalar tail per block.
  (func (export "blocksums") (param $src i32) (param $n i32) (param $block i32) (param $out i32)
    (local $b i32) (local $end i32) (local $vend i32) (local $p i32) (local $x v128) (local $acc v128) (local $s f64)
    (block $done
      (br_if $done (i32.or (i32.eqz ${g('n')}) (i32.eqz ${g('block')})))
      (loop $blocks
        (local.set $p (i32.add ${g('src')} (i32.shl (i32.mul ${g('b')} ${g('block')}) (i32.const 2))))
        (local.set $end (i32.add ${g('p')} (i32.shl ${g('block')} (i32.const 2))))
        (local.set $vend (i32.add ${g('p')} (i32.shl (i32.and ${g('block')} (i32.const -4)) (i32.const 2))))
        (local.set $acc (v128.const i64x2 0 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_u ${g('p')} ${g('vend')}))
            (local.set $x (v128.load ${g('p')}))
            (local.set $acc (f64x2.add ${g('acc')} (f64x2.promote_low_f32x4 ${g('x')})))
            (local.set $acc (f64x2.add ${g('acc')} (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${g('x')} ${g('x')}))))
            (local.set $p (i32.add ${g('p')} (i32.const 16)))
            (br $vec)))
        (local.set $s (f64.add (f64x2.extract_lane 0 ${g('acc')}) (f64x2.extract_lane 1 ${g('acc')})))
        (block $scalarDone
          (loop $scalar
            (br_if $scalarDone (i32.ge_u ${g('p')} ${g('end')}))
            (local.set $s (f64.add ${g('s')} (f64.promote_f32 (f32.load ${g('p')}))))
            (local.set $p (i32.add ${g('p')} (i32.const 4)))
            (br $scalar)))
        (f64.store (i32.add ${g('out')} (i32.shl ${g('b')} (i32.const 3))) ${g('s')})
        (local.set $b (i32.add ${g('b')} (i32.const 1)))
        (br_if $blocks (i32.lt_u (i32.mul ${g('b')} ${g('block')}) ${g('n')})))))
)
`;
}
