/**
 * `npm run science` — the paired study of the six variants and the checks that each variant's
 * mechanism acted (not part of `npm test`; it trains for minutes).
 *
 *   npm run science                                   # cartpole-mt, seeds 1–5, the suite's default budget
 *   npm run science -- --suite lunarlander-mt --seeds 1,2,3,4,5 --jobs 2
 *   npm run science -- --seeds 1 --steps 102400 --no-doc   # the checks only, quicker
 *
 * 1. `varshare sweep` of all six variants over the paired seeds (completed runs are skipped, so a
 *    re-run only reports); 2. `varshare-report` over them; 3. the checks of `scienceChecks.ts` on
 *    the `--check-seed` runs (σ inflation under the unit prior, exp1's tight prior, exp3's β
 *    decisions following their rule and R_ema crossing its band, exp4's per-task priors, exp5's
 *    layer priors separating, the KL-pressure keys logged); 4. `docs/results/<suite>.md`: the
 *    command, the commit, the checks and the report's summary (IQM with CIs, P(improvement), the
 *    diagnostics). Prints the checks and exits 1 if one fails.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readRunDir, type RunData } from '@varshare/metrics';
import { scienceChecks, type ScienceCheck } from '../../apps/report/src/scienceChecks';

const root = fileURLToPath(new URL('../..', import.meta.url));
const VARIANTS = ['baseline', 'exp1-fixed-prior', 'exp2-beta-anneal', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes'];

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'cartpole-mt' },
    seeds: { type: 'string', default: '1,2,3,4,5' },
    steps: { type: 'string' },
    out: { type: 'string' },
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, cpus().length))) },
    'check-seed': { type: 'string' },
    doc: { type: 'string' },
    'no-doc': { type: 'boolean', default: false },
  },
  strict: true,
});
const suite = values.suite as string;
const seeds = (values.seeds as string).split(',').map((s) => s.trim());
const checkSeed = values['check-seed'] ?? seeds[0];
const out = resolve(values.out ?? join(root, 'runs', 'science', suite + (values.steps ? `-${values.steps}` : '')));
const docPath = resolve(values.doc ?? join(root, 'docs', 'results', `${suite}.md`));
const t0 = Date.now();

function run(bin: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, bin), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`science: ${bin} ${args[0]} exited with ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
}

const sweepArgs = ['sweep', '--suite', suite, '--variants', VARIANTS.join(','), '--seeds', seeds.join(','), '--out', out, '--jobs', values.jobs as string, ...(values.steps ? ['--steps', values.steps] : [])];
const command = process.argv.length > 2 ? `npm run science -- ${process.argv.slice(2).join(' ')}` : 'npm run science';
console.error(`science: ${VARIANTS.length} variants × seeds {${seeds.join(', ')}} on ${suite} → ${out}`);
run('apps/trainer/bin/varshare.mjs', sweepArgs);
const reportDir = join(out, 'report');
run('apps/report/bin/varshare-report.mjs', [out, '--out', reportDir]);

// ---------------------------------------------------------------- checks on one seed
const runs = new Map<string, RunData>();
for (const v of VARIANTS) {
  const r = readRunDir(join(out, suite, v, `seed-${checkSeed}`));
  if (r.ok) runs.set(v, r.run);
  else console.error(`science: ${v} seed ${checkSeed}: ${r.reason}`);
}
const summary = JSON.parse(readFileSync(join(reportDir, 'summary.json'), 'utf8')) as { suites: { suite: string; scores: { tasks: string[] } }[] };
const tasks = summary.suites.find((s) => s.suite === suite)?.scores.tasks ?? [];
const checks = scienceChecks(runs, tasks);
const table = (cs: readonly ScienceCheck[]) =>
  ['| check | variant | claim | measured | |', '| --- | --- | --- | --- | --- |', ...cs.map((c) => `| ${c.id} | ${c.variant} | ${c.claim} | ${c.measured} | ${c.pass ? 'pass' : '**FAIL**'} |`)].join('\n');
console.log(`\nChecks on seed ${checkSeed} (${suite}):`);
for (const c of checks) console.log(`  ${c.pass ? 'pass' : 'FAIL'}  ${c.variant}: ${c.claim}\n        ${c.measured}`);

// ---------------------------------------------------------------- the results document
if (!values['no-doc']) {
  const git = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  const reportMd = readFileSync(join(reportDir, 'summary.md'), 'utf8').replace(/^# .*\n/, '');
  const config = JSON.parse(readFileSync(join(out, suite, 'baseline', `seed-${checkSeed}`, 'config.json'), 'utf8')) as { steps: number; meta?: { gitCommit?: string | null } };
  // Completed runs are reused: name the commit they were trained at (config.json meta) as well.
  const trainedAt = config.meta?.gitCommit ?? 'unknown';
  let runSeconds = 0;
  for (const v of VARIANTS) {
    for (const s of seeds) {
      const file = join(out, suite, v, `seed-${s}`, 'summary.json');
      if (existsSync(file)) runSeconds += (JSON.parse(readFileSync(file, 'utf8')) as { wall_s?: number }).wall_s ?? 0;
    }
  }
  const doc = [
    `# ${suite}: the six variants over ${seeds.length} paired seeds`,
    '',
    `Made with \`${command}\` at commit \`${commit}\`${dirty ? ' (with uncommitted changes)' : ''}${trainedAt !== commit ? ` (runs trained at \`${trainedAt}\`)` : ''}, ${new Date().toISOString().slice(0, 10)}, ` +
      `${config.steps.toLocaleString('en-US')} env steps per run, ${seeds.length} seeds × ${VARIANTS.length} variants; the runs took ${Math.round(runSeconds / 60)} min of wall clock in total ` +
      `(${cpus().length}-core machine, ${values.jobs} at a time). The full HTML report is \`${relative(root, reportDir)}/index.html\` (not committed; the command re-creates it, reusing completed runs).`,
    '',
    `## Did each mechanism act? (seed ${checkSeed})`,
    '',
    table(checks),
    '',
    '## Report summary',
    '',
    reportMd,
  ].join('\n');
  mkdirSync(dirname(docPath), { recursive: true });
  writeFileSync(docPath, doc);
  console.log(`\nwrote ${relative(root, docPath)}`);
}
console.error(`science: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (!existsSync(reportDir) || checks.some((c) => !c.pass)) process.exit(1);
