import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';

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
];

describe('bad input', () => {
  it('has a corpus of at least 30 cases', () => expect(corpus.length).toBeGreaterThanOrEqual(30));
  for (const [name, argv, expected] of corpus) {
    it(`${name}: one clear message, exit code 2, nothing written`, async () => {
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
