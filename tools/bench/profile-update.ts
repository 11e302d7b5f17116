/**
 * Profiles PPO updates on cartpole-mt (the e2e bench configuration) with the V8 CPU profiler and
 * prints self time by function, wasm kernels included; then wasm time by the tfjs op that ran it, and
 * all self time by the nearest function of our packages up the stack. Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/profile-update.ts [residual=full|none] [updates=3] [suite=cartpole-mt] [hidden=64] [threads=1] [numSteps=64]
 *
 * `threads` sets the kernel threads (setKernelThreads); arm-mt10's defaults are hidden 400, numSteps 128.
 */
import { Session } from 'node:inspector/promises';
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
import { initBackend, setKernelThreads } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { prepareSuite } from '@varshare/envs';

const residual = (process.argv[2] ?? 'full') as 'full' | 'none';
const updates = Number(process.argv[3] ?? 3);
const suite = process.argv[4] ?? 'cartpole-mt';
const width = Number(process.argv[5] ?? 64);
const threads = Number(process.argv[6] ?? 1);
const numSteps = Number(process.argv[7] ?? 64);
await initBackend('wasm');
setKernelThreads(threads);
await prepareSuite(suite);
const config = trainingConfigSchema.parse({
  envsPerTask: 4,
  ppo: { numSteps, numMinibatches: 8, updateEpochs: 4 },
  network: { hiddenSizes: [width, width], residual },
  eval: { interval: 1000 },
});
const trainer = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite, seed: 1, totalSteps: 1e9 });
trainer.runUpdate();
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
let rollout = 0;
let update = 0;
for (let i = 0; i < updates; i++) {
  const r = trainer.runUpdate();
  rollout += r.metrics['charts/rollout_s'] as number;
  update += r.metrics['charts/update_s'] as number;
}
const { profile } = await session.post('Profiler.stop');
trainer.dispose();
interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
const nodes = profile.nodes as Node[];
const dt = (profile.endTime - profile.startTime) / 1000 / (profile.samples?.length ?? 1);
const self = new Map<string, number>();
let total = 0;
for (const n of nodes) {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '');
  const key = `${n.callFrame.functionName || '(anon)'}  ${url}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + n.hitCount * dt);
  total += n.hitCount * dt;
}
console.log(`residual ${residual}: ${updates} updates, rollout ${(rollout / updates * 1000).toFixed(1)} ms, update ${(update / updates * 1000).toFixed(1)} ms per update; profiled ${total.toFixed(0)} ms`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log(`${(v / updates).toFixed(1).padStart(8)} ms/update  ${(100 * v / total).toFixed(1).padStart(5)}%  ${k.slice(0, 140)}`);

// Which tfjs ops the wasm kernels run for: self time of wasm functions attributed to the nearest
// ancestor whose name ends in '_' (tfjs op functions: matMul_, softplus_, ...).
const parent = new Map<number, Node>();
for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n);
const byOp = new Map<string, number>();
for (const n of nodes) {
  if (!n.callFrame.url.startsWith('wasm://') || n.hitCount === 0) continue;
  let p = parent.get(n.id);
  while (p && !/^[a-zA-Z0-9]+_$/.test(p.callFrame.functionName)) p = parent.get(p.id);
  const key = `${p?.callFrame.functionName ?? '(no tfjs op)'} ${n.callFrame.functionName} ${n.callFrame.url.slice(12, 16)}`;
  byOp.set(key, (byOp.get(key) ?? 0) + n.hitCount * dt);
}
console.log('\nwasm self time by tfjs op');
for (const [k, v] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(v / updates).toFixed(1).padStart(8)} ms/update  ${k}`);
const byCaller = new Map<string, number>();
for (const n of nodes) {
  if (n.hitCount === 0) continue;
  let p: Node | undefined = n;
  while (p && !/packages\//.test(p.callFrame.url)) p = parent.get(p.id);
  const key = p ? `${p.callFrame.functionName} ${p.callFrame.url.replace(/^.*packages\//, '')}` : '(none)';
  byCaller.set(key, (byCaller.get(key) ?? 0) + n.hitCount * dt);
}
// Self time charged to the nearest of our own functions up the stack (a wasm kernel, a tfjs op or
// a V8 builtin to the package function that called it): where the project's code spends the time.
console.log('\nself time by nearest own (packages/) function');
for (const [k, v] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / updates).toFixed(1).padStart(8)} ms/update  ${k}`);
