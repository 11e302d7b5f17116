/**
 * REAL fixture run directories, produced by the trainer CLI (apps/trainer/bin/varshare.mjs) at a
 * tiny budget: cartpole-mt × {baseline, exp3-ratio-controller} × seeds {1, 2}, 2560 env steps
 * (8 PPO updates of 10 tasks × 1 env × 32 steps), evaluation every 2 updates with 2 episodes per
 * task. exp3's controller acts every K = 2 updates instead of 20 so that it acts at all within
 * 8 updates (`controller` is the variant's own toggle, so this does not break comparability).
 * Then two broken copies the report must leave out:
 * - `exp3-ratio-controller/seed-3`: copy of seed 2 (config seed set to 3) with a garbage line in
 *   the middle of metrics.jsonl → corrupt;
 * - `baseline/seed-4`: copy of seed 2 (config seed set to 4) cut after 5 updates with a torn last
 *   line and summary status "running" → partial.
 * Checkpoints and TensorBoard files are deleted (the report does not read them) to keep the
 * fixtures small. The numbers are real but from a budget far too small to say anything about
 * the variants.
 *
 *   node --import tsx test/make-trainer-fixtures.ts [OUT_DIR]   (default test/fixtures/trainer)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const trainer = resolve(here, '..', '..', 'trainer', 'bin', 'varshare.mjs');
const out = resolve(process.argv[2] ?? join(here, 'fixtures', 'trainer'));
const SUITE = 'cartpole-mt';
const common = ['--steps', '2560', '--out', out, '--no-progress', '--set', 'ppo.numSteps=32', '--set', 'envsPerTask=1', '--set', 'eval.interval=2', '--set', 'eval.episodes=2', '--set', 'checkpoint.interval=4', '--set', 'tensorboard=false'];
const runs: Array<{ variant: string; extra: string[] }> = [
  { variant: 'baseline', extra: [] },
  { variant: 'exp3-ratio-controller', extra: ['--set', 'controller.beta.K=2'] },
];

rmSync(out, { recursive: true, force: true });
for (const { variant, extra } of runs) {
  for (const seed of [1, 2]) {
    const args = [trainer, 'train', '--suite', SUITE, '--variant', variant, '--seed', String(seed), ...common, ...extra];
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`trainer failed (${r.status}): ${args.join(' ')}`);
  }
}
const runDir = (variant: string, seed: number): string => join(out, SUITE, variant, `seed-${seed}`);
for (const variant of ['baseline', 'exp3-ratio-controller']) {
  for (const seed of [1, 2]) {
    const dir = runDir(variant, seed);
    rmSync(join(dir, 'checkpoints'), { recursive: true, force: true });
    for (const f of readdirSync(dir)) if (f.startsWith('events.out.tfevents.')) rmSync(join(dir, f));
  }
}

function copyWithSeed(variant: string, from: number, to: number): string {
  const dst = runDir(variant, to);
  cpSync(runDir(variant, from), dst, { recursive: true });
  const configPath = join(dst, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  config['seed'] = to;
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return dst;
}

const corrupt = copyWithSeed('exp3-ratio-controller', 2, 3);
const lines = readFileSync(join(corrupt, 'metrics.jsonl'), 'utf8').split('\n');
lines.splice(3, 0, '{"update": 3.5, "env_steps": garbage');
writeFileSync(join(corrupt, 'metrics.jsonl'), lines.join('\n'));

const partial = copyWithSeed('baseline', 2, 4);
const kept = readFileSync(join(partial, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 5);
writeFileSync(join(partial, 'metrics.jsonl'), `${kept.join('\n')}\n{"update":6,"env_st`);
const evals = readFileSync(join(partial, 'eval.jsonl'), 'utf8').split('\n').filter((l) => l !== '').slice(0, 2);
writeFileSync(join(partial, 'eval.jsonl'), `${evals.join('\n')}\n`);
const summaryPath = join(partial, 'summary.json');
const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>;
delete summary['final_eval'];
delete summary['finished_at'];
writeFileSync(summaryPath, `${JSON.stringify({ ...summary, status: 'running', updates: 5, env_steps: 1600 }, null, 2)}\n`);
console.log(`wrote trainer fixtures under ${out}`);
