;; Fused Adam step for @varshare/core (host: adamKernel.ts; rl-ppo's Adam keeps the groups and
;; their state), four elements at a time with f32x4, and the sum of squares of the gradients (for
;; global grad-norm clipping).
;; This text is the source: `npm run build:wasm` assembles it (wabt) into adamWasm.ts, and
;; `npm test` checks that the embedded bytes are this file's assembly.
;;
;; adam(p, g, m, v, n, c1, b2, c2, negStep, bc2sqrt, eps, scale): for i < n, with p, g, m, v float32
;; arrays at those byte offsets, in float32 and in this order of operations — PyTorch's Adam for a
;; float32 parameter after clip_grad_norm_ (g.mul_(scale), exp_avg.lerp_(g, 1 − β₁),
;; exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1 − β₂), denom = exp_avg_sq.sqrt() / √bc₂ + ε,
;; p.addcdiv_(exp_avg, denom, value=−step)):
;;   g' = g·scale
;;   m ← m + c1·(g' − m)                 (c1 = 1 − β₁)
;;   v ← v·b2 + (c2·g')·g'               (c2 = 1 − β₂)
;;   p ← p + negStep·(m / (sqrt(v)/bc2sqrt + eps))
;; IEEE float32 add, mul, div and sqrt round the same in every lane as in scalar code, so this is
;; bit-identical to adamStepReference in src/adamStep.ts (which rounds each operation with Math.fround).
;; sumsq and addsq give the gradient-norm sums of one block (sumSquaresReference's and
;; addIntoReference's order within a block); sumsqb and addsqb run them block after block over a
;; longer array and store each block's sums, which the host adds in block order (so a split of the
;; blocks over threads gives the same sums).
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; adamk(p, g, m, v, n, k): adam with its seven float32 constants read from memory at byte offset k
  ;; (c1, b2, c2, negStep, bc2sqrt, eps, scale): what helper threads run, whose arguments are integers.
  (func (export "adamk") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $k i32)
    (call $adam (local.get $p) (local.get $g) (local.get $m) (local.get $v) (local.get $n)
      (f32.load offset=0 (local.get $k)) (f32.load offset=4 (local.get $k)) (f32.load offset=8 (local.get $k))
      (f32.load offset=12 (local.get $k)) (f32.load offset=16 (local.get $k)) (f32.load offset=20 (local.get $k))
      (f32.load offset=24 (local.get $k))))
  (func $adam (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $negStep f32) (param $bc2sqrt f32) (param $eps f32) (param $scale f32)
    (local $i i32) (local $quads i32)
    (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $vstep v128) (local $vbc v128) (local $veps v128) (local $vscale v128)
    (local $gi v128) (local $mi v128) (local $vi v128)
    (local $sg f32) (local $sm f32) (local $sv f32)
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $vstep (f32x4.splat (local.get $negStep)))
    (local.set $vbc (f32x4.splat (local.get $bc2sqrt)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vscale (f32x4.splat (local.get $scale)))
    (local.set $quads (i32.shr_u (local.get $n) (i32.const 2)))
    (block $quadsDone
      (br_if $quadsDone (i32.eqz (local.get $quads)))
      (loop $quad
        (local.set $gi (f32x4.mul (v128.load (local.get $g)) (local.get $vscale)))
        (local.set $mi (v128.load (local.get $m)))
        (local.set $mi (f32x4.add (local.get $mi) (f32x4.mul (local.get $vc1) (f32x4.sub (local.get $gi) (local.get $mi)))))
        (local.set $vi (f32x4.add
          (f32x4.mul (v128.load (local.get $v)) (local.get $vb2))
          (f32x4.mul (f32x4.mul (local.get $vc2) (local.get $gi)) (local.get $gi))))
        (v128.store (local.get $m) (local.get $mi))
        (v128.store (local.get $v) (local.get $vi))
        (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
          (f32x4.mul (local.get $vstep)
            (f32x4.div (local.get $mi) (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $vbc)) (local.get $veps))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $quad (i32.lt_u (local.get $i) (local.get $quads)))))
    ;; the last n mod 4 elements in scalar float32, the same operations
    (local.set $i (i32.and (local.get $n) (i32.const 3)))
    (block $tailDone
      (br_if $tailDone (i32.eqz (local.get $i)))
      (loop $tail
        (local.set $sg (f32.mul (f32.load (local.get $g)) (local.get $scale)))
        (local.set $sm (f32.load (local.get $m)))
        (local.set $sm (f32.add (local.get $sm) (f32.mul (local.get $c1) (f32.sub (local.get $sg) (local.get $sm)))))
        (local.set $sv (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2)) (f32.mul (f32.mul (local.get $c2) (local.get $sg)) (local.get $sg))))
        (f32.store (local.get $m) (local.get $sm))
        (f32.store (local.get $v) (local.get $sv))
        (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
          (f32.mul (local.get $negStep)
            (f32.div (local.get $sm) (f32.add (f32.div (f32.sqrt (local.get $sv)) (local.get $bc2sqrt)) (local.get $eps))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br_if $tail (local.get $i)))))
  ;; add(g, x, n): g[i] ← g[i] + x[i] in float32, four lanes and a scalar tail (the same rounding
  ;; in every lane; equal to JS's Math.fround(g + x)).
  ;; addsq(g, x, n, out): g ← g + x in float32, and at out (8-byte aligned) three float64: Σ x²,
  ;; Σ g² of the new g and Σ g² of the g before, each in sumsq's order (pairs of elements in turn,
  ;; even and odd lanes, the lanes added, then the last element of an odd n): one pass where add,
  ;; sumsq(g), sumsq(x) and sumsq(g) again took four.
  (func $addsq (export "addsq") (param $g i32) (param $x i32) (param $n i32) (param $out i32)
    (local $i i32) (local $vec i32) (local $xv v128) (local $sv v128) (local $gv v128) (local $lo v128) (local $ax v128) (local $as v128) (local $ag v128)
    (local $sx f64) (local $ss f64) (local $sg f64) (local $a f32) (local $b f32) (local $c f32)
    (local.set $vec (i32.and (local.get $n) (i32.const -4)))
    (local.set $ax (v128.const i64x2 0 0))
    (local.set $as (v128.const i64x2 0 0))
    (local.set $ag (v128.const i64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $vec)))
      (loop $v
        (local.set $xv (v128.load (local.get $x)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $sv (f32x4.add (local.get $gv) (local.get $xv)))
        (v128.store (local.get $g) (local.get $sv))
        ;; elements 0, 1 then 2, 3 (moved to the low half): the reference's pairs in order
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $xv)))
        (local.set $ax (f64x2.add (local.get $ax) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $sv)))
        (local.set $as (f64x2.add (local.get $as) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $ag (f64x2.add (local.get $ag) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv))))
        (local.set $ax (f64x2.add (local.get $ax) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sv) (local.get $sv))))
        (local.set $as (f64x2.add (local.get $as) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))
        (local.set $ag (f64x2.add (local.get $ag) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $vec)))))
    ;; one more pair when n % 4 ≥ 2
    (if (i32.and (local.get $n) (i32.const 2))
      (then
        (local.set $xv (v128.load64_zero (local.get $x)))
        (local.set $gv (v128.load64_zero (local.get $g)))
        (local.set $sv (f32x4.add (local.get $gv) (local.get $xv)))
        (v128.store64_lane 0 (local.get $g) (local.get $sv))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $xv)))
        (local.set $ax (f64x2.add (local.get $ax) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $sv)))
        (local.set $as (f64x2.add (local.get $as) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $gv)))
        (local.set $ag (f64x2.add (local.get $ag) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))))
    (local.set $sx (f64.add (f64x2.extract_lane 0 (local.get $ax)) (f64x2.extract_lane 1 (local.get $ax))))
    (local.set $ss (f64.add (f64x2.extract_lane 0 (local.get $as)) (f64x2.extract_lane 1 (local.get $as))))
    (local.set $sg (f64.add (f64x2.extract_lane 0 (local.get $ag)) (f64x2.extract_lane 1 (local.get $ag))))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $a (f32.load (local.get $x)))
        (local.set $c (f32.load (local.get $g)))
        (local.set $b (f32.add (local.get $c) (local.get $a)))
        (f32.store (local.get $g) (local.get $b))
        (local.set $sx (f64.add (local.get $sx) (f64.mul (f64.promote_f32 (local.get $a)) (f64.promote_f32 (local.get $a)))))
        (local.set $ss (f64.add (local.get $ss) (f64.mul (f64.promote_f32 (local.get $b)) (f64.promote_f32 (local.get $b)))))
        (local.set $sg (f64.add (local.get $sg) (f64.mul (f64.promote_f32 (local.get $c)) (f64.promote_f32 (local.get $c)))))))
    (f64.store offset=0 (local.get $out) (local.get $sx))
    (f64.store offset=8 (local.get $out) (local.get $ss))
    (f64.store offset=16 (local.get $out) (local.get $sg)))
  ;; sumsq(g, n): Σ g[i]² over float32 g, each square and the sum in float64, two lanes
  ;; (lane 0 sums the even elements, lane 1 the odd ones; the lanes are added at the end).
  (func $sumsq (export "sumsq") (param $g i32) (param $n i32) (result f64)
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
;; addsqb(g, x, n, block, out): addsq on consecutive blocks of `block` elements (the last may be
  ;; shorter), block b's three float64 sums at out + 24·b (out 8-byte aligned).
  (func (export "addsqb") (param $g i32) (param $x i32) (param $n i32) (param $block i32) (param $out i32)
    (local $len i32)
    (block $done
      (loop $blocks
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $len (select (local.get $block) (local.get $n) (i32.lt_u (local.get $block) (local.get $n))))
        (call $addsq (local.get $g) (local.get $x) (local.get $len) (local.get $out))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 24)))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (br $blocks))))
  ;; sumsqb(g, n, block, out): sumsq of consecutive blocks of `block` elements (the last may be
  ;; shorter), block b's float64 sum at out + 8·b (out 8-byte aligned).
  (func (export "sumsqb") (param $g i32) (param $n i32) (param $block i32) (param $out i32)
    (local $len i32)
    (block $done
      (loop $blocks
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $len (select (local.get $block) (local.get $n) (i32.lt_u (local.get $block) (local.get $n))))
        (f64.store (local.get $out) (call $sumsq (local.get $g) (local.get $len)))
        (local.set $g (i32.add (local.get $g) (i32.shl (local.get $len) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (br $blocks))))
)
