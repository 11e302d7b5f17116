/**
 * `npm run bench:compare -- --base DIR` — this checkout against another one (e.g. an earlier commit
 * in a `git worktree` with its own `npm ci`), measured in one session, runs interleaved so the
 * machine's drift hits both alike. Not part of `npm test`.
 *
 *   git worktree add /tmp/base 928fe5e && (cd /tmp/base && npm ci)
 *   npm run bench:compare -- --base /tmp/base [--rounds 2] [--suites cartpole-mt,lunarlander-mt,arm-mt10]
 *
 * Rows (process wall of `varshare train --variant baseline --seed 1`, evaluation and start-up
 * included, median over rounds):
 *  - the same workload on both: the base's suite defaults, reproduced here with --set where the
 *    defaults changed since (KL normalisation, σ init, posterior ε, ρ lr, cartpole's rollout
 *    length), so the ratio is the code's speed;
 *  - this checkout at 1 thread and at all cores (--threads);
 *  - a `sweep --jobs 2` of 2 variants × 2 seeds on cartpole-mt on both: runs per hour.
 * Lunarlander-mt and arm-mt10 run 20 updates (102,400 env steps; their evaluation every 20 updates
 * keeps its share of a full run); cartpole-mt its whole default run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { base: { type: 'string' }, rounds: { type: 'string', default: '2' }, suites: { type: 'string', default: 'cartpole-mt,lunarlander-mt,arm-mt10' }, 'no-sweep': { type: 'boolean', default: false } },
  strict: true,
});
if (!values.base) {
  console.error('bench:compare: --base DIR (a checkout of the commit to compare with, with node_modules) is required');
  process.exit(2);
}
const here = fileURLToPath(new URL('../..', import.meta.url));
const base = resolve(values.base);
const rounds = Number(values.rounds);
const cores = availableParallelism();
const work = mkdtempSync(join(tmpdir(), 'varshare-compare-'));
// Which code each bin runs: the build when `npm run build` stamped it from the current sources.
for (const [name, root] of [['here', here], ['base', base]] as const) {
  const stamp = join(root, 'tools', 'buildStamp.mjs');
  const built = existsSync(stamp) ? ((await import(pathToFileURL(stamp).href)) as typeof import('../buildStamp.mjs')).freshBuild('apps/trainer/dist/main.js', root) : null;
  console.error(`${name}: varshare runs ${built ? 'the build (dist/)' : 'the TypeScript sources (tsx)'}`);
}

/** The base's defaults where they changed since (same workload on both checkouts). */
const OLD_DEFAULTS = ['--set', 'kl.normalisation=per-weight', '--set', 'network.sigmaInit=0.001', '--set', 'optimizer.posteriorAdamEps=null', '--set', 'optimizer.rhoLrScale=1'];
const WORKLOAD: Record<string, { baseArgs: string[]; hereArgs: string[] }> = {
  // 928fe5e: 200,000 steps at 64 steps × 40 envs = 78 updates; here 32 steps by default
  'cartpole-mt': { baseArgs: ['--steps', '200000'], hereArgs: ['--steps', '199680', '--set', 'ppo.numSteps=64', ...OLD_DEFAULTS] },
  'lunarlander-mt': { baseArgs: ['--steps', '102400'], hereArgs: ['--steps', '102400', ...OLD_DEFAULTS] },
  'arm-mt10': { baseArgs: ['--steps', '102400'], hereArgs: ['--steps', '102400', ...OLD_DEFAULTS] },
};

function run(root: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'apps/trainer/bin/varshare.mjs'), ...args], { encoding: 'utf8' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${root}: varshare ${args.slice(0, 3).join(' ')} … exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').at(-1)}`);
  return s;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const results: Record<string, Record<string, number[]>> = {};
let k = 0;
for (let round = 0; round < rounds; round++) {
  for (const suite of (values.suites as string).split(',')) {
    const w = WORKLOAD[suite];
    if (!w) throw new Error(`bench:compare: no workload for suite ${suite}`);
    const train = (root: string, extra: string[]) => run(root, ['train', '--suite', suite, '--variant', 'baseline', '--seed', '1', '--out', join(work, String(k++)), '--no-progress', ...extra]);
    const row = (results[suite] ??= {});
    // alternate the order between rounds so neither side always runs first
    const jobs: [string, () => number][] = [
      ['base', () => train(base, w.baseArgs)],
      ['here, 1 thread', () => train(here, [...w.hereArgs, '--threads', '1'])],
      [`here, ${cores} threads`, () => train(here, [...w.hereArgs, '--threads', String(cores)])],
    ];
    for (const [name, f] of round % 2 ? [...jobs].reverse() : jobs) {
      const s = f();
      (row[name] ??= []).push(s);
      console.error(`round ${round + 1}: ${suite} ${name}: ${s.toFixed(1)} s`);
    }
  }
  if (!values['no-sweep']) {
    const sweep = (root: string, extra: string[]) => {
      const out = join(work, String(k++));
      return run(root, ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline,exp1-fixed-prior', '--seeds', '1,2', '--steps', '51200', '--out', out, '--jobs', '2', ...extra]);
    };
    const row = (results['sweep --jobs 2 (4 runs)'] ??= {});
    const jobs: [string, () => number][] = [
      ['base', () => sweep(base, [])],
      ['here', () => sweep(here, ['--set', 'ppo.numSteps=64', ...OLD_DEFAULTS])],
    ];
    for (const [name, f] of round % 2 ? [...jobs].reverse() : jobs) {
      const s = f();
      (row[name] ??= []).push(s);
      console.error(`round ${round + 1}: sweep ${name}: ${s.toFixed(1)} s (${((4 * 3600) / s).toFixed(0)} runs/h)`);
    }
  }
}
rmSync(work, { recursive: true, force: true });

const lines = [`# bench:compare — ${here} vs ${base}, ${rounds} rounds, ${cores} cores, ${new Date().toISOString()}`, '', '| workload | base s | here s | base ÷ here |', '|---|---|---|---|'];
for (const [workload, row] of Object.entries(results)) {
  const b = median(row['base'] ?? []);
  for (const [name, xs] of Object.entries(row)) {
    if (name === 'base') continue;
    lines.push(`| ${workload}, ${name} | ${b.toFixed(1)} | ${median(xs).toFixed(1)} | ${(b / median(xs)).toFixed(2)}× |`);
  }
}
console.log(lines.join('\n'));
mkdirSync(join(here, 'bench-results'), { recursive: true });
writeFileSync(join(here, 'bench-results', 'compare.json'), `${JSON.stringify({ base, rounds, cores, results }, null, 2)}\n`);
