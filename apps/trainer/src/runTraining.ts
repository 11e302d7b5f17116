import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CHARTS_SPS, EVAL_RETURN_MEAN, UPDATE, WALL_S, metricFamily } from '@varshare/base';
import { initBackend, type BackendName } from '@varshare/core';
import {
  JsonlWriter,
  RunLockedError,
  TensorBoardWriter,
  TFEVENTS_PREFIX,
  acquireRunLock,
  isLockTempFile,
  readJsonl,
  removeAtomicTempFiles,
  runDirPath,
  runFiles,
  truncateAfterUpdate,
  writeJsonAtomic,
  writeSummary,
  type RunLock,
  type RunSummary,
} from '@varshare/metrics';
import { CheckpointFormatError, NonFiniteLossError, PPOTrainer, loadCheckpoint, saveCheckpoint, type CheckpointFile } from '@varshare/rl-ppo';
import { describeRounding, roundSteps, trainingPart, validateStoredConfig, type ResolvedRunConfig, type StepsRounding } from './config';
import { UsageError } from './errors';
import { Progress } from './progress';
import { configDifferences, configDigest, extendedFromTo, extensionsOf, runStamp, type RunExtension, type RunStamp } from './runIdentity';
import { stopRequested } from './stop';

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
  /** Update of the newest checkpoint on disk, 0 when there is none. */
  readonly lastCheckpointUpdate: number;
}

/** What to run: a new run from a resolved config, or the continuation of an existing run directory. */
export type RunRequest =
  | { readonly mode: 'train'; readonly config: ResolvedRunConfig; readonly out: string; readonly rounding?: StepsRounding }
  | { readonly mode: 'resume'; readonly dir: string; readonly steps?: number };

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** Progress display. Defaults to a bar on a TTY, plain lines otherwise, none when false. */
  readonly progress?: boolean;
  /** Called after each update (tests). */
  readonly onUpdate?: (update: number) => void;
  /** One-line notices (rounded steps, restarts); stderr by default. */
  readonly note?: (line: string) => void;
  /**
   * Threads of this run, this one included: above 1, evaluations run on a worker, heavy suites
   * (lunarlander-mt, arm-mt10) step their env rows on that many threads, and the update's large
   * kernel calls are split over them — with the same numbers as one. Defaults to 1.
   */
  readonly threads?: number;
}

/** `config.json` meta written by the trainer (CONTRACTS.md "Run directory", plus the run's identity). */
export interface RunMetaRecord extends Record<string, unknown> {
  readonly configDigest?: string;
  readonly extensions?: RunExtension[];
}

const errnoText: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is a file, not a directory',
  EEXIST: 'exists and is not a directory',
  EIO: 'input/output error',
};

/** `ENOSPC: no space left on device` from a Node fs error, or the plain message. */
function describeIoError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code in errnoText) return `${errnoText[code]} (${code})`;
  return (err as Error).message;
}

/**
 * `--out` must be a directory we can create runs in. Checked before anything is written, so a file
 * or a read-only place is one message naming --out (not a misleading ENOENT later).
 */
export function checkOutDir(out: string): void {
  let p = resolve(out);
  for (;;) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory()) throw new UsageError(`--out ${out}: ${p} is a file, not a directory`);
      try {
        accessSync(p, constants.W_OK);
      } catch (err) {
        throw new UsageError(`--out ${out}: cannot create run directories in ${p}: ${describeIoError(err)}`);
      }
      return;
    }
    const parent = dirname(p);
    if (parent === p) return;
    p = parent;
  }
}

/**
 * Creates `dir` and its checkpoints/ directory. On a refusal later (the lock is another writer's)
 * they stay: they are that writer's directories now.
 */
function makeRunDir(dir: string, out: string): void {
  try {
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot create ${dir}: ${describeIoError(err)}`);
  }
}

/** What a run directory holds, for messages: "completed", "checkpoint at update 12", "no checkpoint yet". */
export function describeRunState(dir: string): string {
  const summary = readSummary(join(dir, 'summary.json'));
  if (summary?.status === 'completed') return 'completed';
  const ckpt = existsSync(join(dir, CHECKPOINT_FILE));
  const last = typeof summary?.last_checkpoint_update === 'number' ? summary.last_checkpoint_update : undefined;
  const where = ckpt ? `checkpoint at update ${last ?? '?'}` : 'no checkpoint yet';
  return summary?.status === 'failed' ? `failed; ${where}` : where;
}

function readSummary(path: string): Partial<RunSummary> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<RunSummary>;
  } catch {
    return undefined;
  }
}

/** Initialises the tfjs backend; a missing or broken backend is bad input naming `backend`. */
async function initBackendFor(config: ResolvedRunConfig): Promise<BackendName> {
  try {
    return await initBackend(config.backend === 'auto' ? undefined : (config.backend as BackendName));
  } catch (err) {
    const hint = config.backend === 'tensorflow' ? " (needs @tensorflow/tfjs-node installed; use backend 'auto' or 'wasm')" : '';
    throw new UsageError(`backend: '${config.backend}' is not usable here${hint}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Builds the trainer; anything it rejects is bad input (nothing has been written yet). */
async function createTrainer(config: ResolvedRunConfig, threads: number): Promise<PPOTrainer> {
  try {
    return await PPOTrainer.create({
      config: trainingPart(config),
      controller: config.controller,
      suite: config.suite,
      suiteOptions: config.env,
      seed: config.seed,
      totalSteps: config.steps,
      threads,
    });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    if (err instanceof RangeError || /WebAssembly|memory|allocation failed/i.test(message)) {
      throw new UsageError(
        `network.hiddenSizes [${config.network.hiddenSizes.join(', ')}] / network.rank ${config.network.rank} / envsPerTask ${config.envsPerTask}: the network or its buffers do not fit in memory (${message})`,
      );
    }
    throw new UsageError(message);
  }
}

/** A run directory's config.json, parsed and validated like `train`'s config (UsageError naming the file and key). */
export function readRunConfig(runDir: string): { config: ResolvedRunConfig; meta: RunMetaRecord; rounding?: StepsRounding } {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) {
    throw new UsageError(existsSync(runDir) ? `${runDir}: not a run directory (config.json missing; start the run with 'varshare train')` : `${runDir}: not a run directory (it does not exist)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message}); it was truncated or edited by hand`);
  }
  const { config, meta, rounding } = validateStoredConfig(raw, path);
  return { config, meta: meta as RunMetaRecord, ...(rounding ? { rounding } : {}) };
}

/**
 * Checks that `ckpt` holds the state of this run: its stamp (digest and config) must equal
 * config.json's, except a `steps` changed by `resume --steps` (recorded in meta.extensions).
 */
function verifyCheckpoint(ckpt: CheckpointFile, config: ResolvedRunConfig, meta: RunMetaRecord, ckptPath: string, configPath: string): void {
  const stamp = ckpt.run as RunStamp | undefined;
  if (stamp === undefined || typeof stamp !== 'object' || typeof stamp.digest !== 'string' || typeof stamp.config !== 'object') {
    if (meta.configDigest === undefined) return; // both written before runs were stamped: nothing to compare
    throw new UsageError(`${ckptPath}: has no run stamp, so it was not written by this run (${configPath} has digest ${meta.configDigest.slice(0, 12)}…)`);
  }
  if (stamp.digest === configDigest(config)) return;
  const diffs = configDifferences(stamp.config, config);
  const onlySteps = diffs.length === 1 && diffs[0]?.startsWith('steps:');
  if (onlySteps && extendedFromTo(extensionsOf(meta), stamp.config.steps, config.steps)) return;
  const hint = diffs.some((d) => d.startsWith('steps:'))
    ? "; to run longer, restore config.json and use 'varshare resume RUN_DIR --steps N'"
    : '; restore the original config.json, or start a new run with these settings';
  throw new UsageError(`${ckptPath} does not belong to ${configPath} (checkpoint → config.json): ${diffs.join('; ') || `digest ${stamp.digest.slice(0, 12)}… differs`}${hint}`);
}

/** Loads the checkpoint (bad file → UsageError naming it and the way out). */
function loadCheckpointChecked(path: string): CheckpointFile {
  try {
    return loadCheckpoint(path);
  } catch (err) {
    if (err instanceof CheckpointFormatError) {
      throw new UsageError(`${err.message}; it was not written by varshare's atomic write (copied or edited?): restore it, or delete it to restart the run from update 0`);
    }
    throw new UsageError(`${path}: cannot read (${describeIoError(err)})`);
  }
}

function restoreChecked(trainer: PPOTrainer, ckpt: CheckpointFile, path: string): void {
  try {
    trainer.restoreCheckpoint(ckpt);
  } catch (err) {
    throw new UsageError(`${path} does not fit this run's network or envs: ${(err as Error).message.split('\n')[0]}`);
  }
}

function takeLock(dir: string, command: string): RunLock {
  try {
    return acquireRunLock(dir, command);
  } catch (err) {
    if (err instanceof RunLockedError) throw new UsageError(err.message);
    throw new UsageError(`${dir}: cannot take the run lock: ${describeIoError(err)}`);
  }
}

/** Data files of a run; a directory holding any of them without config.json is not a fresh one. */
function dataFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const data = names.filter((n) => n === 'metrics.jsonl' || n === 'eval.jsonl' || n === 'summary.json' || n.startsWith(TFEVENTS_PREFIX));
  if (existsSync(join(dir, CHECKPOINT_FILE))) data.push(CHECKPOINT_FILE);
  return data;
}

/**
 * Trains one run, writing its run directory (CONTRACTS.md) while holding its lock. Per update:
 * append the metrics row (and the eval row), then every `checkpoint.interval` updates write the
 * checkpoint atomically, then the summary. Resume drops the rows after the checkpoint's update (all
 * of them when there is no checkpoint yet: the run restarts from its config and seed), so a resumed
 * run's files equal an uninterrupted run's (timing keys aside).
 */
export async function runTraining(request: RunRequest, options: RunTrainingOptions = {}): Promise<TrainOutcome> {
  const note = options.note ?? ((line: string) => process.stderr.write(`varshare: ${line}\n`));
  let lock: RunLock | undefined;
  let trainer: PPOTrainer | undefined;
  let dir: string;
  try {
    let config: ResolvedRunConfig;
    let meta: RunMetaRecord;
    let ckpt: CheckpointFile | undefined;
    let backend: BackendName;
    if (request.mode === 'train') {
      config = request.config;
      dir = runDirPath(request.out, config.suite, config.variant, config.seed);
      checkOutDir(request.out);
      const existing = `run directory ${dir} already exists`;
      if (existsSync(join(dir, 'config.json'))) throw new UsageError(`${existing} (${describeRunState(dir)}); continue it with 'varshare resume ${dir}', or use another --out`);
      backend = await initBackendFor(config);
      trainer = await createTrainer(config, options.threads ?? 1);
      makeRunDir(dir, request.out);
      lock = takeLock(dir, 'varshare train');
      // Decided again under the lock: another process may have started this run meanwhile.
      if (existsSync(join(dir, 'config.json'))) throw new UsageError(`${existing} (${describeRunState(dir)}); continue it with 'varshare resume ${dir}', or use another --out`);
      const leftovers = dataFilesIn(dir);
      if (leftovers.length > 0) throw new UsageError(`${dir} holds ${leftovers.join(', ')} but no config.json: not a run varshare can continue; move it away or use another --out`);
      if (request.rounding) note(describeRounding(request.rounding, '--steps'));
      removeAtomicTempFiles(dir, 1, isLockTempFile);
      meta = {
        version: VERSION,
        gitCommit: gitCommit(),
        backend,
        actingMode: trainer.actingMode(),
        startTime: new Date().toISOString(),
        hostname: hostname(),
        threads: options.threads ?? 1,
        configDigest: configDigest(config),
        ...(request.rounding ? { stepsRequested: request.rounding.requested } : {}),
      };
      writeJsonAtomic(join(dir, 'config.json'), { ...config, meta });
    } else {
      dir = resolve(request.dir);
      const configPath = join(dir, 'config.json');
      const ckptPath = join(dir, CHECKPOINT_FILE);
      readRunConfig(dir); // bad input is reported before the lock is taken
      lock = takeLock(dir, 'varshare resume');
      const stored = readRunConfig(dir); // again under the lock: what the previous writer left
      ({ config, meta } = stored);
      ckpt = existsSync(ckptPath) ? loadCheckpointChecked(ckptPath) : undefined;
      if (ckpt) verifyCheckpoint(ckpt, config, meta, ckptPath, configPath);
      let extended = false;
      if (!ckpt) {
        if (stored.rounding) note(describeRounding(stored.rounding, `${configPath}: steps`));
        if (meta.configDigest !== undefined && meta.configDigest !== configDigest(config)) {
          note(`note: ${configPath} was edited since the run started; with no checkpoint yet the run restarts from update 0 with it`);
        }
      }
      if (request.steps !== undefined) {
        const r = roundSteps(request.steps, config);
        if (r.steps !== r.requested) note(describeRounding(r, '--steps'));
        const done = (ckpt?.json.envSteps as number | undefined) ?? 0;
        if (r.steps < done) throw new UsageError(`--steps ${request.steps}: the run has already taken ${done} steps (checkpoint at update ${ckpt?.json.update}); it cannot be shortened`);
        if (r.steps !== config.steps) {
          const ext: RunExtension = { fromSteps: config.steps, toSteps: r.steps, atUpdate: (ckpt?.json.update as number | undefined) ?? 0, at: new Date().toISOString() };
          note(`note: extending the run from ${config.steps} to ${r.steps} steps at update ${ext.atUpdate} (recorded in config.json meta.extensions); the learning-rate and β schedules stretch to the new length from there`);
          config = { ...config, steps: r.steps };
          meta = { ...meta, extensions: [...extensionsOf(meta), ext] };
          extended = true;
        }
      }
      const rewriteMeta = extended || meta.configDigest !== configDigest(config);
      if (rewriteMeta) meta = { ...meta, configDigest: configDigest(config) };
      backend = await initBackendFor(config);
      trainer = await createTrainer(config, options.threads ?? 1);
      if (ckpt) restoreChecked(trainer, ckpt, ckptPath);
      if (trainer.done && readSummary(join(dir, 'summary.json'))?.status === 'completed' && !extended) {
        // Nothing to do: leave the completed run's files as they are (config.json only gains its digest).
        if (rewriteMeta) writeJsonAtomic(configPath, { ...config, meta });
        return { status: 'completed', runDir: dir, message: 'already completed', lastCheckpointUpdate: trainer.completedUpdates };
      }
      if (!ckpt && existsSync(join(dir, 'metrics.jsonl'))) note(`note: ${dir}: no checkpoint yet; restarting the run from update 0 (its config and seed make it the same run)`);
      removeAtomicTempFiles(dir, 1, isLockTempFile);
      if (rewriteMeta) writeJsonAtomic(configPath, { ...config, meta });
    }
    return await trainLoop(dir, config, meta, trainer, request.mode === 'resume', options);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // An I/O error while setting the run up (before the first update): nothing trained yet.
    const d = request.mode === 'train' ? runDirPath(request.out, request.config.suite, request.config.variant, request.config.seed) : resolve(request.dir);
    if ((err as NodeJS.ErrnoException).code !== undefined) return { status: 'failed', runDir: d, message: `cannot set the run up: ${describeIoError(err)}`, lastCheckpointUpdate: 0 };
    throw err;
  } finally {
    trainer?.dispose();
    lock?.release();
  }
}

/** The update loop of {@link runTraining}, with the run directory locked and set up. */
async function trainLoop(dir: string, config: ResolvedRunConfig, meta: RunMetaRecord, trainer: PPOTrainer, resumed: boolean, options: RunTrainingOptions): Promise<TrainOutcome> {
  const files = runFiles(dir);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  const stamp = runStamp(config);
  let wallOffset = 0;
  // The newest evaluation so far (summary.json final_eval), as an uninterrupted run would hold it.
  let lastEval: Record<string, number> | undefined;
  if (resumed) {
    const n = trainer.completedUpdates;
    truncateAfterUpdate(files.metrics, n);
    truncateAfterUpdate(files.eval, n);
    if (n > 0 && existsSync(files.metrics)) {
      const last = readJsonl(files.metrics).records.at(-1);
      wallOffset = typeof last?.[WALL_S] === 'number' ? (last[WALL_S] as number) : 0;
    }
    const lastEvalRow = n > 0 && existsSync(files.eval) ? readJsonl(files.eval).records.at(-1) : undefined;
    if (lastEvalRow) lastEval = Object.fromEntries(Object.entries(lastEvalRow).filter((e): e is [string, number] => metricFamily(e[0]) === 'eval' && typeof e[1] === 'number'));
  }
  const startedAt = typeof meta['startTime'] === 'string' ? meta['startTime'] : new Date().toISOString();
  // What is being written when an I/O error strikes, for a message that says where.
  let writing = 'metrics.jsonl';
  const metricsOut = new JsonlWriter(files.metrics);
  const evalOut = new JsonlWriter(files.eval);
  writing = 'TensorBoard events';
  const tb = config.tensorboard ? new TensorBoardWriter(dir, { timestamp: Math.floor(Date.now() / 1000) }) : null;
  if (tb && resumed) tb.addSessionStart(trainer.completedUpdates + 1, Date.now() / 1000);
  const t0 = performance.now();
  const wall = () => wallOffset + (performance.now() - t0) / 1000;
  const progress = options.progress === false ? null : new Progress(trainer.totalUpdates, config.steps);
  const summary = (status: RunSummary['status'], extra: Partial<RunSummary> = {}) => {
    writing = 'summary.json';
    writeSummary(dir, {
      status,
      wall_s: wall(),
      updates: trainer.completedUpdates,
      env_steps: trainer.envStepCount,
      started_at: startedAt,
      ...(lastEval ? { final_eval: lastEval } : {}),
      ...extra,
    });
  };
  let lastCheckpoint = resumed && existsSync(ckptPath) ? trainer.completedUpdates : 0;
  /** Appends evaluation rows (they may come from a worker thread, after later updates' metrics). */
  const writeEvals = (rows: readonly Record<string, number>[]) => {
    if (rows.length === 0) return;
    writing = 'eval.jsonl';
    for (const row of rows) {
      evalOut.append(row);
      lastEval = Object.fromEntries(Object.entries(row).filter(([k]) => metricFamily(k) === 'eval'));
    }
    evalOut.sync();
    writing = 'TensorBoard events';
    for (const row of rows) tb?.addScalars(row[UPDATE] as number, Object.fromEntries(Object.entries(row).filter(([k]) => metricFamily(k) === 'eval')), Date.now() / 1000);
  };
  // Updates whose evaluation runs on the worker thread and whose row is not written yet.
  const evalsOut: number[] = [];
  const takeEvals = (rows: readonly Record<string, number>[]) => {
    writeEvals(rows);
    for (const row of rows) {
      const i = evalsOut.indexOf(row[UPDATE] as number);
      if (i >= 0) evalsOut.splice(i, 1);
    }
  };
  // A checkpoint is written only after the rows of the evaluations it covers (a resumed run must
  // not miss them); until then it waits here, a snapshot, while training goes on.
  let deferred: { ckpt: ReturnType<PPOTrainer['getCheckpoint']>; update: number } | null = null;
  const writeDeferred = () => {
    if (!deferred || evalsOut.some((u) => u <= (deferred as { update: number }).update)) return;
    writing = 'the checkpoint';
    saveCheckpoint(ckptPath, deferred.ckpt, stamp);
    lastCheckpoint = deferred.update;
    deferred = null;
  };
  /** Checkpoints now, or as soon as this update's pending evaluations are written (`wait` blocks for them). */
  const checkpoint = (wait = false) => {
    deferred = { ckpt: trainer.getCheckpoint(), update: trainer.completedUpdates };
    if (wait) takeEvals(trainer.flushEvaluations());
    writeDeferred();
  };
  const kept = () => (existsSync(ckptPath) ? `last checkpoint (update ${lastCheckpoint}) kept` : `no checkpoint yet: 'varshare resume ${dir}' restarts the run from its config`);
  const interrupted = (): TrainOutcome => {
    checkpoint(true);
    summary('running', { message: `interrupted at update ${trainer.completedUpdates}; resume with 'varshare resume ${dir}'`, last_checkpoint_update: lastCheckpoint });
    progress?.finish();
    return { status: 'interrupted', runDir: dir, lastCheckpointUpdate: lastCheckpoint };
  };
  try {
    summary('running', resumed && lastCheckpoint > 0 ? { last_checkpoint_update: lastCheckpoint } : {});
    while (!trainer.done) {
      if (stopRequested()) return interrupted();
      const { metrics, eval: evalRow, evalSubmitted } = trainer.runUpdate();
      metrics[WALL_S] = wall();
      writing = 'metrics.jsonl';
      metricsOut.append(metrics);
      metricsOut.sync();
      if (evalSubmitted) evalsOut.push(trainer.completedUpdates);
      if (evalRow) writeEvals([evalRow]);
      takeEvals(trainer.takeEvaluations());
      writeDeferred();
      writing = 'TensorBoard events';
      tb?.addScalars(trainer.completedUpdates, metrics, Date.now() / 1000);
      // On disk with the rows, so the events a checkpoint covers survive a kill (resume's session start hides the rest).
      tb?.sync();
      if (trainer.completedUpdates % config.checkpoint.interval === 0 || trainer.done) checkpoint(trainer.done);
      progress?.update(trainer.completedUpdates, trainer.envStepCount, metrics[CHARTS_SPS], lastEval?.[EVAL_RETURN_MEAN]);
      options.onUpdate?.(trainer.completedUpdates);
      // Updates are synchronous: yield once so SIGINT/SIGTERM handlers (and a sweep's disconnect) get to run.
      await new Promise((r) => setImmediate(r));
      if (stopRequested() && !trainer.done) return interrupted();
      if (!trainer.done) summary('running', { last_checkpoint_update: lastCheckpoint });
    }
    progress?.finish();
    summary('completed', { finished_at: new Date().toISOString(), last_checkpoint_update: lastCheckpoint });
    return { status: 'completed', runDir: dir, lastCheckpointUpdate: lastCheckpoint, ...(lastEval ? { finalEval: lastEval } : {}) };
  } catch (err) {
    progress?.finish();
    const cause =
      err instanceof NonFiniteLossError
        ? err.message
        : (err as NodeJS.ErrnoException).code !== undefined
          ? `${describeIoError(err)} while writing ${writing}`
          : `training failed: ${(err as Error).message}`;
    const message = `${cause}; ${kept()}`;
    try {
      summary('failed', { message, finished_at: new Date().toISOString(), ...(lastCheckpoint > 0 ? { last_checkpoint_update: lastCheckpoint } : {}) });
    } catch (summaryErr) {
      return { status: 'failed', runDir: dir, message: `${message}; summary.json not updated either (${describeIoError(summaryErr)})`, lastCheckpointUpdate: lastCheckpoint };
    }
    return { status: 'failed', runDir: dir, message, lastCheckpointUpdate: lastCheckpoint };
  } finally {
    for (const close of [() => metricsOut.close(), () => evalOut.close(), () => tb?.close()]) {
      try {
        close();
      } catch {
        // a full disk may refuse the final fsync; the failure is already reported
      }
    }
  }
}

/**
 * `eval RUN_DIR`: deterministic evaluation of the last checkpoint, with the run locked (the
 * evaluation file is written into the run directory). Returns the evaluation and the file written.
 */
export async function evaluateRun(runDir: string, episodes: number | undefined, threads = 1): Promise<{ result: Record<string, number>; path: string }> {
  const dir = resolve(runDir);
  readRunConfig(dir);
  const lock = takeLock(dir, 'varshare eval');
  let trainer: PPOTrainer | undefined;
  try {
    const { config, meta } = readRunConfig(dir);
    const ckptPath = join(dir, CHECKPOINT_FILE);
    if (!existsSync(ckptPath)) throw new UsageError(`eval: ${runDir} has no checkpoint yet (nothing trained to evaluate); continue it with 'varshare resume ${runDir}'`);
    const ckpt = loadCheckpointChecked(ckptPath);
    verifyCheckpoint(ckpt, config, meta, ckptPath, join(dir, 'config.json'));
    const n = episodes ?? config.eval.episodes;
    await initBackendFor(config);
    trainer = await createTrainer({ ...config, eval: { ...config.eval, episodes: n } }, threads);
    restoreChecked(trainer, ckpt, ckptPath);
    const result = trainer.evaluate();
    mkdirSync(join(dir, 'evaluations'), { recursive: true });
    removeAtomicTempFiles(join(dir, 'evaluations'), 0);
    const path = join(dir, 'evaluations', `update-${trainer.completedUpdates}-episodes-${n}.json`);
    writeJsonAtomic(path, result);
    return { result, path };
  } finally {
    trainer?.dispose();
    lock.release();
  }
}
