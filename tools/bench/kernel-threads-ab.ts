/**
 * PPO updates with the kernel threads on and off in turn, in one process and one run (the metrics
 * are the same either way, so the run goes on identically), so that this machine's drift — often
 * ±30 % between consecutive runs — hits both alike. Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/kernel-threads-ab.ts [suite=arm-mt10] [hidden=400] [numSteps=128] [pairs=6]
 *
 * Prints the median update and rollout seconds at 1 kernel thread (unshared memory) and 2 (shared
 * memory and a worker, `setKernelThreads`) and how many products an update splits. (Env sharding and the evaluation worker are not involved: one PPOTrainer on the
 * calling thread.)
 */
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
import { initBackend, kernelStats, resetKernelStats, setKernelThreads, median } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { prepareSuite } from '@varshare/envs';
const [suite, width, numSteps, n] = [process.argv[2] ?? 'arm-mt10', Number(process.argv[3] ?? 400), Number(process.argv[4] ?? 128), Number(process.argv[5] ?? 6)];
await initBackend('wasm');
await prepareSuite(suite);
const config = trainingConfigSchema.parse({ envsPerTask: 4, ppo: { numSteps, numMinibatches: 8, updateEpochs: 4 }, network: { hiddenSizes: [width, width] }, eval: { interval: 1000 } });
const trainer = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite, seed: 1, totalSteps: 1e9 });
trainer.runUpdate();
const a: number[] = [], b: number[] = [], ra: number[] = [], rb: number[] = [];
for (let i = 0; i < n; i++) {
  for (const on of i % 2 ? [true, false] : [false, true]) {
    // one thread: the kernels on an unshared memory; two: moved to a shared one, and a worker
    setKernelThreads(on ? 2 : 1);
    resetKernelStats();
    const r = trainer.runUpdate().metrics;
    if (on && i === 0) console.log(`products split per update: ${kernelStats()?.threadedCalls}`);
    (on ? b : a).push(r['charts/update_s'] as number);
    (on ? rb : ra).push(r['charts/rollout_s'] as number);
  }
}
console.log(`${suite} ${width}: update t1 ${median(a).toFixed(3)} s, t2 ${median(b).toFixed(3)} s, ratio ${(median(a) / median(b)).toFixed(3)}; rollout t1 ${median(ra).toFixed(3)} t2 ${median(rb).toFixed(3)}`);
console.log('t1', a.map((x) => x.toFixed(2)).join(' '), '\nt2', b.map((x) => x.toFixed(2)).join(' '));
trainer.dispose();
