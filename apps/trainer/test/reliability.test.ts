import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunDir } from '@varshare/metrics';
import { NODE_ARGS, TINY, cli, cliKilledAt, lineCount, rowsWithoutTiming } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'varshare-rel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = String(320 * 9);
const train = (out: string, variant = 'baseline', extra: string[] = []) =>
  ['train', '--suite', 'cartpole-mt', '--variant', variant, '--seed', '3', '--steps', STEPS, '--out', out, ...TINY, ...extra];
const runDir = (out: string, variant = 'baseline') => join(out, 'cartpole-mt', variant, 'seed-3');

describe('varshare train', () => {
  const straight = join(root, 'straight');

  it('writes the run directory of CONTRACTS.md with the contract metric keys', () => {
    const r = cli(train(straight, 'exp3-ratio-controller'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = runDir(straight, 'exp3-ratio-controller');
    const read = readRunDir(dir);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const { config, metrics, evals, summary } = read.run;
    expect(summary.status).toBe('completed');
    expect(config.meta.actingMode).toEqual({ rolloutWeights: 'sample', trainWeights: 'sample', noise: 'frozen', samplingScope: 'full-residual', evalWeights: 'mean', network: 'varshare' });
    expect(config.meta.backend).toBe('wasm');
    expect(metrics).toHaveLength(9);
    expect(evals.map((e) => e['update'])).toEqual([3, 6, 9]);
    const row = metrics.at(-1)!;
    for (const key of [
      'update', 'env_steps', 'wall_s', 'train/return_mean', 'train/success_rate', 'train/return/baseline', 'train/success/baseline',
      'losses/policy_loss', 'losses/value_loss', 'losses/entropy', 'losses/approx_kl', 'losses/clipfrac', 'losses/explained_variance',
      'charts/learning_rate', 'charts/SPS', 'varshare/kl_total', 'varshare/kl/baseline', 'varshare/mu_abs_median/baseline',
      'varshare/sigma_median/baseline', 'varshare/sigma_mean/baseline', 'varshare/log_sigma_mean/baseline', 'varshare/ratio_R',
      'varshare/ratio_R/actor.0', 'varshare/mu_abs_median/critic.2', 'varshare/sigma_median/actor.1', 'controller/beta',
      'controller/trigger_up_count', 'controller/trigger_down_count', 'controller/R_raw', 'controller/R_ema', 'prior/sigma',
    ]) expect(row, key).toHaveProperty([key]);
    for (const key of ['eval/return_mean', 'eval/success_rate', 'eval/return/low-gravity', 'eval/success/low-gravity']) expect(evals.at(-1)!, key).toHaveProperty([key]);
    expect(readdirTf(dir)).toBe(false); // tensorboard=false in TINY
  });

  it('eval evaluates the last checkpoint deterministically with posterior means and N episodes per task', () => {
    const dir = runDir(straight, 'exp3-ratio-controller');
    const a = cli(['eval', dir, '--episodes', '3']);
    expect(a.code).toBe(0);
    const result = JSON.parse(a.stdout);
    expect(result['eval/episodes_per_task']).toBe(3);
    expect(result['update']).toBe(9);
    expect(Number.isFinite(result['eval/return_mean'])).toBe(true);
    expect(Object.keys(result).filter((k) => k.startsWith('eval/return/'))).toHaveLength(10);
    expect(JSON.parse(readFileSync(join(dir, 'evaluations', 'update-9-episodes-3.json'), 'utf8'))).toEqual(result);
    expect(JSON.parse(cli(['eval', dir, '--episodes', '3']).stdout)).toEqual(result); // same checkpoint, same numbers
  });

  it('resuming a completed run changes nothing', () => {
    const dir = runDir(straight, 'exp3-ratio-controller');
    const before = ['summary.json', 'metrics.jsonl', 'eval.jsonl'].map((f) => readFileSync(join(dir, f)));
    const r = cli(['resume', dir]);
    expect(r.code).toBe(0);
    ['summary.json', 'metrics.jsonl', 'eval.jsonl'].forEach((f, i) => expect(readFileSync(join(dir, f)).equals(before[i]!)).toBe(true));
  });

  it('SIGKILL at random points + resume gives the same metrics.jsonl and eval.jsonl as an uninterrupted run', async () => {
    const ref = join(root, 'ref');
    expect(cli(train(ref)).code).toBe(0);
    const killed = join(root, 'killed');
    const metrics = join(runDir(killed), 'metrics.jsonl');
    // Kill points: the number of metrics rows present when SIGKILL is sent, spread over the run (a
    // fixed list, so the test is repeatable); between polls the process may be mid-update,
    // mid-append or mid-checkpoint.
    const points = [2, 4, 5, 7];
    let kills = 0;
    let attempt = await cliKilledAt(train(killed), metrics, points[0]!);
    if (attempt.killed) kills += 1;
    for (const p of points.slice(1)) {
      if (!attempt.killed) break;
      attempt = await cliKilledAt(['resume', runDir(killed)], metrics, p);
      if (attempt.killed) kills += 1;
    }
    if (attempt.killed || attempt.code !== 0) expect(cli(['resume', runDir(killed)]).code).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(readFileSync(join(runDir(killed), 'summary.json'), 'utf8')).status).toBe('completed');
    expect(rowsWithoutTiming(metrics)).toEqual(rowsWithoutTiming(join(runDir(ref), 'metrics.jsonl')));
    expect(rowsWithoutTiming(join(runDir(killed), 'eval.jsonl'))).toEqual(rowsWithoutTiming(join(runDir(ref), 'eval.jsonl')));
  });

  it('a non-finite loss stops the run as failed with a clear message and the last good checkpoint intact', () => {
    const out = join(root, 'nan');
    expect(cli([...train(out), '--steps', '960']).code).toBe(0);
    const dir = runDir(out);
    const ckpt = readFileSync(join(dir, 'checkpoints', 'latest.ckpt'));
    // Continue the run with an absurd learning rate.
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.steps = 320 * 6;
    cfg.ppo.learningRate = 1e30;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const r = cli(['resume', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: non-finite (loss|gradient norm) .* at update 4/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.message).toMatch(/non-finite (loss|gradient norm)/);
    expect(summary.last_checkpoint_update).toBe(3);
    expect(readFileSync(join(dir, 'checkpoints', 'latest.ckpt')).equals(ckpt)).toBe(true);
  });

  it('SIGINT writes a checkpoint and exits with 130; resume finishes the run', async () => {
    const out = join(root, 'sigint');
    const metrics = join(runDir(out), 'metrics.jsonl');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [...NODE_ARGS, ...train(out), '--no-progress'], { stdio: 'ignore' });
      let sent = false;
      const poll = setInterval(() => {
        if (!sent && lineCount(metrics) >= 2) {
          sent = true;
          child.kill('SIGINT');
        }
      }, 5);
      child.on('exit', (c) => {
        clearInterval(poll);
        resolve(c);
      });
    });
    expect(code).toBe(130);
    const summary = JSON.parse(readFileSync(join(runDir(out), 'summary.json'), 'utf8'));
    expect(summary.status).toBe('running');
    expect(summary.message).toMatch(/interrupted at update \d+/);
    expect(summary.last_checkpoint_update).toBe(summary.updates);
    expect(cli(['resume', runDir(out)]).code).toBe(0);
    expect(JSON.parse(readFileSync(join(runDir(out), 'summary.json'), 'utf8')).status).toBe('completed');
  });
});

describe('varshare sweep', () => {
  it('writes a paired manifest; a killed sweep loses no completed run and re-running finishes the rest', async () => {
    const out = join(root, 'sweep');
    const args = ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline,exp2-beta-anneal', '--seeds', '1,2', '--steps', '960', '--out', out, '--jobs', '1', ...TINY];
    const dry = cli([...args, '--dry-run']);
    expect(dry.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'sweep-manifest.json'), 'utf8'));
    expect(manifest.entries.map((e: { variant: string; seed: number }) => `${e.variant}:${e.seed}`)).toEqual(['baseline:1', 'baseline:2', 'exp2-beta-anneal:1', 'exp2-beta-anneal:2']);
    // Run the sweep and kill its whole process group once the first run has completed.
    const firstSummary = join(out, 'cartpole-mt', 'baseline', 'seed-1', 'summary.json');
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: 'ignore', detached: true });
      const poll = setInterval(() => {
        try {
          if (JSON.parse(readFileSync(firstSummary, 'utf8')).status === 'completed') {
            clearInterval(poll);
            process.kill(-child.pid!, 'SIGKILL');
          }
        } catch {
          // not written yet
        }
      }, 100);
      child.on('exit', () => {
        clearInterval(poll);
        resolve();
      });
    });
    const firstMetrics = readFileSync(join(out, 'cartpole-mt', 'baseline', 'seed-1', 'metrics.jsonl'));
    const again = cli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/skip {3}baseline seed 1 \(completed\)/);
    for (const e of manifest.entries as { runDir: string }[]) {
      expect(JSON.parse(readFileSync(join(e.runDir, 'summary.json'), 'utf8')).status).toBe('completed');
    }
    expect(readFileSync(join(out, 'cartpole-mt', 'baseline', 'seed-1', 'metrics.jsonl')).equals(firstMetrics)).toBe(true);
  });

  it('--executor slurm --dry-run writes an sbatch array script over the manifest', () => {
    const out = join(root, 'slurm');
    const r = cli(['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline,exp1-fixed-prior', '--seeds', '1,2,3', '--out', out, '--executor', 'slurm', '--dry-run']);
    expect(r.code).toBe(0);
    const script = readFileSync(join(out, 'sweep.sbatch'), 'utf8');
    expect(script).toMatch(/#SBATCH --array=0-5/);
    expect(script).toMatch(/sweep-task ".*sweep-manifest\.json" "\$SLURM_ARRAY_TASK_ID"/);
  });
});

function readdirTf(dir: string): boolean {
  return readdirSync(dir).some((f) => f.startsWith('events.out.tfevents'));
}
