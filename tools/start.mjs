#!/usr/bin/env node
// `npm start`: the main job on the embedded default — a quick paired sweep of all six variants on
// cartpole-mt (3 seeds, half the suite's budget: 80 PPO updates, four exp3 decisions and exp4
// meta-updates), then the HTML report. Prints where the report is. The full study is `npm run science`.
// Re-running resumes/skips what is done. Override with env vars: VARSHARE_START_STEPS, VARSHARE_START_SEEDS, VARSHARE_START_OUT.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.env.VARSHARE_START_OUT ?? join(root, 'runs', 'start'));
const steps = process.env.VARSHARE_START_STEPS ?? '102400';
const seeds = process.env.VARSHARE_START_SEEDS ?? '1,2,3';
const variants = ['baseline', 'exp1-fixed-prior', 'exp2-beta-anneal', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes'];
const t0 = Date.now();

const run = (bin, args) => {
  const r = spawnSync(process.execPath, [join(root, bin), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm start: ${bin} ${args[0]} exited with ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
};

console.error(`npm start: ${variants.length} variants × seeds {${seeds}} on cartpole-mt, ${steps} env steps each → ${out}`);
run('apps/trainer/bin/varshare.mjs', ['sweep', '--suite', 'cartpole-mt', '--variants', variants.join(','), '--seeds', seeds, '--steps', steps, '--out', out, '--jobs', String(Math.max(1, Math.min(2, cpus().length)))]);
const reportBin = 'apps/report/bin/varshare-report.mjs';
const reportDir = join(out, 'report');
if (existsSync(join(root, reportBin))) {
  run(reportBin, [out, '--out', reportDir]);
  console.log(`report: ${join(reportDir, 'index.html')} (also summary.md, summary.json)`);
} else {
  console.log(`runs: ${out} (the report app is not built yet)`);
}
console.error(`npm start: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
