;; Batched single-precision matrix product with WebAssembly SIMD (128-bit), for @varshare/core.
;; This text is the source: `npm run build:wasm` assembles it (wabt) into gemmWasm.ts, and a test
;; checks that the embedded bytes are this file's assembly.
;;
;; bgemm(a, b, c, T, n, k, m): for t in [0, T): C_t = A_t B_t, with A_t [n, k], B_t [k, m] and
;; C_t [n, m] stored row-major and contiguous (A_t at a + t·n·k·4 bytes, and so on).
;; Requires n % 4 == 0, m % 8 == 0, k >= 1 (the caller pads). C is overwritten.
;; copy2d(src, dst, T, rows, cols, sRow, sCol, sBatch, dRow, dBatch): strided copy of T [rows, cols]
;; blocks (strides in floats): dst[t·dBatch + i·dRow + j] = src[t·sBatch + i·sRow + j·sCol]. With
;; sRow = 1 and sCol = rows it reads a transposed operand; it also pads operands and unpads C.
;; Micro-kernel: a 4×8 block of C in eight f32x4 accumulators; per step p of the inner dimension,
;; two vector loads of B[p, j..j+8) and four broadcasts of A[i..i+4, p]. Products are summed in
;; increasing p, one multiply and one add per term (no fused multiply-add).
(module
  (memory (export "memory") 1)
  (func $gemm (param $a i32) (param $b i32) (param $c i32) (param $n i32) (param $k i32) (param $m i32)
    (local $i i32) (local $j i32) (local $p i32) (local $ka i32) (local $mb i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $bp i32) (local $cp i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local.set $ka (i32.shl (local.get $k) (i32.const 2)))
    (local.set $mb (i32.shl (local.get $m) (i32.const 2)))
    ;; column panels outside, row blocks inside: the k×8 panel of B stays in L1 while every row
    ;; block of A passes over it
    (local.set $j (i32.const 0))
    (loop $cols
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $c00 (v128.const i32x4 0 0 0 0))
        (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0))
        (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0))
        (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0))
        (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ka))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $ka)))
        (local.set $a2 (i32.add (local.get $a1) (local.get $ka)))
        (local.set $a3 (i32.add (local.get $a2) (local.get $ka)))
        (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $p (local.get $k))
        (loop $inner
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $av (f32x4.splat (f32.load (local.get $a0))))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (f32x4.splat (f32.load (local.get $a1))))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (f32x4.splat (f32.load (local.get $a2))))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (f32x4.splat (f32.load (local.get $a3))))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
          (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
          (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
          (local.set $bp (i32.add (local.get $bp) (local.get $mb)))
          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
          (br_if $inner (local.get $p)))
        (local.set $cp (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $mb)) (i32.shl (local.get $j) (i32.const 2)))))
        (v128.store offset=0 (local.get $cp) (local.get $c00))
        (v128.store offset=16 (local.get $cp) (local.get $c01))
        (local.set $cp (i32.add (local.get $cp) (local.get $mb)))
        (v128.store offset=0 (local.get $cp) (local.get $c10))
        (v128.store offset=16 (local.get $cp) (local.get $c11))
        (local.set $cp (i32.add (local.get $cp) (local.get $mb)))
        (v128.store offset=0 (local.get $cp) (local.get $c20))
        (v128.store offset=16 (local.get $cp) (local.get $c21))
        (local.set $cp (i32.add (local.get $cp) (local.get $mb)))
        (v128.store offset=0 (local.get $cp) (local.get $c30))
        (v128.store offset=16 (local.get $cp) (local.get $c31))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rows (i32.lt_u (local.get $i) (local.get $n))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br_if $cols (i32.lt_u (local.get $j) (local.get $m)))))
  (func (export "bgemm") (param $a i32) (param $b i32) (param $c i32) (param $T i32) (param $n i32) (param $k i32) (param $m i32)
    (local $t i32) (local $sa i32) (local $sb i32) (local $sc i32)
    (local.set $sa (i32.shl (i32.mul (local.get $n) (local.get $k)) (i32.const 2)))
    (local.set $sb (i32.shl (i32.mul (local.get $k) (local.get $m)) (i32.const 2)))
    (local.set $sc (i32.shl (i32.mul (local.get $n) (local.get $m)) (i32.const 2)))
    (block $done
      (br_if $done (i32.eqz (local.get $T)))
      (loop $batch
        (call $gemm (local.get $a) (local.get $b) (local.get $c) (local.get $n) (local.get $k) (local.get $m))
        (local.set $a (i32.add (local.get $a) (local.get $sa)))
        (local.set $b (i32.add (local.get $b) (local.get $sb)))
        (local.set $c (i32.add (local.get $c) (local.get $sc)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $batch (i32.lt_u (local.get $t) (local.get $T))))))
  (func (export "copy2d") (param $src i32) (param $dst i32) (param $T i32) (param $rows i32) (param $cols i32)
    (param $sRow i32) (param $sCol i32) (param $sBatch i32) (param $dRow i32) (param $dBatch i32)
    (local $t i32) (local $i i32) (local $j i32) (local $s i32) (local $d i32)
    ;; strides to bytes
    (local.set $sRow (i32.shl (local.get $sRow) (i32.const 2)))
    (local.set $sCol (i32.shl (local.get $sCol) (i32.const 2)))
    (local.set $sBatch (i32.shl (local.get $sBatch) (i32.const 2)))
    (local.set $dRow (i32.shl (local.get $dRow) (i32.const 2)))
    (local.set $dBatch (i32.shl (local.get $dBatch) (i32.const 2)))
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $T)) (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols)))))
      (loop $batch
        (local.set $i (i32.const 0))
        (loop $row
          (local.set $s (i32.add (local.get $src) (i32.add (i32.mul (local.get $t) (local.get $sBatch)) (i32.mul (local.get $i) (local.get $sRow)))))
          (local.set $d (i32.add (local.get $dst) (i32.add (i32.mul (local.get $t) (local.get $dBatch)) (i32.mul (local.get $i) (local.get $dRow)))))
          (local.set $j (local.get $cols))
          (loop $col
            (f32.store (local.get $d) (f32.load (local.get $s)))
            (local.set $s (i32.add (local.get $s) (local.get $sCol)))
            (local.set $d (i32.add (local.get $d) (i32.const 4)))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br_if $col (local.get $j)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $row (i32.lt_u (local.get $i) (local.get $rows))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $batch (i32.lt_u (local.get $t) (local.get $T))))))
  ;; effw(theta, mu, sigma, eps, out, T, size): the effective weights of T tasks, float32,
  ;; out[t·size + i] = θ[i] + (μ[t·size + i] + σ[t·size + i]·ε[t·size + i]), or θ[i] + μ[t·size + i]
  ;; when eps is 0 — the same operations, in the same order, as the tensor ops of the rollout
  ;; snapshot (VarShareDense.effectiveWeight), so both give bit-identical weights.
  (func (export "effw") (param $theta i32) (param $mu i32) (param $sigma i32) (param $eps i32) (param $out i32) (param $T i32) (param $size i32)
    (local $t i32) (local $i i32) (local $th i32) (local $v i32) (local $tail i32)
    (local.set $tail (i32.and (local.get $size) (i32.const -4)))
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $T)) (i32.eqz (local.get $size))))
      (loop $task
        (local.set $th (local.get $theta))
        (local.set $i (i32.const 0))
        (block $vecDone
          (br_if $vecDone (i32.eqz (local.get $tail)))
          (loop $vec
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (v128.store (i32.add (local.get $out) (local.get $v))
              (f32x4.add (v128.load (i32.add (local.get $th) (local.get $v)))
                (if (result v128) (local.get $eps)
                  (then (f32x4.add (v128.load (i32.add (local.get $mu) (local.get $v)))
                    (f32x4.mul (v128.load (i32.add (local.get $sigma) (local.get $v))) (v128.load (i32.add (local.get $eps) (local.get $v))))))
                  (else (v128.load (i32.add (local.get $mu) (local.get $v)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br_if $vec (i32.lt_u (local.get $i) (local.get $tail)))))
        (block $scalarDone
          (br_if $scalarDone (i32.ge_u (local.get $i) (local.get $size)))
          (loop $scalar
            (local.set $v (i32.shl (local.get $i) (i32.const 2)))
            (f32.store (i32.add (local.get $out) (local.get $v))
              (f32.add (f32.load (i32.add (local.get $th) (local.get $v)))
                (if (result f32) (local.get $eps)
                  (then (f32.add (f32.load (i32.add (local.get $mu) (local.get $v)))
                    (f32.mul (f32.load (i32.add (local.get $sigma) (local.get $v))) (f32.load (i32.add (local.get $eps) (local.get $v))))))
                  (else (f32.load (i32.add (local.get $mu) (local.get $v)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $scalar (i32.lt_u (local.get $i) (local.get $size)))))
        (local.set $v (i32.shl (local.get $size) (i32.const 2)))
        (local.set $mu (i32.add (local.get $mu) (local.get $v)))
        (local.set $out (i32.add (local.get $out) (local.get $v)))
        (if (local.get $eps) (then
          (local.set $sigma (i32.add (local.get $sigma) (local.get $v)))
          (local.set $eps (i32.add (local.get $eps) (local.get $v)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $task (i32.lt_u (local.get $t) (local.get $T))))))
  ;; addbias(c, b, rows, m): c[r·m + j] += b[j]
  (func (export "addbias") (param $c i32) (param $b i32) (param $rows i32) (param $m i32)
    (local $r i32) (local $j i32) (local $p i32)
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $m))))
      (loop $row
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $p (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.load (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $m))))
        (local.set $c (i32.add (local.get $c) (i32.shl (local.get $m) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $row (i32.lt_u (local.get $r) (local.get $rows))))))
  ;; sumrows(src, out, rows, m): out[j] = Σ_r src[r·m + j], summed in increasing r
  (func (export "sumrows") (param $src i32) (param $out i32) (param $rows i32) (param $m i32)
    (local $r i32) (local $j i32) (local $p i32) (local $acc f32)
    (block $done
      (br_if $done (i32.eqz (local.get $m)))
      (loop $col
        (local.set $acc (f32.const 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (br_if $rowsDone (i32.eqz (local.get $rows)))
          (loop $row
            (local.set $acc (f32.add (local.get $acc) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $m) (i32.const 2))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $row (i32.lt_u (local.get $r) (local.get $rows)))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $m))))))
  ;; mul3(a, b, c, out, n): out[i] = a[i]·(b[i]·c[i])
  (func (export "mul3") (param $a i32) (param $b i32) (param $c i32) (param $out i32) (param $n i32)
    (local $i i32) (local $v i32) (local $tail i32)
    (local.set $tail (i32.and (local.get $n) (i32.const -4)))
    (block $vecDone
      (br_if $vecDone (i32.eqz (local.get $tail)))
      (loop $vec
        (local.set $v (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $v))
          (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $v)))
            (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $v))) (v128.load (i32.add (local.get $c) (local.get $v))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $vec (i32.lt_u (local.get $i) (local.get $tail)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (loop $scalar
        (local.set $v (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $v))
          (f32.mul (f32.load (i32.add (local.get $a) (local.get $v)))
            (f32.mul (f32.load (i32.add (local.get $b) (local.get $v))) (f32.load (i32.add (local.get $c) (local.get $v))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $scalar (i32.lt_u (local.get $i) (local.get $n))))))

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
