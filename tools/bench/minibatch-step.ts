/**
 * One PPO minibatch step (the "One PPO minibatch step" section of run.ts: actor+critic forward,
 * categorical PPO loss, value loss, KL, backward, grad clip, Adam on a synthetic mixed-task batch)
 * at a chosen number of kernel threads, for interleaved before/after measurements of the kernels.
 * Not part of `npm test`.
 *
 *   node --conditions=source --import tsx tools/bench/minibatch-step.ts [threads=1] [reps=20] [--profile]
 *
 * Prints wall and process-CPU ms per step (medians) for 4-64-64-2 (320 rows) and 39-400-400-4
 * (260 rows), VarShare and plain MLP; `--profile` adds V8's self time per function for the
 * 400-wide VarShare step. On a commit without kernel threads the threads argument is ignored.
 */
import { Session } from 'node:inspector/promises';
import { hotOps, initBackend } from '@varshare/core';
import { makeMinibatchStep, timeBoth } from './minibatchStep';

const threads = Number(process.argv[2] ?? 1);
const reps = Number(process.argv[3] ?? 20);
const profile = process.argv.includes('--profile');
await initBackend('wasm');
const ops = hotOps() as unknown as { setKernelThreads?: (n: number) => void };
if (ops.setKernelThreads) ops.setKernelThreads(threads);
else if (threads !== 1) console.log('(this commit has no kernel threads: running on 1)');

const configs = [
  [4, [64, 64], 2, 10, 32, 'full'],
  [4, [64, 64], 2, 10, 32, 'none'],
  [39, [400, 400], 4, 10, 26, 'full'],
  [39, [400, 400], 4, 10, 26, 'none'],
] as const;
console.log(`threads ${threads}`);
for (const [obs, hidden, acts, tasks, rows, residual] of configs) {
  const s = makeMinibatchStep(obs, [...hidden], acts, tasks, rows, residual);
  const big = hidden[0] === 400;
  const t = timeBoth(s.step, big ? reps : reps * 5, big ? 5 : 20);
  console.log(`${(residual === 'none' ? 'plain-mlp' : 'varshare').padEnd(10)} ${[obs, ...hidden, acts].join('-').padEnd(13)} wall ${t.wall.toFixed(2).padStart(7)} ms  cpu ${t.cpu.toFixed(2).padStart(7)} ms`);
  if (profile && big && residual === 'full') {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    for (let i = 0; i < reps; i++) s.step();
    const { profile: p } = await session.post('Profiler.stop');
    interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
    const nodes = p.nodes as Node[];
    const dt = (p.endTime - p.startTime) / 1000 / (p.samples?.length ?? 1);
    const self = new Map<string, number>();
    for (const n of nodes) {
      const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '');
      const key = `${n.callFrame.functionName || '(anon)'}  ${url}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + n.hitCount * dt);
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / reps).toFixed(2).padStart(8)} ms/step  ${k.slice(0, 130)}`);
  }
  s.dispose();
}
