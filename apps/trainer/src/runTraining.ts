import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendName } from '@varshare/core';
import {
  JsonlWriter,
  TensorBoardWriter,
  readJsonl,
  runDirPath,
  runFiles,
  truncateAfterUpdate,
  writeJsonAtomic,
  writeSummary,
  type RunSummary,
} from '@varshare/metrics';
import { NonFiniteLossError, PPOTrainer, loadCheckpoint, saveCheckpoint } from '@varshare/rl-ppo';
import { trainingPart, type ResolvedRunConfig } from './config';
import { UsageError } from './errors';
import { Progress } from './progress';

/** Version of the trainer, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Checkpoint file inside the run directory. */
export const CHECKPOINT_FILE = join('checkpoints', 'latest.ckpt');

function gitCommit(): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('.', import.meta.url).pathname, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Result of a training session. */
export interface TrainOutcome {
  readonly status: 'completed' | 'failed' | 'interrupted';
  readonly runDir: string;
  readonly message?: string;
  readonly finalEval?: Record<string, number>;
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** Output root; the run directory is `out/<suite>/<variant>/seed-<N>`. */
  readonly out: string;
  /** Continue from the run directory's checkpoint instead of starting. */
  readonly resume?: boolean;
  /** Progress display. Defaults to a bar on a TTY, plain lines otherwise, none when false. */
  readonly progress?: boolean;
  /** Called after each update (tests). */
  readonly onUpdate?: (update: number) => void;
}

let stopRequested = false;
/** Asks a running {@link runTraining} to checkpoint after the current update and return. */
export function requestStop(): void {
  stopRequested = true;
}

/**
 * Trains one run, writing its run directory (CONTRACTS.md). Per update: append the metrics row (and
 * the eval row), then every `checkpoint.interval` updates write the checkpoint atomically, then the
 * summary. On resume, rows after the checkpoint's update are dropped first, so a resumed run's files
 * equal an uninterrupted run's (timing keys aside).
 */
export async function runTraining(config: ResolvedRunConfig, options: RunTrainingOptions): Promise<TrainOutcome> {
  const dir = runDirPath(options.out, config.suite, config.variant, config.seed);
  const files = runFiles(dir);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  if (!options.resume && existsSync(files.config)) {
    throw new UsageError(`run directory ${dir} already exists; use 'varshare resume ${dir}' or another --out`);
  }
  if (options.resume && !existsSync(ckptPath)) throw new UsageError(`${dir}: no checkpoint to resume from (${CHECKPOINT_FILE} missing)`);

  const backend = await initBackend(config.backend === 'auto' ? undefined : (config.backend as BackendName));
  // Build the trainer before creating anything on disk: bad combinations are reported with nothing written.
  let trainer: PPOTrainer;
  try {
    trainer = await PPOTrainer.create({
      config: trainingPart(config),
      controller: config.controller,
      suite: config.suite,
      suiteOptions: config.env,
      seed: config.seed,
      totalSteps: config.steps,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  let wallOffset = 0;
  let startedAt = new Date().toISOString();
  if (options.resume) {
    const ckpt = loadCheckpoint(ckptPath);
    trainer.restoreCheckpoint(ckpt);
    if (trainer.done && readStatus(files.summary) === 'completed') {
      // Nothing to do: leave the completed run's files exactly as they are.
      trainer.dispose();
      return { status: 'completed', runDir: dir, message: 'already completed' };
    }
    const n = trainer.completedUpdates;
    truncateAfterUpdate(files.metrics, n);
    if (existsSync(files.eval)) truncateAfterUpdate(files.eval, n);
    const last = readJsonl(files.metrics).records.at(-1);
    wallOffset = typeof last?.['wall_s'] === 'number' ? (last['wall_s'] as number) : 0;
    try {
      const saved = JSON.parse(readFileSync(files.config, 'utf8')) as { meta?: { startTime?: string } };
      startedAt = saved.meta?.startTime ?? startedAt;
    } catch {
      // config.json is rewritten below
    }
  } else {
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    writeJsonAtomic(files.config, {
      ...config,
      meta: { version: VERSION, gitCommit: gitCommit(), backend, actingMode: trainer.actingMode(), startTime: startedAt, hostname: hostname() },
    });
  }

  const metricsOut = new JsonlWriter(files.metrics);
  const evalOut = new JsonlWriter(files.eval);
  const tb = config.tensorboard ? new TensorBoardWriter(dir, { timestamp: Math.floor(Date.now() / 1000) }) : null;
  if (tb && options.resume) tb.addSessionStart(trainer.completedUpdates + 1, Date.now() / 1000);
  const t0 = performance.now();
  const wall = () => wallOffset + (performance.now() - t0) / 1000;
  const progress = options.progress === false ? null : new Progress(trainer.totalUpdates, config.steps);
  let lastEval: Record<string, number> | undefined;
  const summary = (status: RunSummary['status'], extra: Partial<RunSummary> = {}) =>
    writeSummary(dir, {
      status,
      wall_s: wall(),
      updates: trainer.completedUpdates,
      env_steps: trainer.envStepCount,
      started_at: startedAt,
      ...(lastEval ? { final_eval: lastEval } : {}),
      ...extra,
    });
  const checkpoint = () => {
    saveCheckpoint(ckptPath, trainer.getCheckpoint());
    return trainer.completedUpdates;
  };
  let lastCheckpoint = options.resume ? trainer.completedUpdates : 0;
  summary('running', options.resume ? { last_checkpoint_update: lastCheckpoint } : {});
  stopRequested = false;
  try {
    while (!trainer.done) {
      const { metrics, eval: evalRow } = trainer.runUpdate();
      metrics['wall_s'] = wall();
      metricsOut.append(metrics);
      if (evalRow) {
        evalOut.append(evalRow);
        lastEval = Object.fromEntries(Object.entries(evalRow).filter(([k]) => k.startsWith('eval/')));
      }
      metricsOut.sync();
      evalOut.sync();
      tb?.addScalars(trainer.completedUpdates, { ...metrics, ...(evalRow ?? {}) }, Date.now() / 1000);
      if (trainer.completedUpdates % config.checkpoint.interval === 0 || trainer.done) lastCheckpoint = checkpoint();
      progress?.update(trainer.completedUpdates, trainer.envStepCount, metrics['charts/SPS'], lastEval?.['eval/return_mean']);
      options.onUpdate?.(trainer.completedUpdates);
      // Updates are synchronous: yield once so SIGINT/SIGTERM handlers get to run.
      await new Promise((r) => setImmediate(r));
      if (stopRequested && !trainer.done) {
        lastCheckpoint = checkpoint();
        summary('running', { message: `interrupted at update ${trainer.completedUpdates}; resume with 'varshare resume ${dir}'`, last_checkpoint_update: lastCheckpoint });
        progress?.finish();
        return { status: 'interrupted', runDir: dir };
      }
      if (!trainer.done) summary('running', { last_checkpoint_update: lastCheckpoint });
    }
    progress?.finish();
    summary('completed', { finished_at: new Date().toISOString(), last_checkpoint_update: lastCheckpoint });
    return { status: 'completed', runDir: dir, ...(lastEval ? { finalEval: lastEval } : {}) };
  } catch (err) {
    progress?.finish();
    const message = err instanceof NonFiniteLossError ? err.message : `training failed: ${(err as Error).message}`;
    summary('failed', { message, finished_at: new Date().toISOString(), last_checkpoint_update: lastCheckpoint });
    return { status: 'failed', runDir: dir, message };
  } finally {
    metricsOut.close();
    evalOut.close();
    tb?.close();
    trainer.dispose();
  }
}

function readStatus(summaryPath: string): string | null {
  try {
    return (JSON.parse(readFileSync(summaryPath, 'utf8')) as { status?: string }).status ?? null;
  } catch {
    return null;
  }
}

/** Reads a run directory's resolved config (for resume and eval). */
export function readResolvedConfig(runDir: string): ResolvedRunConfig & { meta: unknown } {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new UsageError(`${runDir}: not a run directory (config.json missing)`);
  return JSON.parse(readFileSync(path, 'utf8')) as ResolvedRunConfig & { meta: unknown };
}

/** Removes a run directory (sweep: restarting a run that never checkpointed). */
export function removeRunDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
