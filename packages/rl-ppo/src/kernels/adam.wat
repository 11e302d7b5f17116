;; Fused Adam step for @varshare/rl-ppo (see src/adam.ts), two elements at a time with f64x2,
;; and the sum of squares of the gradients (for global grad-norm clipping).
;; This text is the source: `npm run build:wasm` assembles it (wabt) into adamWasm.ts, and a test
;; checks that the embedded bytes are this file's assembly.
;;
;; adam(p, g, m, v, n, b1, b2, stepSize, invBc2, eps, gradScale): for i < n, with p, g, m, v
;; float32 arrays at those byte offsets, in float64 and in exactly this order of operations:
;;   gi = g[i]·gradScale
;;   mi = b1·m[i] + (1 − b1)·gi
;;   vi = b2·v[i] + ((1 − b2)·gi)·gi
;;   p[i] ← f32(p[i] − (stepSize·mi) / (sqrt(vi·invBc2) + eps)),  m[i] ← f32(mi),  v[i] ← f32(vi)
;; which is the scalar JavaScript loop it replaces, operation for operation (IEEE add, mul, div and
;; sqrt round the same in f64x2 lanes as in scalar code), so results are bit-identical.
(module
  (memory (export "memory") 1)
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f64) (param $b2 f64) (param $stepSize f64) (param $invBc2 f64) (param $eps f64) (param $gradScale f64)
    (local $c1 f64) (local $c2 f64) (local $i i32) (local $pairs i32)
    (local $vb1 v128) (local $vb2 v128) (local $vc1 v128) (local $vc2 v128) (local $vstep v128) (local $vinv v128) (local $veps v128) (local $vscale v128)
    (local $gi v128) (local $mi v128) (local $vi v128) (local $pi v128)
    (local $sg f64) (local $sm f64) (local $sv f64)
    (local.set $c1 (f64.sub (f64.const 1) (local.get $b1)))
    (local.set $c2 (f64.sub (f64.const 1) (local.get $b2)))
    (local.set $vb1 (f64x2.splat (local.get $b1)))
    (local.set $vb2 (f64x2.splat (local.get $b2)))
    (local.set $vc1 (f64x2.splat (local.get $c1)))
    (local.set $vc2 (f64x2.splat (local.get $c2)))
    (local.set $vstep (f64x2.splat (local.get $stepSize)))
    (local.set $vinv (f64x2.splat (local.get $invBc2)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (local.set $vscale (f64x2.splat (local.get $gradScale)))
    (local.set $pairs (i32.shr_u (local.get $n) (i32.const 1)))
    (block $pairsDone
      (br_if $pairsDone (i32.eqz (local.get $pairs)))
      (loop $pair
        (local.set $gi (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))) (local.get $vscale)))
        (local.set $mi (f64x2.add
          (f64x2.mul (local.get $vb1) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
          (f64x2.mul (local.get $vc1) (local.get $gi))))
        (local.set $vi (f64x2.add
          (f64x2.mul (local.get $vb2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
          (f64x2.mul (f64x2.mul (local.get $vc2) (local.get $gi)) (local.get $gi))))
        (local.set $pi (f64x2.sub
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))
          (f64x2.div
            (f64x2.mul (local.get $vstep) (local.get $mi))
            (f64x2.add (f64x2.sqrt (f64x2.mul (local.get $vi) (local.get $vinv))) (local.get $veps)))))
        (v128.store64_lane 0 (local.get $m) (f32x4.demote_f64x2_zero (local.get $mi)))
        (v128.store64_lane 0 (local.get $v) (f32x4.demote_f64x2_zero (local.get $vi)))
        (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (local.get $pi)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $m (i32.add (local.get $m) (i32.const 8)))
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $pair (i32.lt_u (local.get $i) (local.get $pairs)))))
    ;; odd n: the last element in scalar f64, the same operations
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $sg (f64.mul (f64.promote_f32 (f32.load (local.get $g))) (local.get $gradScale)))
        (local.set $sm (f64.add (f64.mul (local.get $b1) (f64.promote_f32 (f32.load (local.get $m)))) (f64.mul (local.get $c1) (local.get $sg))))
        (local.set $sv (f64.add (f64.mul (local.get $b2) (f64.promote_f32 (f32.load (local.get $v)))) (f64.mul (f64.mul (local.get $c2) (local.get $sg)) (local.get $sg))))
        (f32.store (local.get $p) (f32.demote_f64 (f64.sub
          (f64.promote_f32 (f32.load (local.get $p)))
          (f64.div (f64.mul (local.get $stepSize) (local.get $sm)) (f64.add (f64.sqrt (f64.mul (local.get $sv) (local.get $invBc2))) (local.get $eps))))))
        (f32.store (local.get $m) (f32.demote_f64 (local.get $sm)))
        (f32.store (local.get $v) (f32.demote_f64 (local.get $sv))))))
  ;; sumsq(g, n): Σ g[i]² over float32 g, each square and the sum in float64, two lanes
  ;; (lane 0 sums the even elements, lane 1 the odd ones; the lanes are added at the end).
  (func (export "sumsq") (param $g i32) (param $n i32) (result f64)
    (local $i i32) (local $pairs i32) (local $acc v128) (local $x v128) (local $s f64)
    (local.set $pairs (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $acc (v128.const i64x2 0 0))
    (block $done
      (br_if $done (i32.eqz (local.get $pairs)))
      (loop $pair
        (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $pair (i32.lt_u (local.get $i) (local.get $pairs)))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.promote_f32 (f32.load (local.get $g))) (f64.promote_f32 (f32.load (local.get $g))))))))
    (local.get $s))
)
