;; The KL term of VarShare's loss and its gradients with WebAssembly SIMD (128-bit), for @varshare/core.
;; This text is the source: `npm run build:wasm` assembles it (wabt) into klWasm.ts, and a test
;; checks that the embedded bytes are this file's assembly.
;;
;; It works on the memory of the gemm kernel (imported), where a layer's μ, σ and σ' stay resident
;; between the dense layer's forward and backward and the KL (see kernelMemory.ts), so the KL reads
;; them in place. Offsets are in bytes; σ_p enters only through 1/σ_p² (and its half), one value
;; per task. KL_t = Σ_i [log σ_p,t − log σ_i + (σ_i² + μ_i²)/(2σ_p,t²) − ½] (spec; gaussianKl.ts);
;; the caller adds −Σ log σ (from posterior.wat) and the constant.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; klfwd(mu, sigma, halfiv, out, T, size): per task t, in float64,
  ;;   out[t] = Σ_i (σ² + μ²)·halfiv[t],  out[T + t] = Σ_i μ²·halfiv[t]
  ;; (halfiv[t] = 1/(2σ_p,t²), float32 array; out float64); each term computed in float32 as
  ;; (σ·σ + μ·μ)·halfiv and (μ·μ)·halfiv, summed in float64.
  (func (export "klfwd") (param $mu i32) (param $sigma i32) (param $halfiv i32) (param $out i32) (param $T i32) (param $size i32)
    (local $t i32) (local $i i32) (local $v i32) (local $tail i32) (local $h v128) (local $term v128) (local $acc v128) (local $s f64) (local $sh f32)
    (local $mterm v128) (local $macc v128) (local $ms f64)
    (local.set $tail (i32.and (local.get $size) (i32.const -4)))
    (block $done
      (br_if $done (i32.eqz (local.get $T)))
      (loop $task
        (local.set $sh (f32.load (i32.add (local.get $halfiv) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $h (f32x4.splat (local.get $sh)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $macc (v128.const i64x2 0 0))
        (local.set $i (i32.const 0))
        (block $vecDone
          (br_if $vecDone (i32.eqz (local.get $tail)))
          (loop $vec
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (local.set $term
              (f32x4.mul (f32x4.add
                  (f32x4.mul (v128.load (i32.add (local.get $sigma) (local.get $v))) (v128.load (i32.add (local.get $sigma) (local.get $v))))
                  (f32x4.mul (v128.load (i32.add (local.get $mu) (local.get $v))) (v128.load (i32.add (local.get $mu) (local.get $v)))))
                (local.get $h)))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $term))))
            (local.set $acc (f64x2.add (local.get $acc)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $term) (local.get $term)))))
            (local.set $mterm (f32x4.mul
              (f32x4.mul (v128.load (i32.add (local.get $mu) (local.get $v))) (v128.load (i32.add (local.get $mu) (local.get $v))))
              (local.get $h)))
            (local.set $macc (f64x2.add (local.get $macc) (f64x2.promote_low_f32x4 (local.get $mterm))))
            (local.set $macc (f64x2.add (local.get $macc)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mterm) (local.get $mterm)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $vec (i32.lt_u (local.get $i) (local.get $tail)))))
        (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
        (local.set $ms (f64.add (f64x2.extract_lane 0 (local.get $macc)) (f64x2.extract_lane 1 (local.get $macc))))
        (block $scalarDone
          (br_if $scalarDone (i32.ge_u (local.get $i) (local.get $size)))
          (loop $scalar
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (local.set $s (f64.add (local.get $s) (f64.promote_f32
              (f32.mul (f32.add
                  (f32.mul (f32.load (i32.add (local.get $sigma) (local.get $v))) (f32.load (i32.add (local.get $sigma) (local.get $v))))
                  (f32.mul (f32.load (i32.add (local.get $mu) (local.get $v))) (f32.load (i32.add (local.get $mu) (local.get $v)))))
                (local.get $sh)))))
            (local.set $ms (f64.add (local.get $ms) (f64.promote_f32
              (f32.mul (f32.mul (f32.load (i32.add (local.get $mu) (local.get $v))) (f32.load (i32.add (local.get $mu) (local.get $v)))) (local.get $sh)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $scalar (i32.lt_u (local.get $i) (local.get $size)))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 3))) (local.get $s))
        (f64.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $t) (local.get $T)) (i32.const 3))) (local.get $ms))
        (local.set $v (i32.shl (local.get $size) (i32.const 2)))
        (local.set $mu (i32.add (local.get $mu) (local.get $v)))
        (local.set $sigma (i32.add (local.get $sigma) (local.get $v)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $task (i32.lt_u (local.get $t) (local.get $T))))))
  ;; klbwd(mu, sigma, dsig, d, iv, dmu, drho, T, size): gradients of Σ_t d[t]·KL_t, float32,
  ;;   dmu = d[t]·(μ·iv[t]),  drho = d[t]·(((σ·iv[t]) − 1/σ)·σ')   (iv[t] = 1/σ_p,t²)
  (func (export "klbwd") (param $mu i32) (param $sigma i32) (param $dsig i32) (param $d i32) (param $iv i32)
    (param $dmu i32) (param $drho i32) (param $T i32) (param $size i32)
    (local $t i32) (local $i i32) (local $v i32) (local $tail i32) (local $dv v128) (local $ivv v128) (local $sd f32) (local $si f32)
    (local.set $tail (i32.and (local.get $size) (i32.const -4)))
    (block $done
      (br_if $done (i32.eqz (local.get $T)))
      (loop $task
        (local.set $sd (f32.load (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $si (f32.load (i32.add (local.get $iv) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $dv (f32x4.splat (local.get $sd)))
        (local.set $ivv (f32x4.splat (local.get $si)))
        (local.set $i (i32.const 0))
        (block $vecDone
          (br_if $vecDone (i32.eqz (local.get $tail)))
          (loop $vec
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (v128.store (i32.add (local.get $dmu) (local.get $v))
              (f32x4.mul (local.get $dv) (f32x4.mul (v128.load (i32.add (local.get $mu) (local.get $v))) (local.get $ivv))))
            (v128.store (i32.add (local.get $drho) (local.get $v))
              (f32x4.mul (local.get $dv) (f32x4.mul
                (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $sigma) (local.get $v))) (local.get $ivv))
                  (f32x4.div (f32x4.splat (f32.const 1)) (v128.load (i32.add (local.get $sigma) (local.get $v)))))
                (v128.load (i32.add (local.get $dsig) (local.get $v))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $vec (i32.lt_u (local.get $i) (local.get $tail)))))
        (block $scalarDone
          (br_if $scalarDone (i32.ge_u (local.get $i) (local.get $size)))
          (loop $scalar
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (f32.store (i32.add (local.get $dmu) (local.get $v))
              (f32.mul (local.get $sd) (f32.mul (f32.load (i32.add (local.get $mu) (local.get $v))) (local.get $si))))
            (f32.store (i32.add (local.get $drho) (local.get $v))
              (f32.mul (local.get $sd) (f32.mul
                (f32.sub (f32.mul (f32.load (i32.add (local.get $sigma) (local.get $v))) (local.get $si))
                  (f32.div (f32.const 1) (f32.load (i32.add (local.get $sigma) (local.get $v)))))
                (f32.load (i32.add (local.get $dsig) (local.get $v))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $scalar (i32.lt_u (local.get $i) (local.get $size)))))
        (local.set $v (i32.shl (local.get $size) (i32.const 2)))
        (local.set $mu (i32.add (local.get $mu) (local.get $v)))
        (local.set $sigma (i32.add (local.get $sigma) (local.get $v)))
        (local.set $dsig (i32.add (local.get $dsig) (local.get $v)))
        (local.set $dmu (i32.add (local.get $dmu) (local.get $v)))
        (local.set $drho (i32.add (local.get $drho) (local.get $v)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $task (i32.lt_u (local.get $t) (local.get $T))))))
)
