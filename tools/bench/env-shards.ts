/**
 * A suite's vector env (4 rows per task, random actions) stepped on one thread and as a
 * `ShardedVectorEnv` of two shards (the calling thread and one worker), 100 steps of each in turn,
 * ten rounds, so this machine's drift hits both alike. Prints ms per vector step. Not part of
 * `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/env-shards.ts [suite=lunarlander-mt]
 */
import { ShardedVectorEnv, createSuite, prepareSuite } from '@varshare/envs';
const suite = process.argv[2] ?? 'lunarlander-mt';
await prepareSuite(suite);
const opts = { envsPerTask: 4, seed: 1 };
const one = createSuite(suite, opts);
const two = await ShardedVectorEnv.create(suite, opts, 2);
for (const e of [one, two]) e.reset();
const N = one.numRows * one.actionSize;
let s = 7;
const acts = () => {
  const a = one.actionKind === 'discrete' ? new Int32Array(N) : new Float32Array(N);
  for (let i = 0; i < N; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = one.actionKind === 'discrete' ? s % 4 : (s / 2 ** 32) * 2 - 1; }
  return a;
};
const t: [number, number] = [0, 0];
for (let round = 0; round < 10; round++) {
  for (const [i, e] of [[0, one], [1, two]] as const) {
    const t0 = performance.now();
    for (let k = 0; k < 100; k++) e.step(acts());
    t[i] += performance.now() - t0;
  }
}
console.log(`${suite}: 1000 vector steps of ${one.numRows} rows: one thread ${(t[0] / 1000).toFixed(2)} ms/step, two shards ${(t[1] / 1000).toFixed(2)} ms/step (${(t[0] / t[1]).toFixed(2)}×)`);
two.close();
one.close();
