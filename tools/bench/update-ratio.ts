/**
 * The arm-mt10 PPO update, VarShare against the plain MLP, in one process with their updates
 * interleaved (so this machine's drift, often ±30 % between consecutive runs, hits both alike); and
 * the VarShare update with and without the gradient sink (`withGradientSink`: μ/ρ gradients from
 * the kernels straight into Adam) in alternate updates of the same run (results are bit-identical
 * either way, so the run goes on identically). Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/update-ratio.ts [rounds=5] [threads=1] [suite=arm-mt10] [hidden=400] [numSteps=128]
 *
 * `threads` sets the kernel threads (setKernelThreads) for both. Prints the median update seconds
 * of each and the ratios.
 */
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
import { hotOps, initBackend, median, setKernelThreads, type HotOps } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { prepareSuite } from '@varshare/envs';

const [rounds, threads, suite, width, numSteps] = [Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 1), process.argv[4] ?? 'arm-mt10', Number(process.argv[5] ?? 400), Number(process.argv[6] ?? 128)];
await initBackend('wasm');
setKernelThreads(threads);
await prepareSuite(suite);
const make = (residual: 'full' | 'none') =>
  new PPOTrainer({
    config: trainingConfigSchema.parse({ envsPerTask: 4, ppo: { numSteps, numMinibatches: 8, updateEpochs: 4 }, network: { hiddenSizes: [width, width], residual }, eval: { interval: 1000 } }),
    controller: resolveVariant('baseline').config,
    suite,
    seed: 1,
    totalSteps: 1e9,
  });
const varshare = make('full');
const plain = make('none');
varshare.runUpdate();
plain.runUpdate();
// The sink switched off by wrapping the ops' withGradientSink (the optimiser calls it through hotOps()).
const ops = hotOps() as HotOps & { withGradientSink: HotOps['withGradientSink'] };
const withSink = ops.withGradientSink.bind(ops);
const setSink = (on: boolean) => {
  ops.withGradientSink = on ? withSink : (_sink, fn) => withSink(null, fn);
};
const times = { sink: [] as number[], noSink: [] as number[], plain: [] as number[] };
for (let i = 0; i < rounds; i++) {
  const order: (keyof typeof times)[] = i % 2 ? ['plain', 'noSink', 'sink'] : ['sink', 'noSink', 'plain'];
  for (const k of order) {
    setSink(k !== 'noSink');
    const r = (k === 'plain' ? plain : varshare).runUpdate().metrics;
    times[k].push(r['charts/update_s'] as number);
  }
}
setSink(true);
const m = { sink: median(times.sink), noSink: median(times.noSink), plain: median(times.plain) };
console.log(`${suite} ${width}, ${threads} kernel thread(s), ${rounds} rounds: VarShare update ${m.sink.toFixed(3)} s (without the sink ${m.noSink.toFixed(3)} s, ${(m.noSink / m.sink).toFixed(3)}×), plain ${m.plain.toFixed(3)} s; VarShare/plain ${(m.sink / m.plain).toFixed(3)}`);
for (const [k, v] of Object.entries(times)) console.log(k.padEnd(7), v.map((x) => x.toFixed(2)).join(' '));
varshare.dispose();
plain.dispose();
setKernelThreads(1);
