import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockHolderState, readRunLock, runDirPath, runFiles, writeFileAtomic, writeJsonAtomic } from '@varshare/metrics';
import { resolveRunConfig } from './config';
import { UsageError } from './errors';
import { onStop, stopRequested } from './stop';

/** One run of a sweep. */
export interface ManifestEntry {
  readonly index: number;
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly runDir: string;
  /** The `train` arguments that reproduce this run. */
  readonly args: string[];
}

/** `sweep-manifest.json`: variants × seeds, paired (every variant gets the same seeds). */
export interface Manifest {
  readonly suite: string;
  readonly variants: string[];
  readonly seeds: number[];
  readonly out: string;
  readonly entries: ManifestEntry[];
}

/** Options of a sweep. */
export interface SweepOptions {
  readonly suite: string;
  readonly variants: string[];
  readonly seeds: number[];
  readonly steps?: number;
  readonly out: string;
  readonly configFile?: string;
  readonly sets: string[];
  readonly jobs?: number;
  readonly executor: 'local' | 'slurm';
  readonly dryRun: boolean;
}

export const MANIFEST_FILE = 'sweep-manifest.json';

/** Expands variants × seeds and validates every run's config before anything is written. */
export function buildManifest(o: SweepOptions): Manifest {
  const out = resolve(o.out);
  const entries: ManifestEntry[] = [];
  for (const variant of o.variants) {
    for (const seed of o.seeds) {
      resolveRunConfig({ suite: o.suite, variant, seed, ...(o.steps !== undefined ? { steps: o.steps } : {}), ...(o.configFile ? { configFile: o.configFile } : {}), sets: o.sets });
      const args = ['--suite', o.suite, '--variant', variant, '--seed', String(seed), '--out', out];
      if (o.steps !== undefined) args.push('--steps', String(o.steps));
      if (o.configFile) args.push('--config', resolve(o.configFile));
      for (const s of o.sets) args.push('--set', s);
      entries.push({ index: entries.length, suite: o.suite, variant, seed, runDir: runDirPath(out, o.suite, variant, seed), args });
    }
  }
  return { suite: o.suite, variants: o.variants, seeds: o.seeds, out, entries };
}

/**
 * `completed` runs are skipped; runs another live process holds the lock of are `locked` (reported,
 * not raced); runs with a config.json are resumed (from their config when there is no checkpoint
 * yet: `resume` restarts them); the rest are started.
 */
export function entryState(e: ManifestEntry): 'completed' | 'locked' | 'resume' | 'start' {
  const files = runFiles(e.runDir);
  if (existsSync(files.summary)) {
    try {
      if ((JSON.parse(readFileSync(files.summary, 'utf8')) as { status?: string }).status === 'completed') return 'completed';
    } catch {
      // a torn summary: fall through to resume/start
    }
  }
  const holder = readRunLock(e.runDir);
  if (holder !== undefined && lockHolderState(holder) !== 'dead') return 'locked';
  return existsSync(files.config) ? 'resume' : 'start';
}

/** Who holds the lock of a `locked` entry, for the sweep log. */
function lockHolderText(e: ManifestEntry): string {
  const h = readRunLock(e.runDir);
  return h ? `pid ${h.pid} on ${h.hostname}, '${h.command}' since ${h.startTime}` : 'released meanwhile';
}

/**
 * The `varshare` bin, resolved from this file (src/ or the build's dist/ alike), so a sweep's runs
 * start from any working directory and from the build whenever the bin would (see bin/varshare.mjs).
 */
export const TRAINER_BIN = fileURLToPath(new URL('../bin/varshare.mjs', import.meta.url));

/**
 * Command line that runs the trainer (the bin: the build when it is current, else the sources) for
 * one manifest entry, on `threads` threads (a sweep gives each of its jobs its share of the cores:
 * no oversubscription).
 */
export function trainerCommand(e: ManifestEntry, threads = 1): { command: string; args: string[] } {
  const sub = existsSync(runFiles(e.runDir).config) ? ['resume', e.runDir] : ['train', ...e.args];
  return { command: process.execPath, args: [TRAINER_BIN, ...sub, '--no-progress', '--threads', String(threads)] };
}

/** Threads per job when `jobs` jobs share this machine's cores: ⌊cores / jobs⌋, at least 1. */
export function threadsPerJob(jobs: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, jobs)));
}

/** What `runLocal` could not finish: failed runs, and runs another process was writing. */
export interface LocalSweepResult {
  readonly failed: ManifestEntry[];
  readonly locked: ManifestEntry[];
  readonly interrupted: boolean;
}

/** The trainer's message for a run directory held by another writer (exit code 2, see runLock.ts). */
const LOCKED_MESSAGE = /is being written by another process|is locked by pid/;

/**
 * Runs the manifest on this machine with up to `jobs` worker processes. Workers get an IPC channel
 * and stop (checkpointing) when it closes, so a killed sweep leaves no orphan writing its runs; a
 * stop request (SIGINT/SIGTERM) is passed on to them as a `stop` message (see main.ts).
 */
export async function runLocal(manifest: Manifest, jobs: number, log: (s: string) => void): Promise<LocalSweepResult> {
  const locked: ManifestEntry[] = [];
  const pending = manifest.entries.filter((e) => {
    const s = entryState(e);
    if (s === 'completed') log(`skip   ${e.variant} seed ${e.seed} (completed)`);
    if (s === 'locked') {
      log(`locked ${e.variant} seed ${e.seed}: another process is writing ${e.runDir} (${lockHolderText(e)}); not started`);
      locked.push(e);
    }
    return s !== 'completed' && s !== 'locked';
  });
  const failed: ManifestEntry[] = [];
  const running = new Set<ChildProcess>();
  onStop(() => {
    for (const child of running) if (child.connected) child.send({ type: 'stop' });
  });
  let next = 0;
  const threads = threadsPerJob(Math.min(jobs, pending.length));
  const worker = async () => {
    while (next < pending.length && !stopRequested()) {
      const e = pending[next++] as ManifestEntry;
      const { command, args } = trainerCommand(e, threads);
      log(`${existsSync(runFiles(e.runDir).config) ? 'resume' : 'start '} ${e.variant} seed ${e.seed}`);
      const { code, err } = await new Promise<{ code: number; err: string }>((res) => {
        const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        running.add(child);
        let err = '';
        child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
        child.on('close', (c, signal) => {
          running.delete(child);
          res({ code: c ?? (signal ? 128 : 1), err: err.trim().split('\n').at(-1) ?? '' });
        });
      });
      if (code === 0) log(`done   ${e.variant} seed ${e.seed}`);
      else if (code === 2 && LOCKED_MESSAGE.test(err)) {
        log(`locked ${e.variant} seed ${e.seed}: ${err.replace(/^varshare: /, '')}`);
        locked.push(e);
      } else {
        log(`${code === 130 ? 'stopped' : 'failed'} ${e.variant} seed ${e.seed} (exit ${code}): ${err}`);
        failed.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, pending.length)) }, worker));
  return { failed, locked, interrupted: stopRequested() };
}

/** Slurm `--array` index list with consecutive runs joined: [0, 1, 2, 5, 7, 8] → `0-2,5,7-8`. */
export function arraySpec(indices: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && (indices[j + 1] as number) === (indices[j] as number) + 1) j += 1;
    parts.push(i === j ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Writes the `sbatch --array` script whose task i runs manifest entry i, for the entries in
 * `indices` (defaults to all of them). The job runs in the trainer's package directory and starts the
 * bin by absolute path, so the script works whatever directory it is submitted from.
 */
export function writeSlurmScript(manifest: Manifest, manifestPath: string, indices: readonly number[] = manifest.entries.map((e) => e.index)): string {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const script = [
    '#!/bin/bash',
    `#SBATCH --job-name=varshare-${manifest.suite.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    `#SBATCH --array=${arraySpec(indices)}`,
    '#SBATCH --cpus-per-task=1',
    `#SBATCH --chdir=${packageDir}`,
    `#SBATCH --output=${join(manifest.out, 'slurm-%A_%a.out')}`,
    'set -euo pipefail',
    `exec "${process.execPath}" "${TRAINER_BIN}" sweep-task "${manifestPath}" "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
  const path = join(manifest.out, 'sweep.sbatch');
  writeFileAtomic(path, script);
  return path;
}

/** Expands, writes the manifest, and runs it locally or submits it to Slurm. */
export async function sweep(o: SweepOptions, log: (s: string) => void): Promise<number> {
  const manifest = buildManifest(o);
  mkdirSync(manifest.out, { recursive: true });
  const manifestPath = join(manifest.out, MANIFEST_FILE);
  writeJsonAtomic(manifestPath, manifest);
  log(`manifest: ${manifestPath} (${manifest.entries.length} runs: ${o.variants.length} variants × ${o.seeds.length} seeds)`);
  if (o.executor === 'slurm') {
    // As runLocal: completed runs are skipped (an array task would resume them and rewrite their
    // summary), and runs another live process is writing are reported instead of submitted.
    const pending = manifest.entries.filter((e) => {
      const state = entryState(e);
      if (state === 'completed') log(`skip   ${e.variant} seed ${e.seed} (completed)`);
      if (state === 'locked') log(`locked ${e.variant} seed ${e.seed}: another process is writing ${e.runDir} (${lockHolderText(e)}); not submitted`);
      return state !== 'completed' && state !== 'locked';
    });
    if (pending.length === 0) {
      log('all runs completed; nothing to submit');
      return 0;
    }
    const script = writeSlurmScript(manifest, manifestPath, pending.map((e) => e.index));
    log(`slurm script: ${script} (${pending.length} of ${manifest.entries.length} runs)`);
    if (o.dryRun) return 0;
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('sbatch', [script], { encoding: 'utf8' });
    if (r.error) throw new UsageError(`--executor slurm: cannot run sbatch (${(r.error as NodeJS.ErrnoException).code}); use --dry-run to only write ${script}`);
    if (r.status !== 0) throw new Error(`sbatch failed: ${r.stderr.trim()}`);
    log(r.stdout.trim());
    return 0;
  }
  if (o.dryRun) return 0;
  const { failed, locked, interrupted } = await runLocal(manifest, o.jobs ?? cpus().length, log);
  if (interrupted) {
    log('sweep interrupted; re-run the same sweep command to resume it');
    return 130;
  }
  if (locked.length > 0) log(`${locked.length} run(s) are being written by another process and were left alone; re-run the sweep once it has finished`);
  if (failed.length > 0) log(`${failed.length} run(s) failed; re-run the same sweep command to resume them`);
  return failed.length > 0 || locked.length > 0 ? 1 : 0;
}

/** `sweep-task MANIFEST I`: what one Slurm array task runs. */
export function readManifestEntry(path: string, index: number): ManifestEntry {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new UsageError(`sweep-task: cannot read manifest ${path}: ${(err as Error).message}`);
  }
  const e = manifest.entries[index];
  if (!e) throw new UsageError(`sweep-task: manifest has no entry ${index} (it has ${manifest.entries.length})`);
  return e;
}

