/**
 * The SIMD matmul kernel (gemm.wat through `hotOps().groupedMatMul`) on the batched shapes of the
 * 400-wide update (arm-mt10: 10 tasks × 64 rows per minibatch) and of the plain MLP (one 640-row
 * product), at 1 and 2 kernel threads in alternating rounds so that this machine's drift hits both
 * alike. Prints the median over the rounds of the kernel's GFLOP/s (its own timer: operand packing
 * included, tfjs dispatch not). Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/gemm.ts [rounds=5] [reps=30]
 */
import { hotOps, initBackend, kernelStats, median, resetKernelStats, setKernelThreads, tf } from '@varshare/core';

const rounds = Number(process.argv[2] ?? 5);
const reps = Number(process.argv[3] ?? 30);
await initBackend('wasm');
const shapes: readonly (readonly [string, number, number, number, number])[] = [
  ['forward, 10 tasks: [64,400]·[400,400]', 10, 64, 400, 400],
  ['∂W-like, 10 tasks: [400,64]·[64,400]', 10, 400, 64, 400],
  ['plain: [640,400]·[400,400]', 1, 640, 400, 400],
  ['cartpole-mt, 10 tasks: [16,64]·[64,64]', 10, 16, 64, 64],
];
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const threads of [1, 2]) {
    setKernelThreads(threads);
    for (const [label, T, n, k, m] of shapes) {
      const a = tf.randomNormal([T, n, k], 0, 1, 'float32', 1) as tf.Tensor3D;
      const b = tf.randomNormal([T, k, m], 0, 1, 'float32', 2) as tf.Tensor3D;
      for (let i = 0; i < 3; i++) tf.dispose(hotOps().groupedMatMul(a, b));
      resetKernelStats();
      for (let i = 0; i < reps; i++) tf.dispose(hotOps().groupedMatMul(a, b));
      const s = kernelStats();
      if (!s) throw new Error('gemm.ts: the wasm kernels are not in use');
      const key = `${label} @${threads}`;
      results.set(key, [...(results.get(key) ?? []), s.flops / s.ms / 1e6]);
      tf.dispose([a, b]);
    }
  }
}
setKernelThreads(1);
for (const [label] of shapes) {
  const [one, two] = [1, 2].map((t) => median(results.get(`${label} @${t}`) as number[]));
  console.log(`${label.padEnd(42)} 1 thread ${one!.toFixed(1).padStart(5)} GFLOP/s   2 threads ${two!.toFixed(1).padStart(5)} GFLOP/s   (${(two! / one!).toFixed(2)}×)`);
}
