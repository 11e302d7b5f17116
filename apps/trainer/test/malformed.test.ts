import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock } from '@varshare/metrics';
import { loadCheckpoint, saveCheckpoint } from '@varshare/rl-ppo';
import { runCli } from '../src/cli';
import { TINY } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'varshare-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(root, name);
  writeFileSync(p, text);
  return p;
};
const base = (out: string) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '1', '--out', out];

/** [description, argv (OUT = a fresh output dir), expected message]. */
const corpus: [string, (out: string) => string[], RegExp][] = [
  ['unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/],
  ['missing --suite', (o) => ['train', '--variant', 'baseline', '--seed', '1', '--out', o], /--suite is required/],
  ['missing --variant', (o) => ['train', '--suite', 'cartpole-mt', '--seed', '1', '--out', o], /--variant is required/],
  ['missing --seed', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--out', o], /--seed is required/],
  ['unknown suite', (o) => ['train', '--suite', 'nope-mt', '--variant', 'baseline', '--seed', '1', '--out', o], /--suite: unknown suite 'nope-mt'/],
  ['unknown variant', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'exp9', '--seed', '1', '--out', o], /--variant: .*exp9/],
  ['seed not a number', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', 'abc', '--out', o], /--seed: expected an integer/],
  ['steps zero', (o) => [...base(o), '--steps', '0'], /--steps: expected an integer ≥ 1/],
  ['threads zero', (o) => [...base(o), '--threads', '0'], /--threads: expected an integer 1 … 256/],
  ['threads not a number', (o) => [...base(o), '--threads', 'all'], /--threads: expected an integer 1 … 256/],
  ['unknown flag', (o) => [...base(o), '--bogus'], /Unknown option '--bogus'/],
  ['negative learning rate', (o) => [...base(o), '--set', 'ppo.learningRate=-1'], /ppo\.learningRate: Too small/],
  ['unknown ppo key', (o) => [...base(o), '--set', 'ppo.lr=1'], /ppo: unknown key\(s\) "lr"/],
  ['unknown top-level key', (o) => [...base(o), '--set', 'nope=1'], /unknown key\(s\) "nope"/],
  ['non-numeric value', (o) => [...base(o), '--set', 'ppo.numSteps=abc'], /ppo\.numSteps: .*expected number/],
  ['non-integer steps per env', (o) => [...base(o), '--set', 'ppo.numSteps=1.5'], /ppo\.numSteps: .*int/],
  ['unknown activation', (o) => [...base(o), '--set', 'network.activation=sigmoid'], /network\.activation/],
  ['empty hidden sizes', (o) => [...base(o), '--set', 'network.hiddenSizes=[]'], /network\.hiddenSizes/],
  ['unknown KL normalisation', (o) => [...base(o), '--set', 'kl.normalisation=mean'], /kl\.normalisation/],
  ['unknown rollout weights', (o) => [...base(o), '--set', 'weights.rollout=random'], /weights\.rollout/],
  ['zero eval episodes', (o) => [...base(o), '--set', 'eval.episodes=0'], /eval\.episodes/],
  ['gamma above 1', (o) => [...base(o), '--set', 'ppo.gamma=1.5'], /ppo\.gamma/],
  ['negative beta1', (o) => [...base(o), '--set', 'controller.beta.beta1=-1'], /controller: .*beta1/],
  ['unknown beta kind', (o) => [...base(o), '--set', 'controller.beta.kind=bogus'], /controller: .*kind/],
  ['zero prior sigma', (o) => [...base(o), '--set', 'controller.prior.sigma=0'], /controller: .*sigma/],
  ['unknown controller key', (o) => [...base(o), '--set', 'controller.gamma=1'], /controller\.gamma: unknown key/],
  ['--set without =', (o) => [...base(o), '--set', 'noequals'], /--set: expected key\.path=value/],
  ['--set empty key', (o) => [...base(o), '--set', '=3'], /--set: expected key\.path=value/],
  ['--set seed', (o) => [...base(o), '--set', 'seed=3'], /--set seed: use --seed/],
  ['unreadable config', (o) => [...base(o), '--config', join(root, 'missing.yaml')], /--config: cannot read .*missing\.yaml: ENOENT/],
  ['invalid YAML', (o) => [...base(o), '--config', file('bad.yaml', 'ppo: [unclosed\n')], /--config: .*bad\.yaml is not valid YAML/],
  ['config is a list', (o) => [...base(o), '--config', file('list.yaml', '- 1\n- 2\n')], /must hold a mapping of keys, got a list/],
  ['invalid JSON', (o) => [...base(o), '--config', file('bad.json', '{"ppo": ')], /bad\.json is not valid JSON/],
  ['seed in config file', (o) => [...base(o), '--config', file('seed.yaml', 'seed: 3\n')], /'seed' is set on the command line/],
  ['steps below one batch', (o) => [...base(o), '--steps', '10'], /steps \(10\) is smaller than one PPO batch/],
  ['adapters-only without adapters', (o) => [...base(o), '--set', 'weights.samplingScope=adapters-only'], /adapters-only' needs network\.residual 'low-rank'/],
  ['too many minibatches', (o) => [...base(o), '--set', 'ppo.numMinibatches=100000'], /ppo\.numMinibatches \(100000\) exceeds the batch size/],
  ['unknown task sampling', (o) => [...base(o), '--set', 'env.taskSampling=random'], /env\.taskSampling/],
  ['bad user preset', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'mine', '--seed', '1', '--out', o, '--config', file('preset.yaml', 'presets:\n  mine:\n    beta: { kind: ratio, gammaUp: 0.5 }\n')], /mine.*gammaUp/],
  ['resume a non-run directory', (o) => ['resume', o], /not a run directory/],
  ['eval a non-run directory', (o) => ['eval', o], /not a run directory/],
  ['sweep with an unknown variant', (o) => ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline,nope', '--seeds', '1', '--out', o], /--variant: .*nope/],
  ['sweep with an unknown executor', (o) => ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', '1', '--out', o, '--executor', 'pbs'], /--executor: expected local or slurm/],
  ['sweep with bad seeds', (o) => ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', '1,x', '--out', o], /--seeds: expected an integer/],
  ['seed above 32 bits', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '99999999999999999999999', '--out', o], /--seed: expected an integer 0 … 4294967295, got '99999999999999999999999'/],
  ['seed 2^32', (o) => ['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '4294967296', '--out', o], /--seed: expected an integer 0 … 4294967295/],
  ['sweep seed above 32 bits', (o) => ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', '1,4294967296', '--out', o], /--seeds: expected an integer 0 … 4294967295/],
  ['repeated --seed', (o) => [...base(o), '--seed', '2'], /train: --seed is given more than once \('1' and '2'\)/],
  ['repeated --out', (o) => [...base(o), '--out', `${o}-other`], /train: --out is given more than once/],
  ['repeated --steps on resume', (o) => ['resume', o, '--steps', '10', '--steps', '20'], /resume: --steps is given more than once \('10' and '20'\)/],
  ['--set __proto__', (o) => [...base(o), '--set', '__proto__.x=1'], /--set __proto__\.x: '__proto__' is not a config key/],
  ['--set nested __proto__', (o) => [...base(o), '--set', 'ppo.__proto__.gamma=5'], /--set ppo\.__proto__\.gamma: '__proto__' is not a config key/],
  ['--set constructor', (o) => [...base(o), '--set', 'ppo.constructor.prototype=1'], /'constructor' is not a config key/],
  ['__proto__ in a JSON config file', (o) => [...base(o), '--config', file('proto.json', '{"ppo": {"__proto__": {"gamma": 5}}}')], /--config .*proto\.json: ppo\.__proto__: '__proto__' is not a config key/],
  ['prototype in a YAML config file', (o) => [...base(o), '--config', file('proto.yaml', 'network:\n  prototype: 3\n')], /network\.prototype: 'prototype' is not a config key/],
  ['minibatches that do not divide the batch', (o) => [...base(o), '--set', 'envsPerTask=4', '--set', 'ppo.numSteps=64', '--set', 'ppo.numMinibatches=7'], /ppo\.numMinibatches \(7\) does not divide the batch of 2560 rows \(10 tasks × envsPerTask 4 × ppo\.numSteps 64\)/],
  ['clip coefficient 1e308', (o) => [...base(o), '--set', 'ppo.clipCoef=1e308'], /invalid config: ppo\.clipCoef: 1e\+308 is out of range \(allowed 0\.000001 … 10\)/],
  ['learning rate 10', (o) => [...base(o), '--set', 'ppo.learningRate=10'], /ppo\.learningRate: 10 is out of range/],
  ['hidden layer 100000 wide', (o) => [...base(o), '--set', 'network.hiddenSizes=[64,100000]'], /network\.hiddenSizes: 100000 is out of range \(allowed 1 … 8192\)/],
  ['rank 100000', (o) => [...base(o), '--set', 'network.residual=low-rank', '--set', 'network.rank=100000'], /network\.rank: 100000 is out of range/],
  ['network over the memory budget', (o) => [...base(o), '--set', 'network.hiddenSizes=[4096,4096]'], /network\.hiddenSizes \[4096, 4096\]: at least [\d,]+ parameters for 10 tasks .* more than the 67,108,864 that fit in memory/],
  ['batch over the memory budget', (o) => [...base(o), '--set', 'envsPerTask=4096', '--set', 'ppo.numSteps=4096'], /envsPerTask × ppo\.numSteps: one PPO batch would hold 167772160 rows/],
  ['steps above the bound', (o) => [...base(o), '--steps', '9000000000000'], /steps: 9000000000000 is out of range/],
  ['beta above the bound', (o) => [...base(o), '--set', 'controller.beta.beta1=1e300'], /controller\.beta\.beta1: 1e\+300 is out of range/],
  ['stratified minibatches with uniform task sampling', (o) => [...base(o), '--set', 'ppo.minibatchSampling=stratified-by-task', '--set', 'env.taskSampling=uniform'], /ppo\.minibatchSampling 'stratified-by-task' needs env\.taskSampling 'round-robin' \(every task the same rows\), got 'uniform'/],
  ['stratified minibatches smaller than the task count', (o) => [...base(o), '--set', 'envsPerTask=4', '--set', 'ppo.numSteps=64', '--set', 'ppo.minibatchSampling=stratified-by-task', '--set', 'ppo.numMinibatches=512'], /needs a row per task in every minibatch: 2560 rows \/ ppo\.numMinibatches 512 = 5 < 10 tasks/],
  ['controller null', (o) => [...base(o), '--set', 'controller=null'], /invalid config: controller: .*received null/],
  ['tensorflow backend not installed', (o) => [...base(o), '--steps', '2560', '--set', 'backend=tensorflow'], /backend: 'tensorflow' is not usable here \(needs @tensorflow\/tfjs-node installed/],
  ['--out is a file', (o) => [...base(o).slice(0, -2), '--out', file('out-file', 'x')], /--out .*out-file: .*out-file is a file, not a directory/],
  ['--out below a file', (o) => [...base(o).slice(0, -2), '--out', join(file('out-file2', 'x'), 'runs')], /--out .*out-file2\/runs: .*out-file2 is a file, not a directory/],
  ['gym:toy: names a non-env attribute', (o) => ['train', '--suite', 'gym:toy:math', '--variant', 'baseline', '--seed', '1', '--steps', '512', '--out', o], /unknown env id .*has no env 'math' \(toy envs: ToyChain, ToyReach\)/],
];

/** Cases that do not apply on this machine, with why. */
const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();
const notApplicable: Record<string, string | undefined> = {
  'tensorflow backend not installed': tfjsNodeInstalled ? '@tensorflow/tfjs-node is installed here' : undefined,
};

describe('bad input', () => {
  it('has a corpus of at least 30 cases', () => expect(corpus.length).toBeGreaterThanOrEqual(30));
  for (const [name, argv, expected] of corpus) {
    it.skipIf(notApplicable[name] !== undefined)(`${name}: one clear message, exit code 2, nothing written`, async () => {
      const out = join(root, `out-${name.replace(/\W+/g, '-')}`);
      const messages: string[] = [];
      const code = await runCli(argv(out), (s) => messages.push(s));
      expect(code).toBe(2);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^varshare: /);
      expect(messages[0]).toMatch(expected);
      expect(messages[0]!.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    });
  }
});

/** Every file under `dir` with its bytes, for "nothing written" checks. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(dir.length), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

describe('--out in a place that cannot be written', () => {
  // Root ignores permission bits; a read-only mount stands in for the read-only place then.
  const place = join(root, 'read-only');
  let how: 'mount' | 'chmod' | undefined;
  beforeAll(() => {
    mkdirSync(place);
    if (process.getuid?.() !== 0) {
      chmodSync(place, 0o555);
      how = 'chmod';
    } else if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', place]).status === 0) how = 'mount';
  });
  afterAll(() => {
    if (how === 'mount') spawnSync('umount', [place]);
    if (how === 'chmod') chmodSync(place, 0o755);
  });
  it('is one message naming --out and the reason, exit code 2, nothing written', async (ctx) => {
    if (how === undefined) ctx.skip('running as root without a read-only mount');
    const messages: string[] = [];
    const code = await runCli(['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '1', '--out', join(place, 'runs')], (s) => messages.push(s));
    expect(code).toBe(2);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^varshare: --out .*read-only\/runs: cannot create run directories in .*read-only: (read-only file system \(EROFS\)|permission denied \(EACCES\))\n$/);
    expect(readdirSync(place)).toEqual([]);
  });
});

describe('bad run directories on resume and eval', () => {
  const runs = join(root, 'runs');
  const good = join(runs, 'cartpole-mt', 'baseline', 'seed-1');
  const otherVariant = join(runs, 'cartpole-mt', 'exp1-fixed-prior', 'seed-1');
  beforeAll(async () => {
    for (const variant of ['baseline', 'exp1-fixed-prior']) {
      const code = await runCli(['train', '--suite', 'cartpole-mt', '--variant', variant, '--seed', '1', '--steps', '640', '--out', runs, '--no-progress', ...TINY]);
      expect(code).toBe(0);
    }
  }, 120_000);

  const editConfig = (edit: (c: Record<string, any>) => void) => (dir: string) => {
    const path = join(dir, 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    edit(c);
    writeFileSync(path, JSON.stringify(c, null, 2));
  };
  const ckpt = (dir: string) => join(dir, 'checkpoints', 'latest.ckpt');
  /** [description, how to damage a copy of the run, command, expected message]. */
  const cases: [string, (dir: string) => void, 'resume' | 'eval', RegExp][] = [
    ['truncated config.json', (d) => writeFileSync(join(d, 'config.json'), readFileSync(join(d, 'config.json')).subarray(0, 200)), 'resume', /config\.json: not valid JSON \(.*\); it was truncated or edited by hand/],
    ['config.json that is a list', (d) => writeFileSync(join(d, 'config.json'), '[1, 2]'), 'resume', /config\.json: expected a JSON object, got a list/],
    ['ppo.gamma "abc" in config.json', editConfig((c) => (c.ppo.gamma = 'abc')), 'resume', /config\.json: ppo\.gamma: Invalid input: expected number, received string/],
    ['ppo.gamma 2 in config.json', editConfig((c) => (c.ppo.gamma = 2)), 'resume', /config\.json: ppo\.gamma: Too big/],
    ['ppo.clipCoef 1e308 in config.json', editConfig((c) => (c.ppo.clipCoef = 1e308)), 'resume', /config\.json: ppo\.clipCoef: 1e\+308 is out of range/],
    ['controller null in config.json', editConfig((c) => (c.controller = null)), 'resume', /config\.json: controller: expected an object \{ beta, prior \}, got null/],
    ['unknown key in config.json', editConfig((c) => (c.ppo.lr = 1)), 'resume', /config\.json: ppo: unknown key\(s\) "lr"/],
    ['__proto__ in config.json', (d) => writeFileSync(join(d, 'config.json'), readFileSync(join(d, 'config.json'), 'utf8').replace('"ppo": {', '"ppo": {"__proto__": {"gamma": 5},')), 'resume', /config\.json: ppo\.__proto__: '__proto__' is not a config key/],
    ['seed above 32 bits in config.json', editConfig((c) => (c.seed = 2 ** 40)), 'resume', /config\.json: seed: expected an integer 0 … 4294967295/],
    ['config.json without meta', editConfig((c) => delete c.meta), 'resume', /config\.json: meta: expected an object/],
    ['network.hiddenSizes changed', editConfig((c) => (c.network.hiddenSizes = [32, 32])), 'resume', /latest\.ckpt does not belong to .*config\.json \(checkpoint → config\.json\): network\.hiddenSizes: \[16,16\] → \[32,32\]/],
    ['learning rate edited', editConfig((c) => (c.ppo.learningRate = 0.01)), 'resume', /does not belong to .*: ppo\.learningRate: 0\.001 → 0\.01; restore the original config\.json/],
    ['steps edited', editConfig((c) => (c.steps = 960)), 'resume', /does not belong to .*: steps: 640 → 960; to run longer, restore config\.json and use 'varshare resume RUN_DIR --steps N'/],
    ['checkpoint of another variant', (d) => cpSync(ckpt(otherVariant), ckpt(d)), 'resume', /does not belong to .*: controller\.prior\.sigma: 0\.01 → 1; variant: "exp1-fixed-prior" → "baseline"/],
    ['checkpoint without a run stamp', (d) => {
      const c = loadCheckpoint(ckpt(d));
      saveCheckpoint(ckpt(d), { json: c.json, arrays: c.arrays });
    }, 'resume', /latest\.ckpt: has no run stamp, so it was not written by this run/],
    ['truncated checkpoint', (d) => writeFileSync(ckpt(d), readFileSync(ckpt(d)).subarray(0, 5000)), 'resume', /latest\.ckpt: truncated: 5000 bytes, .*; it was not written by varshare's atomic write .*: restore it, or delete it to restart the run from update 0/],
    ['empty checkpoint', (d) => writeFileSync(ckpt(d), ''), 'resume', /latest\.ckpt: empty file, not a VarShare checkpoint/],
    ['truncated checkpoint, eval', (d) => writeFileSync(ckpt(d), readFileSync(ckpt(d)).subarray(0, 5000)), 'eval', /latest\.ckpt: truncated: 5000 bytes/],
    ['checkpoint of another variant, eval', (d) => cpSync(ckpt(otherVariant), ckpt(d)), 'eval', /does not belong to .*variant: "exp1-fixed-prior" → "baseline"/],
    ['no checkpoint, eval', (d) => rmSync(ckpt(d)), 'eval', /eval: .* has no checkpoint yet \(nothing trained to evaluate\)/],
  ];
  for (const [name, damage, command, expected] of cases) {
    it(`${command}: ${name} is one message naming the file and key, exit code 2, nothing written`, async () => {
      const dir = join(root, 'damaged', name.replace(/\W+/g, '-'), 'cartpole-mt', 'baseline', 'seed-1');
      cpSync(good, dir, { recursive: true });
      damage(dir);
      const before = snapshot(dir);
      const messages: string[] = [];
      const code = await runCli([command, dir], (s) => messages.push(s));
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^varshare: /);
      expect(messages[0]!.trim().split('\n')).toHaveLength(1);
      expect(messages[0]).toMatch(expected);
      expect(code).toBe(2);
      expect(snapshot(dir)).toEqual(before);
    });
  }
});

describe('a run directory another process holds', () => {
  it('train is refused naming the holder, and leaves the holder its directories', async () => {
    const out = join(root, 'held');
    const dir = join(out, 'cartpole-mt', 'baseline', 'seed-1');
    mkdirSync(dir, { recursive: true });
    // This test process is the holder (a live pid): the trainer must not touch what it finds.
    const lock = acquireRunLock(dir, 'holder in a test');
    try {
      const messages: string[] = [];
      const code = await runCli(['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '1', '--steps', '640', '--out', out, '--no-progress', ...TINY], (s) => messages.push(s));
      expect(code).toBe(2);
      expect(messages).toEqual([expect.stringMatching(new RegExp(`^varshare: .*seed-1 is being written by another process: pid ${process.pid} on host \\S+, running 'holder in a test' since \\S+; wait for it to finish or stop it\\n$`))]);
      // The refused writer created checkpoints/ just before; the holder is about to write into it.
      expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'run.lock']);
    } finally {
      lock.release();
    }
  });
});
