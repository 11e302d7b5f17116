;; Standard normals of tfjs-core's randomNormal (Marsaglia's polar method on seedrandom's Alea) in
;; WebAssembly, for @varshare/core's frozen weight noise. This text is the source: `npm run
;; build:wasm` assembles it (wabt) into randomWasm.ts, and a test checks that the embedded bytes are
;; this file's assembly.
;;
;; The float64 operations of randomNormal.ts in the same order, with fdlibm's logarithm (V8's
;; Math.log, FreeBSD msun e_log.c) written out: the same values bit for bit (tested against the JS
;; generator and Math.log).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; log(x) for 0 < x < 1 finite normal (the polar method's s): fdlibm's __ieee754_log, operation for
  ;; operation (what V8's Math.log computes), so the value is Math.log's bit for bit.
  (func $log (param $x f64) (result f64)
    (local $hx i32) (local $k i32) (local $i i32) (local $j i32) (local $bits i64)
    (local $f f64) (local $s f64) (local $z f64) (local $w f64) (local $t1 f64) (local $t2 f64)
    (local $R f64) (local $hfsq f64) (local $dk f64)
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $hx (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.const 32))))
    (local.set $k (i32.sub (i32.shr_s (local.get $hx) (i32.const 20)) (i32.const 1023)))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x000fffff)))
    (local.set $i (i32.and (i32.add (local.get $hx) (i32.const 0x95f64)) (i32.const 0x100000)))
    ;; normalise x or x/2: the high word hx | (i ^ 0x3ff00000), the low word kept
    (local.set $x (f64.reinterpret_i64 (i64.or
      (i64.shl (i64.extend_i32_u (i32.or (local.get $hx) (i32.xor (local.get $i) (i32.const 0x3ff00000)))) (i64.const 32))
      (i64.and (local.get $bits) (i64.const 0xffffffff)))))
    (local.set $k (i32.add (local.get $k) (i32.shr_s (local.get $i) (i32.const 20))))
    (local.set $f (f64.sub (local.get $x) (f64.const 1)))
    (if (i32.lt_s (i32.and (i32.const 0x000fffff) (i32.add (i32.const 2) (local.get $hx))) (i32.const 3))
      (then
        (if (f64.eq (local.get $f) (f64.const 0))
          (then
            (if (i32.eqz (local.get $k)) (then (return (f64.const 0))))
            (local.set $dk (f64.convert_i32_s (local.get $k)))
            (return (f64.add (f64.mul (local.get $dk) (f64.const 6.93147180369123816490e-01)) (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10))))))
        (local.set $R (f64.mul (f64.mul (local.get $f) (local.get $f)) (f64.sub (f64.const 0.5) (f64.mul (f64.const 0.33333333333333333) (local.get $f)))))
        (if (i32.eqz (local.get $k)) (then (return (f64.sub (local.get $f) (local.get $R)))))
        (local.set $dk (f64.convert_i32_s (local.get $k)))
        (return (f64.sub (f64.mul (local.get $dk) (f64.const 6.93147180369123816490e-01))
          (f64.sub (f64.sub (local.get $R) (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10))) (local.get $f))))))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $dk (f64.convert_i32_s (local.get $k)))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (local.set $i (i32.sub (local.get $hx) (i32.const 0x6147a)))
    (local.set $w (f64.mul (local.get $z) (local.get $z)))
    (local.set $j (i32.sub (i32.const 0x6b851) (local.get $hx)))
    (local.set $t1 (f64.mul (local.get $w) (f64.add (f64.const 3.999999999940941908e-01)
      (f64.mul (local.get $w) (f64.add (f64.const 2.222219843214978396e-01) (f64.mul (local.get $w) (f64.const 1.531383769920937332e-01)))))))
    (local.set $t2 (f64.mul (local.get $z) (f64.add (f64.const 6.666666666666735130e-01)
      (f64.mul (local.get $w) (f64.add (f64.const 2.857142874366239149e-01)
        (f64.mul (local.get $w) (f64.add (f64.const 1.818357216161805012e-01) (f64.mul (local.get $w) (f64.const 1.479819860511658591e-01)))))))))
    (local.set $i (i32.or (local.get $i) (local.get $j)))
    (local.set $R (f64.add (local.get $t2) (local.get $t1)))
    (if (i32.gt_s (local.get $i) (i32.const 0))
      (then
        (local.set $hfsq (f64.mul (f64.mul (f64.const 0.5) (local.get $f)) (local.get $f)))
        (if (i32.eqz (local.get $k))
          (then (return (f64.sub (local.get $f) (f64.sub (local.get $hfsq) (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R))))))))
        (return (f64.sub (f64.mul (local.get $dk) (f64.const 6.93147180369123816490e-01))
          (f64.sub (f64.sub (local.get $hfsq) (f64.add (f64.mul (local.get $s) (f64.add (local.get $hfsq) (local.get $R))) (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10)))) (local.get $f))))))
    (if (i32.eqz (local.get $k))
      (then (return (f64.sub (local.get $f) (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $R)))))))
    (f64.sub (f64.mul (local.get $dk) (f64.const 6.93147180369123816490e-01))
      (f64.sub (f64.sub (f64.mul (local.get $s) (f64.sub (local.get $f) (local.get $R))) (f64.mul (local.get $dk) (f64.const 1.90821492927058770002e-10))) (local.get $f))))

  (func (export "log") (param $x f64) (result f64) (call $log (local.get $x)))

  ;; normals(out, n, state): n float32 values at out; state (8-byte aligned) holds Alea's s0, s1, s2, c
  ;; as four float64, read at the start and written back at the end.
  (func $normals (export "normals") (param $out i32) (param $n i32) (param $state i32)
    (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $c f64) (local $t f64)
    (local $v1 f64) (local $v2 f64) (local $s f64) (local $mul f64) (local $end i32)
    (local.set $s0 (f64.load offset=0 (local.get $state)))
    (local.set $s1 (f64.load offset=8 (local.get $state)))
    (local.set $s2 (f64.load offset=16 (local.get $state)))
    (local.set $c (f64.load offset=24 (local.get $state)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (loop $draw
          (local.set $t (f64.add (f64.mul (f64.const 2091639) (local.get $s0)) (f64.mul (local.get $c) (f64.const 2.3283064365386963e-10))))
          (local.set $s0 (local.get $s1))
          (local.set $s1 (local.get $s2))
          (local.set $c (f64.convert_i32_s (i32.trunc_f64_s (local.get $t))))
          (local.set $s2 (f64.sub (local.get $t) (local.get $c)))
          (local.set $v1 (f64.sub (f64.mul (f64.const 2) (local.get $s2)) (f64.const 1)))
          (local.set $t (f64.add (f64.mul (f64.const 2091639) (local.get $s0)) (f64.mul (local.get $c) (f64.const 2.3283064365386963e-10))))
          (local.set $s0 (local.get $s1))
          (local.set $s1 (local.get $s2))
          (local.set $c (f64.convert_i32_s (i32.trunc_f64_s (local.get $t))))
          (local.set $s2 (f64.sub (local.get $t) (local.get $c)))
          (local.set $v2 (f64.sub (f64.mul (f64.const 2) (local.get $s2)) (f64.const 1)))
          (local.set $s (f64.add (f64.mul (local.get $v1) (local.get $v1)) (f64.mul (local.get $v2) (local.get $v2))))
          (br_if $draw (i32.or (f64.ge (local.get $s) (f64.const 1)) (f64.eq (local.get $s) (f64.const 0)))))
        (local.set $mul (f64.sqrt (f64.div (f64.mul (f64.const -2) (call $log (local.get $s))) (local.get $s))))
        (f32.store (local.get $out) (f32.demote_f64 (f64.add (f64.const 0) (f64.mul (f64.mul (f64.const 1) (local.get $v1)) (local.get $mul)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (if (i32.lt_u (local.get $out) (local.get $end))
          (then
            (f32.store (local.get $out) (f32.demote_f64 (f64.add (f64.const 0) (f64.mul (f64.mul (f64.const 1) (local.get $v2)) (local.get $mul)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (br $pairs)))
    (f64.store offset=0 (local.get $state) (local.get $s0))
    (f64.store offset=8 (local.get $state) (local.get $s1))
    (f64.store offset=16 (local.get $state) (local.get $s2))
    (f64.store offset=24 (local.get $state) (local.get $c)))

  ;; jobs(table, count): normals(out, n, state) for each of `count` records of three i32 at table.
  (func (export "jobs") (param $table i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $table) (i32.mul (local.get $count) (i32.const 12))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $table) (local.get $end)))
        (call $normals (i32.load offset=0 (local.get $table)) (i32.load offset=4 (local.get $table)) (i32.load offset=8 (local.get $table)))
        (local.set $table (i32.add (local.get $table) (i32.const 12)))
        (br $each))))
)
