// Generator of posterior.wat (run by tools/wasm/build.mjs, which writes posterior.wat next to this
// file and assembles it). The kernel is written once per group of 4 lanes here and emitted for
// UNROLL independent groups with their statements interleaved: the polynomial chains of exp and log
// are latency-bound, and two interleaved chains run ~2× faster per element than one.

const UNROLL = 4;

/** f32 constants, hoisted into locals (V8 re-materialises a splat per use inside a loop). */
const K = {
  one: 1.0, zero: 0.0, pow2bias: 8388735.0, half: 0.5, expMin: -87.0, log2e: 1.44269504088896341,
  ln2hi: 0.693359375, ln2lo: -2.12194440e-4, sqrthf: 0.707106781186547524,
  // Cephes expf: exp(r) ≈ 1 + r + r²·(p0 r⁵… + p5), |r| ≤ ln2/2
  p0: 1.9875691500e-4, p1: 1.3981999507e-3, p2: 8.3334519073e-3, p3: 4.1665795894e-2, p4: 1.6666665459e-1, p5: 5.0000001201e-1,
  // Cephes logf: log(1 + m) ≈ m − m²/2 + m³·(q0 m⁸ … + q8), m ∈ [√½ − 1, √2 − 1)
  q0: 7.0376836292e-2, q1: -1.1514610310e-1, q2: 1.1676998740e-1, q3: -1.2420140846e-1, q4: 1.4249322787e-1,
  q5: -1.6668057665e-1, q6: 2.0000714765e-1, q7: -2.4999993993e-1, q8: 3.3333331174e-1,
};
const I = { i126: 126, mantMask: 0x807fffff, halfBits: 0x3f000000 };

const g = (name) => `(local.get $${name})`;
const k = (name) => g(`k_${name}`);

/** Statements `[local, expression]` of exp for one lane group (suffix s): sets e_s from rho_s. */
function expGroup(s) {
  return [
    [`x${s}`, `(f32x4.pmax (f32x4.neg (f32x4.abs ${g(`rho${s}`)})) ${k('expMin')})`],
    [`n${s}`, `(f32x4.nearest (f32x4.mul ${g(`x${s}`)} ${k('log2e')}))`],
    [`r${s}`, `(f32x4.sub (f32x4.sub ${g(`x${s}`)} (f32x4.mul ${g(`n${s}`)} ${k('ln2hi')})) (f32x4.mul ${g(`n${s}`)} ${k('ln2lo')}))`],
    [`z${s}`, `(f32x4.mul ${g(`r${s}`)} ${g(`r${s}`)})`],
    // Estrin: P = ((p0 r + p1) z + (p2 r + p3)) z + (p4 r + p5)
    [`a${s}`, `(f32x4.add (f32x4.mul ${k('p0')} ${g(`r${s}`)}) ${k('p1')})`],
    [`b${s}`, `(f32x4.add (f32x4.mul ${k('p2')} ${g(`r${s}`)}) ${k('p3')})`],
    [`c${s}`, `(f32x4.add (f32x4.mul ${k('p4')} ${g(`r${s}`)}) ${k('p5')})`],
    [`a${s}`, `(f32x4.add (f32x4.mul (f32x4.add (f32x4.mul ${g(`a${s}`)} ${g(`z${s}`)}) ${g(`b${s}`)}) ${g(`z${s}`)}) ${g(`c${s}`)})`],
    // e = (P z + r + 1) · 2ⁿ. 2ⁿ from the exponent bits: n ∈ [−126, 0] is integral, so the low
    // mantissa bits of n + (2²³ + 127) hold n + 127, and shifting them left by 23 makes 2ⁿ.
    [`e${s}`, `(f32x4.mul (f32x4.add (f32x4.add (f32x4.mul ${g(`a${s}`)} ${g(`z${s}`)}) ${g(`r${s}`)}) ${k('one')}) (i32x4.shl (f32x4.add ${g(`n${s}`)} ${k('pow2bias')}) (i32.const 23)))`],
  ];
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
    ...expGroup(s),
    [`u${s}`, `(f32x4.add ${g(`e${s}`)} ${k('one')})`],
    ...logGroup(s, `u${s}`, `logu${s}`),
    // log1p(e) = log(u)·e/(u − 1), or e where u rounds to 1; σ = max(ρ, 0) + log1p(e)
    [`sig${s}`, `(f32x4.add (f32x4.pmax ${g(`rho${s}`)} ${k('zero')}) (v128.bitselect ${g(`e${s}`)} (f32x4.div (f32x4.mul ${g(`logu${s}`)} ${g(`e${s}`)}) (f32x4.sub ${g(`u${s}`)} ${k('one')})) (f32x4.eq ${g(`u${s}`)} ${k('one')})))`],
    ...logGroup(s, `sig${s}`, `logsig${s}`),
    [null, `(v128.store ${at('out')} ${g(`sig${s}`)})`],
    [null, `(v128.store ${at('o1')} (f32x4.div (v128.bitselect ${k('one')} ${g(`e${s}`)} (f32x4.ge ${g(`rho${s}`)} ${k('zero')})) ${g(`u${s}`)}))`],
    [null, `(v128.store ${at('o2')} ${g(`logsig${s}`)})`],
    [null, `(v128.store ${at('o3')} (f32x4.div ${k('one')} ${g(`sig${s}`)}))`],
  ];
}

export default function generate() {
  const groups = Array.from({ length: UNROLL }, (_, u) => group(`_${u}`, 16 * u));
  const locals = new Set();
  for (const grp of groups) for (const [dst] of grp) if (dst) locals.add(dst);
  const lines = [];
  for (let j = 0; j < (groups[0] ?? []).length; j++) {
    for (const grp of groups) {
      const [dst, expr] = grp[j];
      lines.push(dst ? `        (local.set $${dst} ${expr})` : `        ${expr}`);
    }
  }
  const step = 16 * UNROLL;
  return `;; GENERATED by posterior.wat.mjs (tools/wasm/build.mjs): edit that file, then npm run build:wasm.
;;
;; σ = softplus(ρ) and the quantities the posterior ops need from it, in one pass over ρ with
;; 128-bit SIMD, for @varshare/core (src/kernels/posteriorKernel.ts; posteriorOps.ts' SigmaCache).
;;
;; sigma(in, out, n): n a multiple of ${4 * UNROLL} (the caller pads); with ρ = in[i] (float32),
;; e = exp(−|ρ|) and u = 1 + e:
;;   out[i]      = σ  = max(ρ, 0) + log1p(e)
;;   out[n + i]  = σ' = sigmoid(ρ) = (ρ ≥ 0 ? 1 : e) / u
;;   out[2n + i] = log σ
;;   out[3n + i] = 1 / σ
;; log1p(e) = log(u)·e/(u − 1) (accurate also when e ≪ 1), and e where u rounds to 1. exp and log
;; are the Cephes single-precision polynomials, evaluated in Estrin form; ρ below −87 is treated
;; as −87 (σ ≥ 1.6e−38, a normal float). ${UNROLL} groups of 4 lanes per iteration, interleaved.
(module
  (memory (export "memory") 1)
  ;; the multiple of n the caller must pad to
  (func (export "lanes") (result i32) (i32.const ${4 * UNROLL}))
  (func (export "sigma") (param $in i32) (param $out i32) (param $n i32)
    (local $i i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    ${[...Object.keys(K).map((c) => `k_${c}`), ...Object.keys(I).map((c) => `k_${c}`), ...locals].map((l) => `(local $${l} v128)`).join(' ')}
${Object.entries(K).map(([c, v]) => `    (local.set $k_${c} (f32x4.splat (f32.const ${v})))`).join('\n')}
${Object.entries(I).map(([c, v]) => `    (local.set $k_${c} (i32x4.splat (i32.const ${v})))`).join('\n')}
    (local.set $o1 (i32.add ${g('out')} (i32.shl ${g('n')} (i32.const 2))))
    (local.set $o2 (i32.add ${g('o1')} (i32.shl ${g('n')} (i32.const 2))))
    (local.set $o3 (i32.add ${g('o2')} (i32.shl ${g('n')} (i32.const 2))))
    (block $done
      (br_if $done (i32.eqz ${g('n')}))
      (loop $lanes
${lines.join('\n')}
        (local.set $i (i32.add ${g('i')} (i32.const ${step})))
        (br_if $lanes (i32.lt_u ${g('i')} (i32.shl ${g('n')} (i32.const 2))))))))
`;
}
