import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LOCK_FILE, readRunDir, readRunLock } from '@varshare/metrics';
import { loadCheckpoint, saveCheckpoint } from '@varshare/rl-ppo';
import { BIN, NODE_ARGS, TINY, cli, cliKilledAt, cliStart, isAlive, lineCount, rowsWithoutTiming, waitFor } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'varshare-rel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const STEPS = String(320 * 9);
const train = (out: string, variant = 'baseline', extra: string[] = [], steps = STEPS) =>
  ['train', '--suite', 'cartpole-mt', '--variant', variant, '--seed', '3', '--steps', steps, '--out', out, ...TINY, ...extra];
const runDir = (out: string, variant = 'baseline') => join(out, 'cartpole-mt', variant, 'seed-3');

/** The uninterrupted baseline run every interrupted one is compared with (trained once, on first use). */
let refDir: string | undefined;
function reference(): string {
  if (refDir === undefined) {
    const out = join(root, 'ref');
    expect(cli(train(out)).code).toBe(0);
    refDir = runDir(out);
  }
  return refDir;
}
const sameRows = (dir: string, ref: string) => {
  expect(rowsWithoutTiming(join(dir, 'metrics.jsonl'))).toEqual(rowsWithoutTiming(join(ref, 'metrics.jsonl')));
  expect(rowsWithoutTiming(join(dir, 'eval.jsonl'))).toEqual(rowsWithoutTiming(join(ref, 'eval.jsonl')));
};

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
    const ref = reference();
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
    sameRows(runDir(killed), ref);
    // Each SIGKILL left its lock behind; each resume took the stale lock over and released it at the end.
    expect(existsSync(join(runDir(killed), RUN_LOCK_FILE))).toBe(false);
  });

  it('a run killed before its first checkpoint: train points to resume, resume restarts it to the same result', async () => {
    // Checkpoints only at the end (interval > updates), so a kill at 2 rows leaves none.
    const noCkpt = ['--set', 'checkpoint.interval=100'];
    const refOut = join(root, 'ref-nockpt');
    expect(cli(train(refOut, 'baseline', noCkpt)).code).toBe(0);
    const out = join(root, 'nockpt');
    const dir = runDir(out);
    const attempt = await cliKilledAt(train(out, 'baseline', noCkpt), join(dir, 'metrics.jsonl'), 2);
    expect(attempt.killed).toBe(true);
    expect(existsSync(join(dir, 'checkpoints', 'latest.ckpt'))).toBe(false);
    expect(readRunLock(dir)).toBeDefined(); // the dead process's lock
    // A checkpoint write interrupted by an earlier crash left its temp file: resume removes it.
    const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(join(dir, 'checkpoints', `latest.ckpt.tmp-${deadPid}-1`), 'partial');
    const again = cli(train(out, 'baseline', noCkpt));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists \(no checkpoint yet\); continue it with 'varshare resume .*seed-3'/);
    const r = cli(['resume', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no checkpoint yet; restarting the run from update 0/);
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['latest.ckpt']);
    sameRows(dir, runDir(refOut));
  });

  it('two writers on one run: the second is refused (exit 2, naming the holder) and the first completes correctly', async () => {
    const out = join(root, 'two-writers');
    const dir = runDir(out);
    const first = cliStart(train(out));
    await waitFor(() => lineCount(join(dir, 'metrics.jsonl')) >= 1);
    // Freeze the first writer while it holds the lock, so the second certainly meets it.
    process.kill(first.child.pid!, 'SIGSTOP');
    const holder = readRunLock(dir);
    expect(holder?.pid).toBe(first.child.pid);
    const before = readFileSync(join(dir, 'metrics.jsonl'));
    const resume = cli(['resume', dir]);
    expect(resume.code).toBe(2);
    expect(resume.stderr.trim()).toMatch(new RegExp(`^varshare: .*seed-3 is being written by another process: pid ${first.child.pid} on host \\S+, running 'varshare train' since \\S+; wait for it to finish or stop it$`));
    const evaluation = cli(['eval', dir]);
    expect(evaluation.code).toBe(2);
    expect(evaluation.stderr).toMatch(/being written by another process/);
    const second = cli(train(out));
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already exists/);
    expect(readFileSync(join(dir, 'metrics.jsonl')).equals(before)).toBe(true);
    process.kill(first.child.pid!, 'SIGCONT');
    expect((await first.done).code).toBe(0);
    sameRows(dir, reference());
  });

  it('two identical trains started together: exactly one writes the run', async () => {
    const out = join(root, 'together');
    const [a, b] = [cliStart(train(out)), cliStart(train(out))];
    const results = await Promise.all([a.done, b.done]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(results.find((r) => r.code === 2)!.stderr).toMatch(/being written by another process|already exists/);
    sameRows(runDir(out), reference());
    expect(readdirSync(runDir(out)).filter((f) => f.startsWith('events.out.tfevents'))).toEqual([]);
  });

  it('kill -9 of the bin stops the training itself (one process, no orphan)', async () => {
    const out = join(root, 'bin-kill');
    const dir = runDir(out);
    const run = cliStart(train(out), [BIN]);
    await waitFor(() => lineCount(join(dir, 'metrics.jsonl')) >= 1);
    expect(readRunLock(dir)?.pid).toBe(run.child.pid);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(isAlive(run.child.pid!)).toBe(false);
    expect(cli(['resume', dir]).code).toBe(0);
    sameRows(dir, reference());
  });

  it('resume --steps N extends a run, recorded in config.json meta.extensions', () => {
    const out = join(root, 'extend');
    const dir = runDir(out);
    expect(cli(train(out, 'baseline', [], '960')).code).toBe(0);
    const first = rowsWithoutTiming(join(dir, 'metrics.jsonl'));
    expect(first).toHaveLength(3);
    const r = cli(['resume', dir, '--steps', '1900']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--steps 1900 is not a whole number of PPO batches \(320 env steps each\); running 1920 steps/);
    expect(r.stderr).toMatch(/extending the run from 960 to 1920 steps at update 3/);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.steps).toBe(1920);
    expect(config.meta.extensions).toEqual([{ fromSteps: 960, toSteps: 1920, atUpdate: 3, at: expect.any(String) }]);
    const rows = rowsWithoutTiming(join(dir, 'metrics.jsonl'));
    expect(rows.map((m) => m['update'])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.slice(0, 3)).toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ status: 'completed', updates: 6 });
    // Shorter than what is done: refused, nothing changed.
    const shorter = cli(['resume', dir, '--steps', '640']);
    expect(shorter.code).toBe(2);
    expect(shorter.stderr).toMatch(/--steps 640: the run has already taken 1920 steps/);
    // A steps value edited into config.json by hand is not an extension.
    config.steps = 2560;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const edited = cli(['resume', dir]);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/does not belong to .*config\.json \(checkpoint → config\.json\): steps: 1920 → 2560; to run longer, restore config\.json and use 'varshare resume RUN_DIR --steps N'/);
  });

  it('a non-finite loss stops the run as failed with a clear message and the last good checkpoint intact', () => {
    const out = join(root, 'nan');
    expect(cli(train(out, 'baseline', [], '960')).code).toBe(0);
    const dir = runDir(out);
    // Poison the critic in the checkpoint of update 3 (keeping its run stamp): update 4 goes non-finite.
    const path = join(dir, 'checkpoints', 'latest.ckpt');
    const ckpt = loadCheckpoint(path);
    ckpt.arrays['agent/critic.0/theta']!.data[0] = Number.NaN;
    saveCheckpoint(path, ckpt, ckpt.run);
    const poisoned = readFileSync(path);
    const r = cli(['resume', dir, '--steps', String(320 * 6)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: non-finite (loss|gradient norm) .* at update 4.*; last checkpoint \(update 3\) kept/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('failed');
    expect(summary.message).toMatch(/non-finite (loss|gradient norm)/);
    expect(summary.last_checkpoint_update).toBe(3);
    expect(readFileSync(path).equals(poisoned)).toBe(true);
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

  it('a SIGKILLed sweep leaves no worker running: the worker checkpoints, releases its lock and exits', async () => {
    const out = join(root, 'sweep-orphan');
    const args = ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', '1', '--steps', STEPS, '--out', out, '--jobs', '1', ...TINY];
    const dir = join(out, 'cartpole-mt', 'baseline', 'seed-1');
    const sweepRun = cliStart(args);
    await waitFor(() => lineCount(join(dir, 'metrics.jsonl')) >= 1);
    const worker = readRunLock(dir)!.pid;
    expect(worker).not.toBe(sweepRun.child.pid);
    sweepRun.child.kill('SIGKILL');
    await sweepRun.done;
    await waitFor(() => !isAlive(worker));
    expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('running');
    expect(summary.message).toMatch(/interrupted at update \d+/);
    expect(cli(args).code).toBe(0);
    expect(rowsWithoutTiming(join(dir, 'metrics.jsonl'))).toHaveLength(9);
  });

  it('a run another process is writing is reported by the sweep, not raced', async () => {
    const out = join(root, 'sweep-locked');
    const held = join(out, 'cartpole-mt', 'baseline', 'seed-1');
    const other = cliStart(['train', '--suite', 'cartpole-mt', '--variant', 'baseline', '--seed', '1', '--steps', '960', '--out', out, ...TINY]);
    await waitFor(() => lineCount(join(held, 'metrics.jsonl')) >= 1);
    process.kill(other.child.pid!, 'SIGSTOP');
    const args = ['sweep', '--suite', 'cartpole-mt', '--variants', 'baseline', '--seeds', '1,2', '--steps', '960', '--out', out, '--jobs', '1', ...TINY];
    const r = cli(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`locked baseline seed 1: another process is writing .*seed-1 \\(pid ${other.child.pid} on \\S+, 'varshare train'`));
    expect(r.stderr).toMatch(/done {3}baseline seed 2/);
    process.kill(other.child.pid!, 'SIGCONT');
    expect((await other.done).code).toBe(0);
    expect(rowsWithoutTiming(join(held, 'metrics.jsonl')).map((m) => m['update'])).toEqual([1, 2, 3]);
    const again = cli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/skip {3}baseline seed 1 \(completed\)/);
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
