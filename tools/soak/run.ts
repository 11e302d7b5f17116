/**
 * Reliability soak (issue 15). Not part of `npm test`: `npm run soak` (≈ 5–8 min on 2 cores).
 *
 * Drives the real `varshare` bin (apps/trainer/bin/varshare.mjs) as a user would and checks that
 * every interruption ends in metrics identical to an uninterrupted run (timing keys aside) after
 * the obvious command (`varshare resume RUN_DIR`, or `varshare train` again when the kill came
 * before config.json existed), and every bad input in one `varshare: …` line naming the key or
 * file, exit code 2 and nothing written:
 *  1. SIGKILL during every kind of write (config, summary, metrics, eval, checkpoint, tfevents),
 *     injected by tools/soak/killHook.mjs (`node --import`), before and after the first checkpoint;
 *     plus kills at points spread over one run, chained, starting before the first checkpoint;
 *  2. two concurrent writers (simultaneous starts; a frozen holder against resume, eval, sweep);
 *  3. a full disk before and after the first checkpoint (a small tmpfs; needs root);
 *  4. the bad-input list of issue 15 (command lines and damaged run directories);
 *  5. the report refusing repeated or missing update histories.
 * Prints one line per case and the counts; exit code 0 when every case passed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_LOCK_FILE, isTimingKey, readRunLock } from '@varshare/metrics';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(root, 'apps', 'trainer', 'bin', 'varshare.mjs');
const REPORT_BIN = join(root, 'apps', 'report', 'bin', 'varshare-report.mjs');
const HOOK = join(root, 'tools', 'soak', 'killHook.mjs');
const work = mkdtempSync(join(tmpdir(), 'varshare-soak-'));
const keep = process.argv.includes('--keep');

/** 9 updates of 320 env steps; checkpoints and evaluations at updates 3, 6, 9; TensorBoard on. */
const TINY = ['--set', 'envsPerTask=1', '--set', 'ppo.numSteps=32', '--set', 'ppo.numMinibatches=2', '--set', 'ppo.updateEpochs=2', '--set', 'network.hiddenSizes=[16,16]', '--set', 'eval.interval=3', '--set', 'eval.episodes=2', '--set', 'env.maxEpisodeSteps=60', '--set', 'checkpoint.interval=3'];
const SEED = '3';
const train = (out: string, variant = 'baseline', steps = '2880') => ['train', '--suite', 'cartpole-mt', '--variant', variant, '--seed', SEED, '--steps', steps, '--out', out, ...TINY];
const runDir = (out: string, variant = 'baseline') => join(out, 'cartpole-mt', variant, `seed-${SEED}`);
const quiet = (args: string[]) => (args[0] === 'train' || args[0] === 'resume' ? [...args, '--no-progress'] : args);

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function varshare(args: string[], env: Record<string, string> = {}): Run {
  const hook = env['VARSHARE_SOAK_KILL'] ? ['--import', HOOK] : [];
  const r = spawnSync(process.execPath, [...hook, BIN, ...quiet(args)], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function varshareStart(args: string[], env: Record<string, string> = {}) {
  const hook = env['VARSHARE_SOAK_KILL'] ? ['--import', HOOK] : [];
  const child = spawn(process.execPath, [...hook, BIN, ...quiet(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
  return { child, done };
}

const waitFor = (predicate: () => boolean) =>
  new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (predicate()) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });

function lineCount(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).length;
  } catch {
    return 0;
  }
}

function rows(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !isTimingKey(k)))));
}

/** Files under `dir` with their bytes. */
function snapshot(dir: string): string {
  if (!existsSync(dir)) return '';
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p}:${readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Leftovers that must not survive a recovery: temp files of atomic writes, lock files. */
function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tmp-\d+-\d+$/.test(e) || e.startsWith(RUN_LOCK_FILE)) found.push(p.slice(dir.length + 1));
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

let refDir = '';
/** Why `dir` differs from the uninterrupted reference run, or '' when it does not. */
function compareWithReference(dir: string): string {
  for (const f of ['metrics.jsonl', 'eval.jsonl']) {
    const a = rows(join(dir, f));
    const b = rows(join(refDir, f));
    if (a.length !== b.length) return `${f}: ${a.length} rows, reference ${b.length}`;
    const i = a.findIndex((r, k) => r !== b[k]);
    if (i >= 0) return `${f}: row ${i + 1} differs from the reference`;
  }
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status?: string };
  if (summary.status !== 'completed') return `summary.json status ${summary.status}`;
  const left = leftovers(dir);
  if (left.length > 0) return `left behind: ${left.join(', ')}`;
  return '';
}

/** The obvious command until the run completes: resume when config.json exists, else train again. */
function recover(out: string, dir: string, args: string[]): { ok: boolean; commands: string[]; why: string } {
  const commands: string[] = [];
  for (let i = 0; i < 3; i++) {
    const resume = existsSync(join(dir, 'config.json'));
    commands.push(resume ? 'resume' : 'train');
    const r = varshare(resume ? ['resume', dir] : args);
    if (r.code === 0) return { ok: true, commands, why: '' };
    if (r.code === 2) return { ok: false, commands, why: r.stderr.trim().split('\n').at(-1) ?? '' };
  }
  return { ok: false, commands, why: `not completed after ${commands.length} attempts (${out})` };
}

/** [passed, cases] per kind. */
const counts: Record<'kills' | 'writers' | 'disk' | 'bad' | 'report', [number, number]> = { kills: [0, 0], writers: [0, 0], disk: [0, 0], bad: [0, 0], report: [0, 0] };
function record(kind: keyof typeof counts, name: string, problem: string): void {
  counts[kind][1] += 1;
  if (problem === '') counts[kind][0] += 1;
  process.stdout.write(`  ${problem === '' ? 'ok  ' : 'FAIL'} ${name}${problem === '' ? '' : `: ${problem}`}\n`);
}

// ------------------------------------------------------------------------ reference
process.stdout.write(`soak: working in ${work}\n`);
{
  const out = join(work, 'reference');
  const r = varshare(train(out));
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  refDir = runDir(out);
}

// ------------------------------------------------------------------------ 1. SIGKILL during every kind of write
process.stdout.write('1. SIGKILL during writes (injected), then the obvious command\n');
/** [target, n-th write, mode]: 10 summary writes, 9 metrics rows, 3 evals and checkpoints, 1 config, ~10 tfevents records per run. */
const injected: [string, number, 'mid' | 'before-rename', string][] = [
  ['config', 1, 'mid', 'before config.json exists'],
  ['config', 1, 'before-rename', 'config.json complete, not renamed'],
  ['summary', 1, 'mid', 'first summary, before any update'],
  ['metrics', 1, 'mid', 'first metrics row, before the first checkpoint'],
  ['metrics', 2, 'mid', 'before the first checkpoint'],
  ['tfevents', 2, 'mid', 'before the first checkpoint'],
  ['eval', 1, 'mid', 'first evaluation, before the first checkpoint'],
  ['checkpoint', 1, 'mid', 'first checkpoint half written'],
  ['checkpoint', 1, 'before-rename', 'first checkpoint complete, not renamed'],
  ['summary', 4, 'before-rename', 'just after the first checkpoint'],
  ['metrics', 5, 'mid', 'between checkpoints'],
  ['tfevents', 6, 'mid', 'between checkpoints'],
  ['checkpoint', 2, 'mid', 'second checkpoint half written'],
  ['summary', 6, 'mid', 'between checkpoints'],
  ['eval', 2, 'mid', 'second evaluation'],
  ['checkpoint', 2, 'before-rename', 'second checkpoint not renamed'],
  ['metrics', 9, 'mid', 'last metrics row'],
  ['eval', 3, 'mid', 'final evaluation'],
  ['checkpoint', 3, 'mid', 'final checkpoint half written'],
  ['checkpoint', 3, 'before-rename', 'final checkpoint not renamed'],
  ['tfevents', 10, 'mid', 'last TensorBoard record'],
  ['summary', 10, 'mid', "final 'completed' summary"],
];
for (const [target, n, mode, what] of injected) {
  const name = `${target} write ${n} ${mode} (${what})`;
  const out = join(work, `kill-${target}-${n}-${mode}`);
  const dir = runDir(out);
  const mark = join(work, `mark-${target}-${n}-${mode}`);
  const r = varshare(train(out), { VARSHARE_SOAK_KILL: `${target}:${n}:${mode}`, VARSHARE_SOAK_MARK: mark });
  if (r.signal !== 'SIGKILL' || !existsSync(mark)) {
    record('kills', name, `the kill did not fire (exit ${r.code ?? r.signal})`);
    continue;
  }
  const rec = recover(out, dir, train(out));
  record('kills', `${name} → ${rec.commands.join(', ')}`, rec.ok ? compareWithReference(dir) : rec.why);
}

process.stdout.write('   SIGKILL at points spread over one run (chained: each resume is killed at the next point)\n');
{
  const out = join(work, 'kill-chain');
  const dir = runDir(out);
  const metrics = join(dir, 'metrics.jsonl');
  // [description, when to kill]: while starting up (lock taken, nothing trained), then after k rows.
  const points: [string, () => boolean][] = [
    ['during start-up, before any update', () => existsSync(join(dir, RUN_LOCK_FILE))],
    ...[1, 2, 4, 5, 7, 8].map((k): [string, () => boolean] => [`after ${k} metrics row(s)${k < 3 ? ', before the first checkpoint' : ''}`, () => lineCount(metrics) >= k]),
  ];
  const outcomes: [string, boolean][] = [];
  for (const [what, when] of points) {
    const args = existsSync(join(dir, 'config.json')) ? ['resume', dir] : train(out);
    const run = varshareStart(args);
    await Promise.race([waitFor(when), run.done]);
    run.child.kill('SIGKILL');
    outcomes.push([what, (await run.done).signal === 'SIGKILL']);
  }
  const rec = recover(out, dir, train(out));
  const problem = rec.ok ? compareWithReference(dir) : rec.why;
  // Each point counts once the whole chain has ended identical to the uninterrupted run.
  for (const [what, killed] of outcomes) record('kills', `chained kill ${what} (chain recovered with ${rec.commands.join(', ')})`, killed ? problem : 'not killed: the run ended first');
}

// ------------------------------------------------------------------------ 2. concurrent writers
process.stdout.write('2. two writers on one run\n');
for (let pair = 1; pair <= 3; pair++) {
  const out = join(work, `together-${pair}`);
  const [a, b] = [varshareStart(train(out)), varshareStart(train(out))];
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const codes = [ra.code, rb.code].sort();
  const refused = [ra, rb].find((r) => r.code === 2);
  const problem =
    codes[0] !== 0 || codes[1] !== 2
      ? `exit codes ${codes.join(', ')}`
      : !/being written by another process: pid \d+|already exists/.test(refused?.stderr ?? '')
        ? `refusal message: ${refused?.stderr.trim()}`
        : compareWithReference(runDir(out));
  record('writers', `two identical trains started together (pair ${pair}): one completes, one exit 2`, problem);
}
{
  // The first writer holds the lock but has not written config.json yet: a second `train` passes
  // the "already exists" check and must be refused by the lock itself.
  const out = join(work, 'held-before-config');
  const dir = runDir(out);
  const mark = join(work, 'mark-held-before-config');
  const holder = varshareStart(train(out), { VARSHARE_SOAK_KILL: 'config:1:pause', VARSHARE_SOAK_MARK: mark });
  await Promise.race([waitFor(() => existsSync(mark)), holder.done]);
  const second = varshare(train(out));
  writeFileSync(`${mark}.go`, '');
  const first = await holder.done;
  const named = new RegExp(`being written by another process: pid ${holder.child.pid} on host \\S+, running 'varshare train'`);
  record('writers', 'a second train while the first holds the lock before writing config.json: exit 2 naming it', second.code !== 2 ? `exit ${second.code}` : !named.test(second.stderr) ? `message: ${second.stderr.trim()}` : '');
  record('writers', '… and the first completes with the uninterrupted metrics', first.code !== 0 ? `exit ${first.code}: ${first.stderr.trim()}` : compareWithReference(dir));
}
{
  const out = join(work, 'frozen-holder');
  const dir = runDir(out);
  const holder = varshareStart(train(out));
  await waitFor(() => lineCount(join(dir, 'metrics.jsonl')) >= 1);
  process.kill(holder.child.pid as number, 'SIGSTOP');
  const named = new RegExp(`being written by another process: pid ${holder.child.pid} on host \\S+, running 'varshare train' since \\S+`);
  const before = snapshot(dir);
  for (const [what, args] of [
    ['resume', ['resume', dir]],
    ['eval', ['eval', dir]],
  ] as [string, string[]][]) {
    const r = varshare(args);
    record('writers', `${what} while another process holds the run`, r.code !== 2 ? `exit ${r.code}` : !named.test(r.stderr) ? `message: ${r.stderr.trim()}` : '');
  }
  const sweepOut = ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', SEED, '--steps', '2880', '--out', out, '--jobs', '1', ...TINY];
  const s = varshare(sweepOut);
  record('writers', 'a sweep over the held run reports it and leaves it alone', s.code !== 1 ? `exit ${s.code}` : !/locked baseline seed 3: another process is writing/.test(s.stderr) ? `log: ${s.stderr.trim()}` : snapshot(dir) !== before ? 'the run directory changed' : '');
  process.kill(holder.child.pid as number, 'SIGCONT');
  const done = await holder.done;
  record('writers', 'the holder then completes with the uninterrupted metrics', done.code !== 0 ? `exit ${done.code}` : compareWithReference(dir));
}

// ------------------------------------------------------------------------ 3. disk full
process.stdout.write('3. disk full (a small tmpfs)\n');
{
  const ckptBytes = statSync(join(refDir, 'checkpoints', 'latest.ckpt')).size;
  const page = 4096;
  const kb = (bytes: number) => `${Math.ceil(bytes / page) * (page / 1024)}k`;
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  const cases: [string, string, RegExp][] = [
    // Room for config, a few rows and half a checkpoint: the first checkpoint write fails.
    ['before the first checkpoint', kb(ckptBytes / 2 + 64 * 1024), /no space left on device \(ENOSPC\) while writing .*; no checkpoint yet: 'varshare resume .*' restarts the run from its config/],
    // Room for one checkpoint but not the temp file of the second.
    ['after the first checkpoint', kb(ckptBytes * 1.5 + 96 * 1024), /no space left on device \(ENOSPC\) while writing .*; last checkpoint \(update 3\) kept/],
  ];
  for (const [what, size, expected] of cases) {
    if (!canMount) {
      process.stdout.write(`  skip ${what}: mounting a tmpfs needs root\n`);
      continue;
    }
    const mnt = join(work, `full-${what.replace(/\W+/g, '-')}`);
    mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]).status !== 0) {
      process.stdout.write(`  skip ${what}: mount -t tmpfs failed\n`);
      continue;
    }
    try {
      const dir = runDir(mnt);
      const r = varshare(train(mnt));
      let problem = r.code !== 1 ? `exit ${r.code}: ${r.stderr.trim()}` : !expected.test(r.stderr) ? `message: ${r.stderr.trim()}` : r.stderr.trim().split('\n').length !== 1 ? `more than one line: ${r.stderr.trim()}` : '';
      if (problem === '') {
        spawnSync('mount', ['-o', 'remount,size=64m', mnt]);
        const rec = recover(mnt, dir, train(mnt));
        problem = rec.ok ? compareWithReference(dir) : rec.why;
      }
      record('disk', `full disk ${what} (tmpfs ${size}): exit 1, one line saying what exists; freed → resume → identical`, problem);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }
}

// ------------------------------------------------------------------------ 4. bad input
process.stdout.write('4. bad input: one `varshare: …` line naming the key or file, exit 2, nothing written\n');
function expectBad(name: string, args: string[], expected: RegExp, watched: string): void {
  const before = snapshot(watched);
  const r = varshare(args);
  const lines = r.stderr.trim().split('\n');
  const problem =
    r.code !== 2
      ? `exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 300)}`
      : lines.length !== 1 || !lines[0]?.startsWith('varshare: ')
        ? `not one varshare: line: ${r.stderr.trim().slice(0, 300)}`
        : !expected.test(lines[0])
          ? `message does not name it: ${lines[0]}`
          : snapshot(watched) !== before
            ? `${watched} changed`
            : '';
  record('bad', name, problem);
}
{
  const base = (out: string) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '1', '--out', out];
  let k = 0;
  const fresh = () => join(work, 'bad', `out-${++k}`);
  const file = (name: string, text: string) => {
    const p = join(work, 'bad', name);
    mkdirSync(join(work, 'bad'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  const trainCases: [string, (o: string) => string[], RegExp][] = [
    ['--seed 99999999999999999999999', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '99999999999999999999999', '--out', o], /--seed: expected an integer 0 … 4294967295/],
    ['--seed 1 --seed 2', (o) => [...base(o), '--seed', '2'], /--seed is given more than once/],
    ['--out pointing at a file', () => [...base(file('a-file', 'x'))], /--out .*a-file is a file, not a directory/],
    ['network.rank=100000', (o) => [...base(o), '--set', 'network.residual=low-rank', '--set', 'network.rank=100000'], /network\.rank: 100000 is out of range/],
    ['network.hiddenSizes=[4096,4096] (memory budget)', (o) => [...base(o), '--set', 'network.hiddenSizes=[4096,4096]'], /network\.hiddenSizes \[4096, 4096\]: .* more than the .* that fit in memory/],
    ['controller: null', (o) => [...base(o), '--set', 'controller=null'], /controller: .*null/],
    ['--set __proto__.x=1', (o) => [...base(o), '--set', '__proto__.x=1'], /__proto__\.x: '__proto__' is not a config key/],
    ['--set ppo.__proto__.gamma=5', (o) => [...base(o), '--set', 'ppo.__proto__.gamma=5'], /ppo\.__proto__\.gamma: '__proto__' is not a config key/],
    ['__proto__ in a --config JSON file', (o) => [...base(o), '--config', file('proto.json', '{"ppo": {"__proto__": {"gamma": 5}}}')], /ppo\.__proto__: '__proto__' is not a config key/],
    ['ppo.numMinibatches=7', (o) => [...base(o), '--set', 'ppo.numMinibatches=7'], /ppo\.numMinibatches \(7\) does not divide the batch of \d+ rows \(10 tasks × envsPerTask \d+ × ppo\.numSteps \d+\)/],
    ['ppo.clipCoef=1e308', (o) => [...base(o), '--set', 'ppo.clipCoef=1e308'], /ppo\.clipCoef: 1e\+308 is out of range/],
    ['ppo.gamma=abc', (o) => [...base(o), '--set', 'ppo.gamma=abc'], /ppo\.gamma/],
    ['gym:toy:math', (o) => ['train', '--suite', 'gym:toy:math', '--variant', 'baseline', '--seed', '1', '--steps', '512', '--out', o], /has no env 'math' \(toy envs: ToyChain, ToyReach\)/],
  ];
  let tfjsNode = false;
  try {
    createRequire(join(root, 'apps', 'trainer', 'package.json')).resolve('@tensorflow/tfjs-node');
    tfjsNode = true;
  } catch {
    // not installed: the case applies
  }
  if (!tfjsNode) trainCases.push(['--set backend=tensorflow (tfjs-node not installed)', (o) => [...base(o), '--steps', '2560', '--set', 'backend=tensorflow'], /backend: 'tensorflow' is not usable here/]);
  for (const [name, args, expected] of trainCases) {
    const out = fresh();
    expectBad(name, args(out), expected, out);
  }
  // A read-only place: a read-only tmpfs as root (permission bits do not stop root), else chmod 555.
  const ro = join(work, 'bad', 'read-only');
  mkdirSync(ro, { recursive: true });
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]).status === 0;
  if (!mounted && process.getuid?.() !== 0) chmodSync(ro, 0o555);
  if (mounted || process.getuid?.() !== 0) expectBad('--out in a read-only place', base(join(ro, 'runs')), /--out .*: cannot create run directories in .*read-only: (read-only file system \(EROFS\)|permission denied \(EACCES\))/, ro);
  else process.stdout.write('  skip --out in a read-only place: no read-only mount available\n');
  if (mounted) spawnSync('umount', [ro]);

  // Damaged run directories: copies of a small completed run (and of another variant's).
  const src = join(work, 'bad', 'source');
  for (const variant of ['baseline', 'exp1-fixed-prior']) {
    const r = varshare(train(src, variant, '960'));
    if (r.code !== 0) throw new Error(`could not train the source run: ${r.stderr}`);
  }
  const good = runDir(src);
  const ckpt = (d: string) => join(d, 'checkpoints', 'latest.ckpt');
  const edit = (f: (c: Record<string, any>) => void) => (d: string) => {
    const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    f(c);
    writeFileSync(join(d, 'config.json'), JSON.stringify(c, null, 2));
  };
  const dirCases: [string, (d: string) => void, 'resume' | 'eval', RegExp][] = [
    ['truncated config.json', (d) => writeFileSync(join(d, 'config.json'), readFileSync(join(d, 'config.json')).subarray(0, 300)), 'resume', /config\.json: not valid JSON/],
    ['config.json: ppo.gamma "abc"', edit((c) => (c.ppo.gamma = 'abc')), 'resume', /config\.json: ppo\.gamma: /],
    ['config.json: ppo.gamma 2', edit((c) => (c.ppo.gamma = 2)), 'resume', /config\.json: ppo\.gamma: Too big/],
    ['config.json: controller null', edit((c) => (c.controller = null)), 'resume', /config\.json: controller: /],
    ['config.json: network.hiddenSizes changed', edit((c) => (c.network.hiddenSizes = [32, 32])), 'resume', /network\.hiddenSizes: \[16,16\] → \[32,32\]/],
    ['config.json: steps edited', edit((c) => (c.steps = 1920)), 'resume', /steps: 960 → 1920/],
    ['config.json: ppo.learningRate edited', edit((c) => (c.ppo.learningRate = 0.01)), 'resume', /ppo\.learningRate: 0\.001 → 0\.01/],
    ['checkpoint copied from another variant', (d) => cpSync(ckpt(runDir(src, 'exp1-fixed-prior')), ckpt(d)), 'resume', /variant: "exp1-fixed-prior" → "baseline"/],
    ['truncated checkpoint', (d) => writeFileSync(ckpt(d), readFileSync(ckpt(d)).subarray(0, 4000)), 'resume', /latest\.ckpt: truncated: 4000 bytes/],
    ['checkpoint with garbage appended', (d) => appendFileSync(ckpt(d), 'garbage'), 'resume', /latest\.ckpt: 7 bytes after the last array/],
    ['eval of a truncated checkpoint', (d) => writeFileSync(ckpt(d), readFileSync(ckpt(d)).subarray(0, 4000)), 'eval', /latest\.ckpt: truncated: 4000 bytes/],
  ];
  let j = 0;
  for (const [name, damage, command, expected] of dirCases) {
    const dir = join(work, 'bad', `damaged-${++j}`, 'cartpole-mt', 'baseline', `seed-${SEED}`);
    cpSync(good, dir, { recursive: true });
    damage(dir);
    expectBad(`${command}: ${name}`, [command, dir], expected, dir);
  }
  // Not bad input, but no longer silent: a step budget that is not whole batches is rounded up, with a note.
  const r = varshare([...train(fresh(), 'baseline', '1000')]);
  process.stdout.write(`  ${r.code === 0 && /note: --steps 1000 is not a whole number of PPO batches \(320 env steps each\); running 1280 steps \(4 updates\)/.test(r.stderr) ? 'ok  ' : 'FAIL'} --steps 1000 rounds up to 1280 with a note on stderr\n`);
}

// ------------------------------------------------------------------------ 5. the report
process.stdout.write('5. the report refuses runs with repeated or missing updates\n');
{
  const runs = join(work, 'report-runs');
  const seedDir = (s: number) => join(runs, 'cartpole-mt', 'baseline', `seed-${s}`);
  const copy = (s: number) => {
    cpSync(refDir, seedDir(s), { recursive: true });
    const c = JSON.parse(readFileSync(join(seedDir(s), 'config.json'), 'utf8'));
    c.seed = s;
    writeFileSync(join(seedDir(s), 'config.json'), JSON.stringify(c, null, 2));
  };
  copy(3);
  // What two unlocked writers produced: every row twice.
  copy(4);
  for (const f of ['metrics.jsonl', 'eval.jsonl']) appendFileSync(join(seedDir(4), f), readFileSync(join(seedDir(4), f)));
  // A lost row.
  copy(5);
  const lines = readFileSync(join(seedDir(5), 'metrics.jsonl'), 'utf8').split('\n');
  writeFileSync(join(seedDir(5), 'metrics.jsonl'), [...lines.slice(0, 4), ...lines.slice(5)].join('\n'));
  const r = spawnSync(process.execPath, [REPORT_BIN, runs, '--out', join(work, 'report')], { encoding: 'utf8' });
  const left = (s: number) => r.stderr.split('\n').find((l) => l.startsWith('left out') && l.includes(`seed-${s}:`)) ?? '';
  record('report', 'duplicated history (every row twice) left out with the reason', r.status !== 0 ? `exit ${r.status}` : /inconsistent history: metrics\.jsonl repeats update 1–9; eval\.jsonl repeats update 3, 6, 9/.test(left(4)) ? '' : `stderr: ${r.stderr.trim()}`);
  record('report', 'missing update left out with the reason', /inconsistent history: metrics\.jsonl is missing update 5/.test(left(5)) ? '' : `stderr: ${r.stderr.trim()}`);
  record('report', 'the intact run is reported', /, 1 runs, 2 left out/.test(r.stdout) ? '' : `stdout: ${r.stdout.trim()}`);
}

// ------------------------------------------------------------------------ counts
const [k, kn] = counts.kills;
const [w, wn] = counts.writers;
const [d, dn] = counts.disk;
const [b, bn] = counts.bad;
const [p, pn] = counts.report;
process.stdout.write(
  [
    '',
    `kills survived: ${k}/${kn} with metrics identical to the uninterrupted run`,
    `concurrent writers refused: ${w}/${wn} (the second writer exits 2 naming the holder; the first completes identically)`,
    `disk full before/after the first checkpoint: ${d}/${dn} (exit 1, one line saying what exists; resumed to identical metrics)${dn === 0 ? ' — skipped: needs root for a tmpfs' : ''}`,
    `bad inputs → exit 2 with named key and nothing written: ${b}/${bn}`,
    `report refuses duplicated histories: ${p}/${pn}`,
    '',
  ].join('\n'),
);
if (!keep) rmSync(work, { recursive: true, force: true });
process.exit(k === kn && w === wn && d === dn && b === bn && p === pn ? 0 : 1);
