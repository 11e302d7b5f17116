;; The elementwise parts of a VarShare dense layer's forward and backward with WebAssembly SIMD
;; (128-bit), for @varshare/core; the products are gemm.wat's and the activations act.wat's.
;; This text is the source: `npm run build:wasm` assembles it (wabt) into denseWasm.ts, and a test
;; checks that the embedded bytes are this file's assembly.
;;
;; It works on the memory of the gemm kernel (imported), so a layer's forward and backward never
;; leave that memory (see denseKernel.ts). Offsets are in bytes, sizes in floats.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; effw(theta, mu, sigma, eps, out, T, size): the effective weights of T tasks, float32,
  ;; out[t·size + i] = θ[i] + (μ[t·size + i] + σ[t·size + i]·ε[t·size + i]), or θ[i] + μ[t·size + i]
  ;; when eps is 0 — the same operations, in the same order, as the reference
  ;; effectiveWeights(θ, sampledResidual(μ, σ, ε)) (src/effectiveWeights.ts) that the rollout
  ;; snapshot uses, so both give bit-identical weights.
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
  ;; sumcols(src, out, rows, stride, count): out[j] = Σ_r src[r·stride + j] for j < count, summed in
  ;; increasing r in float32, four columns at a time and then the last count % 4 one by one (each
  ;; column's sum in the same order either way, so a split by column ranges gives the same sums)
  (func (export "sumcols") (param $src i32) (param $out i32) (param $rows i32) (param $stride i32) (param $count i32)
    (local $r i32) (local $j i32) (local $p i32) (local $sb i32) (local $vend i32) (local $acc v128) (local $s f32)
    (local.set $sb (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $vend (i32.and (local.get $count) (i32.const -4)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $vend)))
      (loop $vcol
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $vrows
          (br_if $vrows (i32.eqz (local.get $rows)))
          (loop $vrow
            (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $sb)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $vrow (i32.lt_u (local.get $r) (local.get $rows)))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $acc))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br_if $vcol (i32.lt_u (local.get $j) (local.get $vend)))))
    (block $done
      (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
      (loop $col
        (local.set $s (f32.const 0))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $srows
          (br_if $srows (i32.eqz (local.get $rows)))
          (loop $srow
            (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (local.get $sb)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br_if $srow (i32.lt_u (local.get $r) (local.get $rows)))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $col (i32.lt_u (local.get $j) (local.get $count))))))
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
)
