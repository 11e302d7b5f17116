;; Exact medians of unions of float32 arrays in WebAssembly, for @varshare/core's posterior
;; diagnostics. This text is the source: `npm run build:wasm` assembles it (wabt) into
;; medianWasm.ts, and a test checks that the embedded bytes are this file's assembly.
;;
;; The selection of @varshare/base's `radixMedian`, on the arrays where they are (no copy, no
;; concatenation): keys are the float32 bit patterns made unsigned with the order of the values
;; (negative floats all bits flipped, the others the sign bit set); pass 1 counts the high 16 bits of
;; every key, which locates the middle rank(s) in one or two buckets; pass 2 counts the low 16 bits
;; of the keys in those buckets, which gives the middle key(s) exactly.
;;
;; medians(jobs, count, scratch): for each of `count` job records of 8 i32 (32 bytes) at `jobs`:
;;   [0] byte offset of the job's parts, pairs (byte offset, number of floats) of 8 bytes each
;;   [1] number of parts
;;   [2] mask applied to every bit pattern first: 0x7fffffff for |x|, -1 for x
;;   [3] out: the lower middle key   [4] out: the upper middle key (equal for an odd count)
;;   [5] out: 0 = keys found, 1 = some value is NaN, 2 = no values
;; scratch: 4 × 65,536 + 4 i32 (1 MiB + 16 bytes) of this call's own, overwritten.

(module
  (import "env" "memory" (memory 1 65536 shared))


  ;; The bucket holding rank $k of histogram $h (65,536 i32), scanning from bucket $from (every
  ;; bucket below it empty); returns the bucket and stores the rank within it at $rank.
  (func $locate (param $h i32) (param $k i32) (param $rank i32) (param $from i32) (result i32)
    (local $below i32) (local $b i32) (local $c i32)
    (local.set $b (local.get $from))
    (block $found
      (loop $scan
        (local.set $c (i32.load (i32.add (local.get $h) (i32.shl (local.get $b) (i32.const 2)))))
        (br_if $found (i32.gt_u (i32.add (local.get $below) (local.get $c)) (local.get $k)))
        (local.set $below (i32.add (local.get $below) (local.get $c)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $scan)))
    (i32.store (local.get $rank) (i32.sub (local.get $k) (local.get $below)))
    (local.get $b))

  (func $job (param $rec i32) (param $scratch i32)
    (local $parts i32) (local $nparts i32) (local $mask i32) (local $q i32) (local $qend i32)
    (local $p i32) (local $end i32) (local $b i32) (local $k i32) (local $n i32) (local $nan i32)
    (local $kLo i32) (local $kHi i32) (local $bLo i32) (local $bHi i32) (local $rLo i32) (local $rHi i32)
    (local $hLo i32) (local $hHi i32) (local $top i32) (local $at i32)
    (local $b2 i32) (local $top2 i32) (local $min i32)
    (local.set $parts (i32.load offset=0 (local.get $rec)))
    (local.set $nparts (i32.load offset=4 (local.get $rec)))
    (local.set $mask (i32.load offset=8 (local.get $rec)))
    (local.set $qend (i32.add (local.get $parts) (i32.shl (local.get $nparts) (i32.const 3))))
    ;; pass 1: high 16 bits of every key, entries at even and odd positions of a part counted in two
    ;; histograms (scratch and scratch + 256 KiB; summed after: clustered values would chain every
    ;; increment of one counter on the last), and the smallest bucket; key(b) = b ^ ((b >> 31) |
    ;; 0x80000000): all bits flipped for a negative float, the sign bit set for the others
    (memory.fill (local.get $scratch) (i32.const 0) (i32.const 524288))
    (local.set $min (i32.const 65535))
    (local.set $q (local.get $parts))
    (block $p1done
      (loop $p1parts
        (br_if $p1done (i32.ge_u (local.get $q) (local.get $qend)))
        (local.set $p (i32.load offset=0 (local.get $q)))
        (local.set $end (i32.add (local.get $p) (i32.shl (i32.load offset=4 (local.get $q)) (i32.const 2))))
        (local.set $n (i32.add (local.get $n) (i32.load offset=4 (local.get $q))))
        (block $p1pairsDone
          (loop $p1pairs
            (br_if $p1pairsDone (i32.ge_u (i32.add (local.get $p) (i32.const 4)) (local.get $end)))
            (local.set $b (i32.and (i32.load offset=0 (local.get $p)) (local.get $mask)))
            (local.set $b2 (i32.and (i32.load offset=4 (local.get $p)) (local.get $mask)))
            (local.set $nan (i32.or (local.get $nan) (i32.or
              (i32.gt_u (i32.and (local.get $b) (i32.const 0x7fffffff)) (i32.const 0x7f800000))
              (i32.gt_u (i32.and (local.get $b2) (i32.const 0x7fffffff)) (i32.const 0x7f800000)))))
            (local.set $top (i32.shr_u (i32.xor (local.get $b) (i32.or (i32.shr_s (local.get $b) (i32.const 31)) (i32.const 0x80000000))) (i32.const 16)))
            (local.set $top2 (i32.shr_u (i32.xor (local.get $b2) (i32.or (i32.shr_s (local.get $b2) (i32.const 31)) (i32.const 0x80000000))) (i32.const 16)))
            (if (i32.lt_u (local.get $top) (local.get $min)) (then (local.set $min (local.get $top))))
            (if (i32.lt_u (local.get $top2) (local.get $min)) (then (local.set $min (local.get $top2))))
            (local.set $at (i32.add (local.get $scratch) (i32.shl (local.get $top) (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
            (local.set $at (i32.add (local.get $scratch) (i32.add (i32.shl (local.get $top2) (i32.const 2)) (i32.const 262144))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $p1pairs)))
        (if (i32.lt_u (local.get $p) (local.get $end))
          (then
            (local.set $b (i32.and (i32.load (local.get $p)) (local.get $mask)))
            (local.set $nan (i32.or (local.get $nan) (i32.gt_u (i32.and (local.get $b) (i32.const 0x7fffffff)) (i32.const 0x7f800000))))
            (local.set $top (i32.shr_u (i32.xor (local.get $b) (i32.or (i32.shr_s (local.get $b) (i32.const 31)) (i32.const 0x80000000))) (i32.const 16)))
            (if (i32.lt_u (local.get $top) (local.get $min)) (then (local.set $min (local.get $top))))
            (local.set $at (i32.add (local.get $scratch) (i32.shl (local.get $top) (i32.const 2))))
            (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))))
        (local.set $q (i32.add (local.get $q) (i32.const 8)))
        (br $p1parts)))
    (if (local.get $nan) (then (i32.store offset=20 (local.get $rec) (i32.const 1)) (return)))
    ;; the two histograms summed into the first, from the smallest bucket on
    (local.set $at (i32.add (local.get $scratch) (i32.shl (local.get $min) (i32.const 2))))
    (local.set $end (i32.add (local.get $scratch) (i32.const 262144)))
    (block $sumDone
      (loop $sum
        (br_if $sumDone (i32.ge_u (local.get $at) (local.get $end)))
        (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.load offset=262144 (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $sum)))
    (if (i32.eqz (local.get $n)) (then (i32.store offset=20 (local.get $rec) (i32.const 2)) (return)))
    ;; the middle rank(s) and their buckets
    (local.set $kHi (i32.shr_u (local.get $n) (i32.const 1)))
    (local.set $kLo (select (local.get $kHi) (i32.sub (local.get $kHi) (i32.const 1)) (i32.and (local.get $n) (i32.const 1))))
    ;; (the rank within a bucket goes to the 16 bytes after pass 1's histograms; the upper rank is
    ;; located from the lower one's bucket, kLo − rLo entries below it)
    (local.set $bLo (call $locate (local.get $scratch) (local.get $kLo) (i32.add (local.get $scratch) (i32.const 524288)) (local.get $min)))
    (local.set $rLo (i32.load (i32.add (local.get $scratch) (i32.const 524288))))
    (local.set $bHi (call $locate (local.get $scratch) (i32.add (i32.sub (local.get $kHi) (local.get $kLo)) (local.get $rLo)) (i32.add (local.get $scratch) (i32.const 524288)) (local.get $bLo)))
    (local.set $rHi (i32.load (i32.add (local.get $scratch) (i32.const 524288))))
    ;; pass 2: low 16 bits of the keys in those buckets (one histogram when they are the same)
    (local.set $hLo (i32.add (local.get $scratch) (i32.const 524304)))
    (local.set $hHi (select (local.get $hLo) (i32.add (local.get $hLo) (i32.const 262144)) (i32.eq (local.get $bLo) (local.get $bHi))))
    (memory.fill (local.get $hLo) (i32.const 0) (i32.const 262144))
    (memory.fill (local.get $hHi) (i32.const 0) (i32.const 262144))
    (local.set $q (local.get $parts))
    (block $p2done
      (loop $p2parts
        (br_if $p2done (i32.ge_u (local.get $q) (local.get $qend)))
        (local.set $p (i32.load offset=0 (local.get $q)))
        (local.set $end (i32.add (local.get $p) (i32.shl (i32.load offset=4 (local.get $q)) (i32.const 2))))
        (block $p2elemsDone
          (loop $p2elems
            (br_if $p2elemsDone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $b (i32.and (i32.load (local.get $p)) (local.get $mask)))
            (local.set $k (i32.xor (local.get $b) (i32.or (i32.shr_s (local.get $b) (i32.const 31)) (i32.const 0x80000000))))
            (local.set $top (i32.shr_u (local.get $k) (i32.const 16)))
            (if (i32.eq (local.get $top) (local.get $bLo))
              (then
                (local.set $at (i32.add (local.get $hLo) (i32.shl (i32.and (local.get $k) (i32.const 0xffff)) (i32.const 2))))
                (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1))))
              (else
                (if (i32.eq (local.get $top) (local.get $bHi))
                  (then
                    (local.set $at (i32.add (local.get $hHi) (i32.shl (i32.and (local.get $k) (i32.const 0xffff)) (i32.const 2))))
                    (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $p2elems)))
        (local.set $q (i32.add (local.get $q) (i32.const 8)))
        (br $p2parts)))
    ;; the keys: bucket << 16 | the digit holding the rank within the bucket
    (i32.store offset=12 (local.get $rec) (i32.or (i32.shl (local.get $bLo) (i32.const 16)) (call $locate (local.get $hLo) (local.get $rLo) (i32.add (local.get $scratch) (i32.const 524292)) (i32.const 0))))
    (i32.store offset=16 (local.get $rec) (i32.or (i32.shl (local.get $bHi) (i32.const 16)) (call $locate (local.get $hHi) (local.get $rHi) (i32.add (local.get $scratch) (i32.const 524292)) (i32.const 0))))
    (i32.store offset=20 (local.get $rec) (i32.const 0)))

  (func (export "medians") (param $jobs i32) (param $count i32) (param $scratch i32)
    (local $j i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (call $job (i32.add (local.get $jobs) (i32.shl (local.get $j) (i32.const 5))) (local.get $scratch))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each))))
)
