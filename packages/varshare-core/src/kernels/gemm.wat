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
  (import "env" "memory" (memory 1 65536 shared))
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
