// Shared pieces of the SIMD kernel generators (posterior.wat.mjs, act.wat.mjs): f32 constants
// hoisted into locals, and the Cephes single-precision exp for non-positive arguments.

/** f32 constants, hoisted into locals (V8 re-materialises a splat per use inside a loop). */
export const K = {
  one: 1.0, zero: 0.0, pow2bias: 8388735.0, half: 0.5, expMin: -87.0, log2e: 1.44269504088896341,
  ln2hi: 0.693359375, ln2lo: -2.12194440e-4, sqrthf: 0.707106781186547524,
  // Cephes expf: exp(r) ≈ 1 + r + r²·(p0 r⁵… + p5), |r| ≤ ln2/2
  p0: 1.9875691500e-4, p1: 1.3981999507e-3, p2: 8.3334519073e-3, p3: 4.1665795894e-2, p4: 1.6666665459e-1, p5: 5.0000001201e-1,
  // Cephes logf: log(1 + m) ≈ m − m²/2 + m³·(q0 m⁸ … + q8), m ∈ [√½ − 1, √2 − 1)
  q0: 7.0376836292e-2, q1: -1.1514610310e-1, q2: 1.1676998740e-1, q3: -1.2420140846e-1, q4: 1.4249322787e-1,
  q5: -1.6668057665e-1, q6: 2.0000714765e-1, q7: -2.4999993993e-1, q8: 3.3333331174e-1,
};
export const I = { i126: 126, mantMask: 0x807fffff, halfBits: 0x3f000000 };

export const g = (name) => `(local.get $${name})`;
export const k = (name) => g(`k_${name}`);

/**
 * Statements `[local, expression]` of e_s = exp(x) for one lane group (suffix s), where `arg` is an
 * expression of a non-positive x (clamped here at −87).
 */
export function expGroup(s, arg) {
  return [
    [`x${s}`, `(f32x4.pmax ${arg} ${k('expMin')})`],
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

