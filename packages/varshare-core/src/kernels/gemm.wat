;; Batched single-precision matrix product with WebAssembly SIMD (128-bit), for @varshare/core.
;; This text is the source: `npm run build:wasm` assembles it (wabt) into gemmWasm.ts, and a test
;; checks that the embedded bytes are this file's assembly.
;;
;; bgemm(a, b, c, T, n, k, m): for t in [0, T): C_t = A_t B_t, with A_t [n, k] in the packed panel
;; layout written by packa, B_t [k, m] and C_t [n, m] row-major, each operand's T blocks contiguous
;; (A_t at a + t·n·k·4 bytes, and so on). Requires n % 4 == 0, m % 8 == 0, k >= 1 (the caller
;; pads). C is overwritten.
;; packa(src, dst, T, n, k, np, trans): A_t (row-major [n, k], or stored [k, n] when trans) into the
;; panel layout: the np/4 blocks of 4 rows one after the other, each with its k columns of 4
;; values, dst[t·np·k + (i/4)·4k + p·4 + i%4] = A_t[i, p]; rows n ≤ i < np are zero.
;; copy2d(src, dst, T, rows, cols, sRow, sCol, sBatch, dRow, dBatch): strided copy of T [rows, cols]
;; blocks (strides in floats): dst[t·dBatch + i·dRow + j] = src[t·sBatch + i·sRow + j·sCol]. With
;; sRow = 1 and sCol = rows it reads a transposed operand; it also pads B and unpads C.
;; Micro-kernel: a 4×8 block of C in eight f32x4 accumulators; per step p of the inner dimension,
;; two vector loads of B[p, j..j+8) and four broadcast loads (v128.load32_splat at fixed offsets
;; of one pointer: the packed layout) of A[i..i+4, p]. Products are summed in increasing p, each
;; term by relaxed SIMD's f32x4.relaxed_madd: a fused multiply-add (one rounding per term) where the
;; CPU has one (x86-64 with FMA3, arm64), which V8 uses; else a multiply and an add. Against the
;; multiply-then-add kernel (two roundings) 1.2–1.4× on the 400-wide update's shapes, packing
;; included (one thread, `node tools/bench/gemm-ab.mjs 401f0f1`, two runs): that loop was bound by its
;; 16 vector FP operations per step, this one issues 8. C differs from it by rounding (≤ 1.1e-6
;; relative to 1 + |C| on those shapes).
;; Node 20 compiles relaxed SIMD behind --experimental-wasm-relaxed-simd (instantiate.ts sets it).

(module
  (import "env" "memory" (memory 1 65536 shared))
  (func $gemm (param $a i32) (param $b i32) (param $c i32) (param $n i32) (param $k i32) (param $m i32)
    (local $i i32) (local $j i32) (local $ap i32) (local $aend i32) (local $ablk i32) (local $mb i32)
    (local $bp i32) (local $cp i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    ;; bytes per packed block of 4 rows, and per row of B and C
    (local.set $ablk (i32.shl (local.get $k) (i32.const 4)))
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
        (local.set $ap (i32.add (local.get $a) (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (local.get $ablk))))
        (local.set $aend (i32.add (local.get $ap) (local.get $ablk)))
        (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (loop $inner
          (local.set $b0 (v128.load offset=0 (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $av (v128.load32_splat offset=0 (local.get $ap)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=4 (local.get $ap)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=8 (local.get $ap)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=12 (local.get $ap)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
          (local.set $bp (i32.add (local.get $bp) (local.get $mb)))
          (br_if $inner (i32.lt_u (local.get $ap) (local.get $aend))))
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
;; bgemmrows(a, b, c, T, n, k, m, r0, rows): rows [r0, r0 + rows) of every C_t of bgemm(a, b, c,
  ;; T, n, k, m) (r0 and rows multiples of 4): one thread's part of a batched product split by rows,
  ;; which balances the parts for any T (a split by task leaves 2 + 1 tasks for T = 3 on two
  ;; threads). Same sums as bgemm.
  (func (export "bgemmrows") (param $a i32) (param $b i32) (param $c i32) (param $T i32) (param $n i32) (param $k i32) (param $m i32) (param $r0 i32) (param $rows i32)
    (local $t i32) (local $sa i32) (local $sb i32) (local $sc i32)
    (local.set $sa (i32.shl (i32.mul (local.get $n) (local.get $k)) (i32.const 2)))
    (local.set $sb (i32.shl (i32.mul (local.get $k) (local.get $m)) (i32.const 2)))
    (local.set $sc (i32.shl (i32.mul (local.get $n) (local.get $m)) (i32.const 2)))
    (local.set $a (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r0) (local.get $k)) (i32.const 2))))
    (local.set $c (i32.add (local.get $c) (i32.shl (i32.mul (local.get $r0) (local.get $m)) (i32.const 2))))
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $T)) (i32.eqz (local.get $rows))))
      (loop $batch
        (call $gemm (local.get $a) (local.get $b) (local.get $c) (local.get $rows) (local.get $k) (local.get $m))
        (local.set $a (i32.add (local.get $a) (local.get $sa)))
        (local.set $b (i32.add (local.get $b) (local.get $sb)))
        (local.set $c (i32.add (local.get $c) (local.get $sc)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $batch (i32.lt_u (local.get $t) (local.get $T))))))
  (func (export "packa") (param $src i32) (param $dst i32) (param $T i32) (param $n i32) (param $k i32) (param $np i32) (param $trans i32)
    (local $t i32) (local $i i32) (local $r i32) (local $p i32) (local $s i32) (local $d i32) (local $row i32)
    (local $ka i32) (local $na i32) (local $k4 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128)
    (local.set $ka (i32.shl (local.get $k) (i32.const 2)))
    (local.set $na (i32.shl (local.get $n) (i32.const 2)))
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (block $done
      (br_if $done (i32.or (i32.eqz (local.get $T)) (i32.eqz (local.get $k))))
      (loop $batch
        (local.set $i (i32.const 0))
        (loop $blocks
          (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
          (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $n))
            (then
              (if (local.get $trans)
                (then
                  ;; stored [k, n]: the block's 4 values of column p are adjacent, src[p·n + i ..]
                  (local.set $s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
                  (local.set $p (local.get $k))
                  (loop $tcol
                    (v128.store (local.get $d) (v128.load (local.get $s)))
                    (local.set $s (i32.add (local.get $s) (local.get $na)))
                    (local.set $d (i32.add (local.get $d) (i32.const 16)))
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (br_if $tcol (local.get $p))))
                (else
                  ;; row-major: 4×4 tiles transposed in registers, then the last k % 4 columns
                  (local.set $s (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $ka))))
                  (local.set $p (i32.const 0))
                  (block $tiles_done
                    (br_if $tiles_done (i32.eqz (local.get $k4)))
                    (loop $tiles
                      (local.set $r0 (v128.load (local.get $s)))
                      (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $ka))))
                      (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $ka) (i32.const 1)))))
                      (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $ka) (i32.const 3)))))
                      ;; t0 = r0[0] r1[0] r0[1] r1[1], t1 = r2[0] r3[0] r2[1] r3[1]
                      (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                      (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                      (v128.store offset=0 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
                      (v128.store offset=16 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
                      ;; t0 = r0[2] r1[2] r0[3] r1[3], t1 = r2[2] r3[2] r2[3] r3[3]
                      (local.set $t0 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                      (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                      (v128.store offset=32 (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
                      (v128.store offset=48 (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
                      (local.set $s (i32.add (local.get $s) (i32.const 16)))
                      (local.set $d (i32.add (local.get $d) (i32.const 64)))
                      (local.set $p (i32.add (local.get $p) (i32.const 4)))
                      (br_if $tiles (i32.lt_u (local.get $p) (local.get $k4)))))
                  (block $tail_done
                    (br_if $tail_done (i32.ge_u (local.get $p) (local.get $k)))
                    (loop $tail
                      (f32.store offset=0 (local.get $d) (f32.load (local.get $s)))
                      (f32.store offset=4 (local.get $d) (f32.load (i32.add (local.get $s) (local.get $ka))))
                      (f32.store offset=8 (local.get $d) (f32.load (i32.add (local.get $s) (i32.shl (local.get $ka) (i32.const 1)))))
                      (f32.store offset=12 (local.get $d) (f32.load (i32.add (local.get $s) (i32.mul (local.get $ka) (i32.const 3)))))
                      (local.set $s (i32.add (local.get $s) (i32.const 4)))
                      (local.set $d (i32.add (local.get $d) (i32.const 16)))
                      (local.set $p (i32.add (local.get $p) (i32.const 1)))
                      (br_if $tail (i32.lt_u (local.get $p) (local.get $k))))))))
            (else
              ;; the last, partial block: lane by lane, zeros past row n
              (local.set $r (i32.const 0))
              (loop $lanes
                (local.set $row (i32.add (local.get $i) (local.get $r)))
                (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $r)) (i32.const 2))))
                (local.set $p (local.get $k))
                (if (i32.lt_u (local.get $row) (local.get $n))
                  (then
                    (if (local.get $trans)
                      (then
                        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $row) (i32.const 2))))
                        (loop $pcolt
                          (f32.store (local.get $d) (f32.load (local.get $s)))
                          (local.set $s (i32.add (local.get $s) (local.get $na)))
                          (local.set $d (i32.add (local.get $d) (i32.const 16)))
                          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                          (br_if $pcolt (local.get $p))))
                      (else
                        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $ka))))
                        (loop $pcol
                          (f32.store (local.get $d) (f32.load (local.get $s)))
                          (local.set $s (i32.add (local.get $s) (i32.const 4)))
                          (local.set $d (i32.add (local.get $d) (i32.const 16)))
                          (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                          (br_if $pcol (local.get $p))))))
                  (else
                    (loop $zero
                      (f32.store (local.get $d) (f32.const 0))
                      (local.set $d (i32.add (local.get $d) (i32.const 16)))
                      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                      (br_if $zero (local.get $p)))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $lanes (i32.lt_u (local.get $r) (i32.const 4))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $blocks (i32.lt_u (local.get $i) (local.get $np))))
        (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $n) (local.get $k)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $np) (local.get $k)) (i32.const 2))))
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
)
