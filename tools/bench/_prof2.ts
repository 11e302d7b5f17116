import { initBackend, tf } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { PPOTrainer, trainingConfigSchema } from '@varshare/rl-ppo';
await initBackend('wasm');
const residual = process.argv[2] ?? 'full';
const config = trainingConfigSchema.parse({ envsPerTask: 4, ppo: { numSteps: 64, numMinibatches: 8, updateEpochs: 4 }, network: { hiddenSizes: [64, 64], residual } });
const t = new PPOTrainer({ config, controller: resolveVariant('baseline').config, suite: 'cartpole-mt', seed: 1, totalSteps: 2560 * 8 });
t.runUpdate();
tf.env().set('DEBUG', false);
const info = await tf.profile(() => { t.runUpdate(); });
const agg = new Map<string, { n: number; ms: number; bytes: number }>();
for (const k of info.kernels) {
  const shape = (k as unknown as {name: string}).name;
  const a = agg.get(shape) ?? { n: 0, ms: 0, bytes: 0 };
  a.n++; a.ms += (k.kernelTimeMs as number) || 0; a.bytes += k.bytesAdded; agg.set(shape, a);
}
const rows = [...agg].sort((a, b) => b[1].ms - a[1].ms);
let tot = 0; for (const [, a] of rows) tot += a.ms;
console.log('kernels', info.kernels.length, 'total kernel ms', tot.toFixed(1));
for (const [k, a] of rows.slice(0, 40)) console.log(k.padEnd(24), String(a.n).padStart(6), a.ms.toFixed(1).padStart(8));
