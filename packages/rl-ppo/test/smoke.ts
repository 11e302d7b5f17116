import { initBackend } from '@varshare/core';
import { resolveVariant } from '@varshare/controllers';
import { PPOTrainer, trainingConfigSchema } from '../src/index';
await initBackend('wasm');
const variant = process.argv[2] ?? 'baseline';
const steps = Number(process.argv[3] ?? 40960);
const config = trainingConfigSchema.parse({ eval: { interval: 5, episodes: 5 }, ppo: JSON.parse(process.env.PPO ?? '{}'), network: JSON.parse(process.env.NET ?? '{}') });
const t = new PPOTrainer({ config, controller: resolveVariant(variant).config, suite: 'cartpole-mt', seed: 1, totalSteps: steps });
const t0 = performance.now();
while (!t.done) {
  const r = t.runUpdate();
  const m = r.metrics;
  console.log(m.update, m.env_steps, 'ret', m['train/return_mean']?.toFixed(1), 'sps', m['charts/SPS']?.toFixed(0), 'ro', m['charts/rollout_s']?.toFixed(2), 'up', m['charts/update_s']?.toFixed(2), 'beta', m['controller/beta'], 'kl', m['varshare/kl_total']?.toFixed(1), 'R', m['varshare/ratio_R']?.toFixed(4), 'pg', m['losses/policy_loss']?.toFixed(4), 'ev', m['losses/explained_variance']?.toFixed(3), r.eval ? `EVAL ${r.eval['eval/return_mean']}` : '');
}
console.log('total s', (performance.now() - t0) / 1000);
