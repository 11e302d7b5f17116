import { initBackend, tf } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
await initBackend('wasm');
const residual = process.argv[2] ?? 'full';
const config = trainingConfigSchema.parse({ envsPerTask: 4, ppo: { numSteps: 64, numMinibatches: 8, updateEpochs: 4 }, network: { hiddenSizes: [64, 64], residual } });
const t = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite: 'cartpole-mt', seed: 1, totalSteps: 2560 * 8 });
let ro = 0, up = 0; const t0 = performance.now(); let n = 0;
while (!t.done) { const r = t.runUpdate(); if (n++ >= 2) { ro += r.metrics['charts/rollout_s']!; up += r.metrics['charts/update_s']!; } }
const wall = (performance.now() - t0) / 1000;
console.log({ residual, sps: 2560 * 8 / wall, rolloutPer: ro / (n - 3), updatePer: up / (n - 3), total: wall / n });
