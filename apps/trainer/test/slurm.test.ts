// The Slurm executor against a real Slurm cluster (e.g. the single node started by
// tools/slurm/setup-single-node.sh): `varshare sweep --executor slurm` submits an sbatch array, every
// array task trains its run to `completed`, and re-submitting skips completed runs.
// Runs only when `sbatch` is on PATH and `sinfo -h` answers; skipped otherwise — unless
// VARSHARE_SLURM=1, which makes an unavailable cluster a failure (CI sets it after starting Slurm).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunDir } from '@varshare/metrics';
import { arraySpec } from '../src/sweep';
import { TINY, cli } from './helpers';

/** Whether a Slurm cluster answers here, and if not, why. */
function slurmAvailability(): { ok: true } | { ok: false; reason: string } {
  const sbatch = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
  if (sbatch.error) return { ok: false, reason: `sbatch is not on PATH (${(sbatch.error as NodeJS.ErrnoException).code})` };
  const sinfo = spawnSync('sinfo', ['-h'], { encoding: 'utf8', timeout: 15_000 });
  if (sinfo.error || sinfo.status !== 0) return { ok: false, reason: `'sinfo -h' failed: ${(sinfo.stderr ?? '').trim() || String(sinfo.error ?? `exit ${sinfo.status}`)}` };
  return { ok: true };
}

const required = process.env['VARSHARE_SLURM'] === '1';
const availability = slurmAvailability();
const skipReason = availability.ok ? '' : `${availability.reason}; start one with 'bash tools/slurm/setup-single-node.sh' (VARSHARE_SLURM=1 makes this a failure)`;
if (!availability.ok && !required) process.stderr.write(`slurm.test.ts skipped: ${skipReason}\n`);

/** How long one sweep job may take from submission to the end of its last array task. */
const JOB_TIMEOUT_MS = 120_000;
/** 960 steps / (10 tasks × 1 env × 32 steps) = 3 updates per run. */
const STEPS = 960;
const UPDATES = 3;
const VARIANTS = ['baseline', 'exp1-fixed-prior'];
const SEEDS = [1, 2];

interface Entry {
  readonly index: number;
  readonly variant: string;
  readonly seed: number;
  readonly runDir: string;
}

const root = mkdtempSync(join(tmpdir(), 'varshare-slurm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const out = join(root, 'sweep');
const sweepArgs = ['sweep', '--suite', 'cartpole-mt', '--variants', VARIANTS.join(','), '--seeds', SEEDS.join(','), '--steps', String(STEPS), '--out', out, '--executor', 'slurm', ...TINY];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The job id in sbatch's `Submitted batch job N` line. */
function jobId(text: string): string {
  const m = /Submitted batch job (\d+)/.exec(text);
  if (!m) throw new Error(`no 'Submitted batch job' line in:\n${text}`);
  return m[1] as string;
}

/**
 * Polls `squeue` until the (array) job has left the queue, then returns `scontrol show job`'s
 * JobState of every array task (kept by slurmctld for MinJobAge seconds; no accounting database needed).
 */
async function waitForJob(id: string): Promise<Map<number, string>> {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const q = spawnSync('squeue', ['-h', '-j', id, '-o', '%i %T'], { encoding: 'utf8' });
    // An unknown job id (already purged) makes squeue exit non-zero: the job has finished.
    if (q.status !== 0 || q.stdout.trim() === '') break;
    if (Date.now() > deadline) throw new Error(`Slurm job ${id} still queued after ${JOB_TIMEOUT_MS / 1000} s:\n${q.stdout}`);
    await sleep(500);
  }
  const show = spawnSync('scontrol', ['-o', 'show', 'job', id], { encoding: 'utf8' });
  const states = new Map<number, string>();
  for (const line of show.stdout.split('\n')) {
    const task = /ArrayTaskId=(\d+)/.exec(line);
    const state = /JobState=(\S+)/.exec(line);
    if (task && state) states.set(Number(task[1]), state[1] as string);
  }
  return states;
}

const manifestEntries = (): Entry[] => (JSON.parse(readFileSync(join(out, 'sweep-manifest.json'), 'utf8')) as { entries: Entry[] }).entries;
const slurmLog = (id: string, index: number) => join(out, `slurm-${id}_${index}.out`);
const logsOf = (id: string) => readdirSync(out).filter((f) => f.startsWith(`slurm-${id}_`)).sort();

/** Every run is a readable, completed run directory with all its updates. */
function expectCompleted(e: Entry, id: string) {
  const read = readRunDir(e.runDir);
  expect(read.ok, `${e.runDir}: ${read.ok ? '' : read.reason}\nslurm log:\n${existsSync(slurmLog(id, e.index)) ? readFileSync(slurmLog(id, e.index), 'utf8') : '(none)'}`).toBe(true);
  if (!read.ok) return;
  expect(read.run.summary.status).toBe('completed');
  expect(read.run.metrics).toHaveLength(UPDATES);
  expect(read.run.config.seed).toBe(e.seed);
}

const summaryStamp = (e: Entry) => ({ text: readFileSync(join(e.runDir, 'summary.json'), 'utf8'), mtimeMs: statSync(join(e.runDir, 'summary.json')).mtimeMs });

describe.skipIf(!availability.ok && !required)(`varshare sweep --executor slurm on a real Slurm cluster${availability.ok || required ? '' : ` (skipped: ${skipReason})`}`, () => {
  let firstJob = '';

  it('the cluster answers (sbatch on PATH, sinfo -h succeeds)', () => {
    expect(availability.ok ? '' : skipReason).toBe('');
  });

  it('submits a 2 variants × 2 seeds sbatch array; every array task trains its run to completed', async () => {
    const r = cli(sweepArgs);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'sweep.sbatch'), 'utf8')).toMatch(/#SBATCH --array=0-3\n/);
    firstJob = jobId(r.stderr + r.stdout);
    const states = await waitForJob(firstJob);
    const entries = manifestEntries();
    expect(entries.map((e) => `${e.variant}/${e.seed}`)).toEqual(['baseline/1', 'baseline/2', 'exp1-fixed-prior/1', 'exp1-fixed-prior/2']);
    expect([...states.entries()].sort(([a], [b]) => a - b)).toEqual(entries.map((e) => [e.index, 'COMPLETED']));
    expect(logsOf(firstJob)).toEqual(entries.map((e) => `slurm-${firstJob}_${e.index}.out`));
    for (const e of entries) {
      expectCompleted(e, firstJob);
      expect(readFileSync(slurmLog(firstJob, e.index), 'utf8')).toContain(`completed: ${e.runDir}`);
    }
  }, JOB_TIMEOUT_MS + 30_000);

  it('re-submitting skips the completed runs and submits only the missing one', async () => {
    expect(firstJob).not.toBe('');
    const entries = manifestEntries();
    const lost = entries[2] as Entry;
    const kept = entries.filter((e) => e !== lost);
    const before = kept.map(summaryStamp);
    rmSync(lost.runDir, { recursive: true, force: true });

    const r = cli(sweepArgs);
    expect(r.code, r.stderr).toBe(0);
    for (const e of kept) expect(r.stderr).toContain(`skip   ${e.variant} seed ${e.seed} (completed)`);
    expect(readFileSync(join(out, 'sweep.sbatch'), 'utf8')).toMatch(new RegExp(`#SBATCH --array=${lost.index}\\n`));
    const id = jobId(r.stderr + r.stdout);
    expect(id).not.toBe(firstJob);
    const states = await waitForJob(id);
    expect([...states.entries()]).toEqual([[lost.index, 'COMPLETED']]);
    expect(logsOf(id)).toEqual([`slurm-${id}_${lost.index}.out`]);
    expectCompleted(lost, id);
    // The completed runs were not touched (not even their summary rewritten by a resume).
    expect(kept.map(summaryStamp)).toEqual(before);

    // Everything completed: nothing is submitted.
    const again = cli(sweepArgs);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('all runs completed; nothing to submit');
    expect(again.stderr + again.stdout).not.toMatch(/Submitted batch job/);
  }, JOB_TIMEOUT_MS + 30_000);

  it('a --dry-run script submitted by hand from another directory runs the pending runs', async () => {
    const entries = manifestEntries();
    const lost = entries[1] as Entry;
    rmSync(lost.runDir, { recursive: true, force: true });
    const dry = cli([...sweepArgs, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr + dry.stdout).not.toMatch(/Submitted batch job/);
    // Submitted from the output directory (not the repository): the script's --chdir makes `--import tsx` resolve.
    const sb = spawnSync('sbatch', [join(out, 'sweep.sbatch')], { cwd: out, encoding: 'utf8' });
    expect(sb.status, sb.stderr).toBe(0);
    const id = jobId(sb.stdout);
    const states = await waitForJob(id);
    expect([...states.entries()]).toEqual([[lost.index, 'COMPLETED']]);
    expectCompleted(lost, id);
    for (const e of entries) expect(readRunDir(e.runDir).ok).toBe(true);
  }, JOB_TIMEOUT_MS + 30_000);
});

// Runs everywhere (no cluster needed): the --array list the sweep submits for its pending runs.
describe('arraySpec', () => {
  it('joins consecutive indices into ranges and keeps gaps as single indices', () => {
    expect(arraySpec([0, 1, 2, 3, 4, 5])).toBe('0-5');
    expect(arraySpec([2])).toBe('2');
    expect(arraySpec([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arraySpec([1, 3, 5])).toBe('1,3,5');
    expect(arraySpec([])).toBe('');
  });
});
