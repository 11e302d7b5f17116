#!/usr/bin/env node
/**
 * A/B of the matmul micro-kernel: gemm.wat as committed at REV (default 401f0f1, the last one
 * with a multiply and an add per term; 3861c60 is before the packed A panels) against the working
 * tree's, assembled here with wabt and instantiated on one memory, the same operands, calls
 * alternating so that this machine's drift hits both alike; prints whether both give bit-identical
 * C, else the largest difference relative to 1 + |C| (a fused multiply-add rounds once per term).
 * One thread, kernel time only (each side's time includes its packa when it has one). Not part of `npm test`.
 *
 *   node tools/bench/gemm-ab.mjs [rev=401f0f1] [reps=40]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { assembleWat } from '../wasm/build.mjs';

// the working tree's gemm.wat uses relaxed SIMD, behind this flag in Node 20 (see kernels/instantiate.ts)
setFlagsFromString('--experimental-wasm-relaxed-simd');
const rev = process.argv[2] ?? '401f0f1';
const reps = Number(process.argv[3] ?? 40);
const path = 'packages/varshare-core/src/kernels/gemm.wat';
const root = fileURLToPath(new URL('../..', import.meta.url));
const before = execFileSync('git', ['show', `${rev}:${path}`], { cwd: root, encoding: 'utf8' });
const after = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const memory = new WebAssembly.Memory({ initial: 1600, maximum: 65536, shared: true });
const load = async (name, text) => (await WebAssembly.instantiate(await assembleWat(name, text), { env: { memory } })).instance.exports;
const [old, cur] = [await load('before', before), await load('after', after)];
const f32 = new Float32Array(memory.buffer);

/** [label, T, n, k, m]: the 400-wide update's per-task products, the plain MLP's, cartpole-mt's. */
const shapes = [
  ['forward, 10 tasks: [64,400]·[400,400]', 10, 64, 400, 400],
  ['∂W, 10 tasks: [400,64]·[64,400]', 10, 400, 64, 400],
  ['∂X (Wᵀ), 10 tasks: [400,400]·[400,64]', 10, 400, 400, 64],
  ['plain: [640,400]·[400,400]', 1, 640, 400, 400],
  ['cartpole-mt, 10 tasks: [16,64]·[64,64]', 10, 16, 64, 64],
];
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
for (const [label, T, n, k, m] of shapes) {
  const A = 0;
  const B = A + T * n * k;
  const P = B + T * k * m;
  const C0 = P + T * n * k;
  const C1 = C0 + T * n * m;
  for (let i = 0; i < P; i++) f32[i] = rand();
  // a REV with packa packs its A too (the same layout); before it, bgemm read A row-major
  const runOld = old.packa
    ? () => {
        old.packa(A * 4, P * 4, T, n, k, n, 0);
        old.bgemm(P * 4, B * 4, C0 * 4, T, n, k, m);
      }
    : () => old.bgemm(A * 4, B * 4, C0 * 4, T, n, k, m);
  const runNew = () => {
    cur.packa(A * 4, P * 4, T, n, k, n, 0);
    cur.bgemm(P * 4, B * 4, C1 * 4, T, n, k, m);
  };
  const times = [[], []];
  for (let r = 0; r < reps + 3; r++) {
    for (const [i, run] of [[0, runOld], [1, runNew]]) {
      const t0 = performance.now();
      run();
      if (r >= 3) times[i].push(performance.now() - t0);
    }
  }
  let same = true;
  let worst = 0;
  for (let i = 0; i < T * n * m; i++) {
    if (!Object.is(f32[C0 + i], f32[C1 + i])) same = false;
    worst = Math.max(worst, Math.abs(f32[C0 + i] - f32[C1 + i]) / (1 + Math.abs(f32[C0 + i])));
  }
  const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const gf = (ms) => (2 * T * n * k * m) / ms / 1e6;
  const [a, b] = times.map(med);
  console.log(`${label.padEnd(40)} before ${gf(a).toFixed(1).padStart(5)} GFLOP/s  after ${gf(b).toFixed(1).padStart(5)} GFLOP/s  ${(a / b).toFixed(2)}×  C ${same ? 'bit-identical' : `max rel. difference ${worst.toExponential(1)}`}`);
}
