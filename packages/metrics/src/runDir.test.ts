import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from './atomicWrite';
import { JsonlWriter } from './jsonl';
import {
  decodeSuiteDirName,
  encodeSuiteDirName,
  findRunDirs,
  readRunDir,
  readRunDirs,
  runDirPath,
  runFiles,
  writeSummary,
} from './runDir';
import type { RunSummary } from './runDir';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'metrics-rundir-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const meta = {
  version: '0.1.0',
  gitCommit: 'abc123',
  backend: 'wasm',
  actingMode: { rollout: 'mean', training: 'sample', samplingScope: 'per-batch' },
  startTime: '2025-01-01T00:00:00.000Z',
};

interface MakeRunOptions {
  readonly status?: RunSummary['status'];
  readonly message?: string;
  readonly updates?: number;
  readonly withEval?: boolean;
}

function makeRun(suite: string, variant: string, seed: number, o: MakeRunOptions = {}): string {
  const dir = runDirPath(root, suite, variant, seed);
  mkdirSync(dir, { recursive: true });
  const files = runFiles(dir);
  writeJsonAtomic(files.config, { suite, variant, seed, ppo: { lr: 3e-4 }, meta });
  const updates = o.updates ?? 3;
  const m = new JsonlWriter(files.metrics);
  for (let u = 1; u <= updates; u++) m.append({ update: u, env_steps: u * 128, wall_s: u * 0.1, 'train/return_mean': u * 10 });
  m.close();
  if (o.withEval ?? true) {
    const e = new JsonlWriter(files.eval);
    e.append({ update: updates, env_steps: updates * 128, 'eval/return_mean': 42, 'eval/success_rate': Number.NaN });
    e.close();
  }
  writeSummary(dir, {
    status: o.status ?? 'completed',
    ...(o.message !== undefined ? { message: o.message } : {}),
    final_eval: { 'eval/return_mean': 42 },
    wall_s: 1.5,
    updates,
    env_steps: updates * 128,
  });
  return dir;
}

describe('runDirPath', () => {
  it('builds DIR/S/V/seed-N and keeps gym ids one level deep', () => {
    expect(runDirPath('runs', 'cartpole-mt', 'baseline', 3)).toBe(join('runs', 'cartpole-mt', 'baseline', 'seed-3'));
    expect(runDirPath('runs', 'gym:CartPole-v1', 'exp1-fixed-prior', 0)).toBe(join('runs', 'gym:CartPole-v1', 'exp1-fixed-prior', 'seed-0'));
    expect(encodeSuiteDirName('gym:ALE/Pong-v5')).toBe('gym:ALE%2FPong-v5');
    expect(decodeSuiteDirName('gym:ALE%2FPong-v5')).toBe('gym:ALE/Pong-v5');
    expect(decodeSuiteDirName(encodeSuiteDirName('a%2Fb\\c'))).toBe('a%2Fb\\c');
    expect(() => runDirPath('runs', 'cartpole-mt', '..', 1)).toThrow(/variant/);
    expect(() => runDirPath('runs', 'cartpole-mt', 'a/b', 1)).toThrow(/variant/);
    expect(() => runDirPath('runs', '', 'baseline', 1)).toThrow(/suite/);
    expect(() => runDirPath('runs', 'cartpole-mt', 'baseline', -1)).toThrow(/seed/);
    expect(() => runDirPath('runs', 'cartpole-mt', 'baseline', 1.5)).toThrow(/seed/);
  });
});

describe('readRunDir', () => {
  it('reads a good run with config passthrough, records and summary', () => {
    const dir = makeRun('cartpole-mt', 'baseline', 1);
    const r = readRunDir(dir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.run.dir).toBe(dir);
    expect(r.run.config.suite).toBe('cartpole-mt');
    expect(r.run.config['ppo']).toEqual({ lr: 3e-4 });
    expect(r.run.meta).toEqual(meta);
    expect(r.run.metrics.map((x) => x.update)).toEqual([1, 2, 3]);
    expect(r.run.metrics[2]?.['train/return_mean']).toBe(30);
    expect(r.run.evals).toHaveLength(1);
    expect(r.run.evals[0]?.['eval/success_rate']).toBeNaN();
    expect(r.run.summary.status).toBe('completed');
    expect(r.run.summary.final_eval).toEqual({ 'eval/return_mean': 42 });
    expect(r.run.warnings).toEqual([]);
  });

  it('reads a run without eval.jsonl as having no evaluations', () => {
    const r = readRunDir(makeRun('cartpole-mt', 'baseline', 2, { withEval: false }));
    expect(r.ok && r.run.evals).toEqual([]);
  });

  it('reports a missing directory and missing files', () => {
    expect(readRunDir(join(root, 'nope'))).toEqual({ ok: false, dir: join(root, 'nope'), reason: 'directory does not exist' });
    const file = join(root, 'file');
    writeFileSync(file, '');
    expect(readRunDir(file)).toMatchObject({ ok: false, reason: 'not a directory' });
    const empty = join(root, 's', 'v', 'seed-1');
    mkdirSync(empty, { recursive: true });
    expect(readRunDir(empty)).toMatchObject({ ok: false, reason: 'missing config.json' });
    const dir = makeRun('cartpole-mt', 'baseline', 1);
    rmSync(runFiles(dir).summary);
    expect(readRunDir(dir)).toMatchObject({ ok: false, reason: 'missing summary.json' });
    const dir2 = makeRun('cartpole-mt', 'baseline', 2);
    rmSync(runFiles(dir2).metrics);
    expect(readRunDir(dir2)).toMatchObject({ ok: false, reason: 'missing metrics.jsonl' });
  });

  it('reports running and failed runs, and reads running ones when asked', () => {
    const running = makeRun('cartpole-mt', 'baseline', 1, { status: 'running', updates: 12 });
    expect(readRunDir(running)).toMatchObject({ ok: false, reason: 'run still running (status "running", 12 updates)' });
    expect(readRunDir(running, { accept: ['completed', 'running'] }).ok).toBe(true);
    const failed = makeRun('cartpole-mt', 'baseline', 2, { status: 'failed', message: 'NaN in policy loss' });
    expect(readRunDir(failed)).toMatchObject({ ok: false, reason: 'run failed: NaN in policy loss' });
    const failedNoMsg = makeRun('cartpole-mt', 'baseline', 3, { status: 'failed' });
    expect(readRunDir(failedNoMsg)).toMatchObject({ ok: false, reason: 'run failed (no message in summary.json)' });
  });

  it('reports corrupt and invalid files with file and line', () => {
    const a = makeRun('cartpole-mt', 'baseline', 1);
    writeFileSync(runFiles(a).config, '{"suite": "cartpole-mt",');
    const ra = readRunDir(a);
    expect(ra.ok).toBe(false);
    expect(!ra.ok && ra.reason).toMatch(/^corrupt config\.json: /);

    const b = makeRun('cartpole-mt', 'baseline', 2);
    writeFileSync(runFiles(b).config, JSON.stringify({ suite: 'cartpole-mt', variant: 'baseline', seed: 2 }));
    expect(readRunDir(b)).toMatchObject({ ok: false, reason: 'invalid config.json: meta: Invalid input: expected object, received undefined' });

    const c = makeRun('cartpole-mt', 'baseline', 3);
    writeFileSync(runFiles(c).metrics, '{"update":1,"env_steps":1}\n{"update":2,\n{"update":3,"env_steps":3}\n');
    expect(readRunDir(c)).toMatchObject({ ok: false });
    expect((readRunDir(c) as { reason: string }).reason).toMatch(/^corrupt metrics\.jsonl: line 2: /);

    const d = makeRun('cartpole-mt', 'baseline', 4);
    writeFileSync(runFiles(d).eval, '{"update":1,"env_steps":1,"eval/return_mean":"high"}\n');
    expect(readRunDir(d)).toMatchObject({ ok: false, reason: 'invalid eval.jsonl: record 1: "eval/return_mean" is not a number' });

    const e = makeRun('cartpole-mt', 'baseline', 5);
    writeFileSync(runFiles(e).metrics, '{"env_steps":1}\n');
    expect(readRunDir(e)).toMatchObject({ ok: false, reason: 'invalid metrics.jsonl: record 1: "update" is missing or not a number' });

    const f = makeRun('cartpole-mt', 'baseline', 6);
    writeFileSync(runFiles(f).summary, JSON.stringify({ status: 'done', wall_s: 1, updates: 1, env_steps: 1 }));
    expect((readRunDir(f) as { reason: string }).reason).toMatch(/^invalid summary\.json: status: /);
  });

  it('accepts a completed run with a torn tail but warns', () => {
    const dir = makeRun('cartpole-mt', 'baseline', 1);
    writeFileSync(runFiles(dir).metrics, `${readFileSync(runFiles(dir).metrics, 'utf8')}{"update":4,"env`);
    const r = readRunDir(dir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.run.metrics).toHaveLength(3);
    expect(r.run.warnings).toEqual(['metrics.jsonl: ignored an incomplete last line']);
  });

  it('warns when config.json disagrees with the directory name', () => {
    const dir = makeRun('cartpole-mt', 'baseline', 1);
    const moved = join(root, 'cartpole-mt', 'exp1-fixed-prior', 'seed-1');
    mkdirSync(join(root, 'cartpole-mt', 'exp1-fixed-prior'), { recursive: true });
    // Copy by re-creating under the wrong variant directory.
    mkdirSync(moved);
    for (const f of ['config.json', 'metrics.jsonl', 'eval.jsonl', 'summary.json']) writeFileSync(join(moved, f), readFileSync(join(dir, f)));
    const r = readRunDir(moved);
    expect(r.ok && r.run.warnings).toEqual([
      'config.json says cartpole-mt/baseline/seed-1 but the directory is cartpole-mt/exp1-fixed-prior/seed-1',
    ]);
  });
});

describe('writeSummary', () => {
  it('validates before writing', () => {
    const dir = join(root, 'd');
    mkdirSync(dir);
    expect(() => writeSummary(dir, { status: 'completed', wall_s: -1, updates: 1, env_steps: 1 })).toThrow(/wall_s/);
    writeSummary(dir, { status: 'running', wall_s: 0, updates: 0, env_steps: 0, started_at: '2025-01-01T00:00:00Z' });
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toEqual({
      status: 'running',
      wall_s: 0,
      updates: 0,
      env_steps: 0,
      started_at: '2025-01-01T00:00:00Z',
    });
  });
});

describe('findRunDirs / readRunDirs', () => {
  it('walks root/S/V/seed-N in sorted order and splits readable from skipped', () => {
    makeRun('cartpole-mt', 'exp1-fixed-prior', 10);
    makeRun('cartpole-mt', 'exp1-fixed-prior', 2);
    makeRun('cartpole-mt', 'baseline', 1, { status: 'failed', message: 'boom' });
    makeRun('gym:ALE/Pong-v5', 'baseline', 1);
    mkdirSync(join(root, 'cartpole-mt', 'baseline', 'not-a-seed'), { recursive: true });
    writeFileSync(join(root, 'README.txt'), 'x');
    expect(findRunDirs(root).map((e) => [e.suite, e.variant, e.seed])).toEqual([
      ['cartpole-mt', 'baseline', 1],
      ['cartpole-mt', 'exp1-fixed-prior', 2],
      ['cartpole-mt', 'exp1-fixed-prior', 10],
      ['gym:ALE/Pong-v5', 'baseline', 1],
    ]);
    const { runs, skipped } = readRunDirs(root);
    expect(runs.map((r) => `${r.config.suite}/${r.config.variant}/${r.config.seed}`)).toEqual([
      'cartpole-mt/exp1-fixed-prior/2',
      'cartpole-mt/exp1-fixed-prior/10',
      'gym:ALE/Pong-v5/baseline/1',
    ]);
    expect(runs.every((r) => r.warnings.length === 0)).toBe(true);
    expect(skipped).toEqual([{ dir: join(root, 'cartpole-mt', 'baseline', 'seed-1'), reason: 'run failed: boom' }]);
    expect(findRunDirs(join(root, 'missing'))).toEqual([]);
  });
});
