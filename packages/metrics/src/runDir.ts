/**
 * Run directory layout (CONTRACTS.md "Run directory"): `DIR/S/V/seed-N/` holding `config.json`,
 * `metrics.jsonl`, `eval.jsonl`, `events.out.tfevents.*`, `checkpoints/` and `summary.json`.
 * The trainer writes it; the report reads it with `readRunDir`, which never throws.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from './atomicWrite';
import { JsonlCorruptError, parseJson, readJsonl } from './jsonl';
import type { JsonRecord } from './jsonl';

/** Fully resolved config plus `meta`. */
export const CONFIG_FILE = 'config.json';
/** One record per PPO update. */
export const METRICS_FILE = 'metrics.jsonl';
/** One record per evaluation. */
export const EVAL_FILE = 'eval.jsonl';
/** Run status, final eval metrics, wall time. */
export const SUMMARY_FILE = 'summary.json';
/** Checkpoint directory (files written atomically). */
export const CHECKPOINTS_DIR = 'checkpoints';
/** TensorBoard event files start with this. */
export const TFEVENTS_PREFIX = 'events.out.tfevents.';

/**
 * Directory name for a suite. Suites are used as-is (`cartpole-mt`, `gym:CartPole-v1`) except that
 * `%`, `/` and `\` are percent-encoded, so a Gymnasium id like `ALE/Pong-v5` stays ONE directory level.
 */
export function encodeSuiteDirName(suite: string): string {
  return suite.replace(/[%/\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Inverse of `encodeSuiteDirName`. */
export function decodeSuiteDirName(name: string): string {
  return name.replace(/%(25|2F|5C)/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function checkSegment(what: string, value: string): void {
  if (value === '' || value === '.' || value === '..' || /[/\\]/.test(value)) {
    throw new Error(`invalid ${what} for a run directory: ${JSON.stringify(value)}`);
  }
}

/** `seed-N` */
export function seedDirName(seed: number): string {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`invalid seed for a run directory: ${seed}`);
  return `seed-${seed}`;
}

/** `outDir/suite/variant/seed-N` (suite encoded with `encodeSuiteDirName`). Throws on empty/`..`/slashed variant or a negative/non-integer seed. */
export function runDirPath(outDir: string, suite: string, variant: string, seed: number): string {
  const suiteDir = encodeSuiteDirName(suite);
  checkSegment('suite', suiteDir);
  checkSegment('variant', variant);
  return join(outDir, suiteDir, variant, seedDirName(seed));
}

/** Paths of the files of one run directory. */
export interface RunFiles {
  readonly config: string;
  readonly metrics: string;
  readonly eval: string;
  readonly summary: string;
  readonly checkpoints: string;
}

/** Paths of the files inside `dir`. */
export function runFiles(dir: string): RunFiles {
  return {
    config: join(dir, CONFIG_FILE),
    metrics: join(dir, METRICS_FILE),
    eval: join(dir, EVAL_FILE),
    summary: join(dir, SUMMARY_FILE),
    checkpoints: join(dir, CHECKPOINTS_DIR),
  };
}

/** Any JS number, including NaN/±Infinity (zod 4's `z.number()` rejects those; final evals may be NaN). */
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });

/**
 * `config.json` → `meta`: what the run was and how it acted (spec: "explicitly log the acting mode").
 * Extra fields are kept.
 */
export const RunMetaSchema = z.looseObject({
  version: z.string().describe('@varshare package version of the trainer'),
  gitCommit: z.string().nullable().optional().describe('git commit of the source tree, null/absent outside a repository'),
  backend: z.string().describe('tfjs backend in use, e.g. "wasm"'),
  actingMode: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .describe('acting mode: rollout weights, training weights, sampling scope'),
  startTime: z.string().describe('ISO 8601 start time of the (first) process'),
});
/** `config.json` `meta`. */
export type RunMeta = z.infer<typeof RunMetaSchema>;

/**
 * The part of `config.json` this package reads: `suite`, `variant`, `seed` at top level and `meta`.
 * Everything else (the fully resolved config) is passed through untouched.
 */
export const RunConfigSchema = z.looseObject({
  suite: z.string().min(1).describe('suite name, e.g. "cartpole-mt"'),
  variant: z.string().min(1).describe('variant name, e.g. "baseline"'),
  seed: z.number().int().nonnegative().describe('run seed'),
  meta: RunMetaSchema,
});
/** Parsed `config.json` (unknown extra keys preserved). */
export type RunConfig = z.infer<typeof RunConfigSchema>;

/** `running` while training, `completed` after the last update and final eval, `failed` after an error. */
export const RunStatusSchema = z.enum(['running', 'completed', 'failed']);
/** Status of a run. */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** `summary.json`. Extra keys are kept. */
export const RunSummarySchema = z.looseObject({
  status: RunStatusSchema,
  message: z.string().optional().describe('error message when failed, free text otherwise'),
  final_eval: z.record(z.string(), anyNumber).optional().describe('`eval/*` metrics of the final evaluation'),
  wall_s: z.number().nonnegative().describe('wall-clock seconds spent training (summed over resumes)'),
  updates: z.number().int().nonnegative().describe('PPO updates completed'),
  env_steps: z.number().int().nonnegative().describe('environment steps consumed'),
  started_at: z.string().optional().describe('ISO 8601 start time'),
  finished_at: z.string().optional().describe('ISO 8601 end time (completed or failed)'),
  last_checkpoint_update: z.number().int().nonnegative().optional().describe('update of the newest checkpoint'),
});
/** Parsed `summary.json`. */
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Validates `summary` and writes `dir/summary.json` atomically. Throws on an invalid summary. */
export function writeSummary(dir: string, summary: RunSummary): void {
  const parsed = RunSummarySchema.safeParse(summary);
  if (!parsed.success) throw new Error(`invalid summary.json: ${describeIssues(parsed.error)}`);
  writeJsonAtomic(join(dir, SUMMARY_FILE), parsed.data);
}

/** A `metrics.jsonl` / `eval.jsonl` record: every value is a number; `update` and `env_steps` always present. */
export type MetricRecord = Readonly<Record<string, number>> & { readonly update: number; readonly env_steps: number };

/** A readable run. */
export interface RunData {
  readonly dir: string;
  readonly config: RunConfig;
  readonly meta: RunMeta;
  /** `metrics.jsonl` records, file order. */
  readonly metrics: readonly MetricRecord[];
  /** `eval.jsonl` records, file order; empty when the file is absent (no evaluation ran). */
  readonly evals: readonly MetricRecord[];
  readonly summary: RunSummary;
  /** Non-fatal oddities (ignored torn tail, config/directory name mismatch). */
  readonly warnings: readonly string[];
}

/** `readRunDir` result: a run, or why the directory is not one. */
export type RunDirResult =
  | { readonly ok: true; readonly run: RunData }
  | { readonly ok: false; readonly dir: string; readonly reason: string };

/** Options of `readRunDir`. */
export interface ReadRunDirOptions {
  /** Statuses accepted as readable. Defaults to `['completed']` (the report wants finished runs; pass `['completed', 'running']` to watch progress). */
  readonly accept?: readonly RunStatus[];
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

type Step<T> = { ok: true; value: T } | { ok: false; reason: string };

function readJsonFile<T>(path: string, name: string, schema: z.ZodType<T>): Step<T> {
  if (!existsSync(path)) return { ok: false, reason: `missing ${name}` };
  let raw: unknown;
  try {
    raw = parseJson(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, reason: `corrupt ${name}: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `invalid ${name}: ${describeIssues(parsed.error)}` };
  return { ok: true, value: parsed.data };
}

function toMetricRecords(records: readonly JsonRecord[], name: string): Step<MetricRecord[]> {
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as JsonRecord;
    for (const key of ['update', 'env_steps']) {
      if (typeof r[key] !== 'number') return { ok: false, reason: `invalid ${name}: record ${i + 1}: "${key}" is missing or not a number` };
    }
    for (const [key, value] of Object.entries(r)) {
      if (typeof value !== 'number') return { ok: false, reason: `invalid ${name}: record ${i + 1}: "${key}" is not a number` };
    }
  }
  return { ok: true, value: records as unknown as MetricRecord[] };
}

function readMetricsFile(path: string, name: string, required: boolean, warnings: string[]): Step<MetricRecord[]> {
  if (!existsSync(path)) return required ? { ok: false, reason: `missing ${name}` } : { ok: true, value: [] };
  let result;
  try {
    result = readJsonl(path);
  } catch (err) {
    if (err instanceof JsonlCorruptError) return { ok: false, reason: `corrupt ${name}: line ${err.line}: ${err.detail}` };
    return { ok: false, reason: `unreadable ${name}: ${(err as Error).message}` };
  }
  if (result.tornTail) warnings.push(`${name}: ignored an incomplete last line`);
  return toMetricRecords(result.records, name);
}

/**
 * Reads one run directory. Never throws: a directory that is missing, incomplete, still running,
 * failed or corrupt gives `{ ok: false, dir, reason }` with a one-line reason, e.g.
 * `missing config.json`, `run still running (status "running", 12 updates)`,
 * `run failed: NaN in policy loss`, `corrupt metrics.jsonl: line 7: Unexpected token ...`.
 * `metrics.jsonl` is required; an absent `eval.jsonl` reads as no evaluations.
 */
export function readRunDir(dir: string, options: ReadRunDirOptions = {}): RunDirResult {
  const accept = options.accept ?? ['completed'];
  const fail = (reason: string): RunDirResult => ({ ok: false, dir, reason });
  try {
    if (!existsSync(dir)) return fail('directory does not exist');
    if (!statSync(dir).isDirectory()) return fail('not a directory');
    const files = runFiles(dir);
    const config = readJsonFile(files.config, CONFIG_FILE, RunConfigSchema);
    if (!config.ok) return fail(config.reason);
    const summary = readJsonFile(files.summary, SUMMARY_FILE, RunSummarySchema);
    if (!summary.ok) return fail(summary.reason);
    const s = summary.value;
    if (!accept.includes(s.status)) {
      if (s.status === 'failed') return fail(s.message ? `run failed: ${s.message}` : 'run failed (no message in summary.json)');
      if (s.status === 'running') return fail(`run still running (status "running", ${s.updates} updates)`);
      return fail(`status "${s.status}" not accepted (accepting: ${accept.join(', ')})`);
    }
    const warnings: string[] = [];
    const metrics = readMetricsFile(files.metrics, METRICS_FILE, true, warnings);
    if (!metrics.ok) return fail(metrics.reason);
    const evals = readMetricsFile(files.eval, EVAL_FILE, false, warnings);
    if (!evals.ok) return fail(evals.reason);
    const c = config.value;
    const parts = dir.split(/[/\\]/).filter((p) => p !== '');
    const [seedPart, variantPart, suitePart] = [parts.at(-1), parts.at(-2), parts.at(-3)];
    const looksLikeLayout = seedPart !== undefined && /^seed-\d+$/.test(seedPart);
    if (looksLikeLayout && (seedPart !== seedDirName(c.seed) || variantPart !== c.variant || decodeSuiteDirName(suitePart ?? '') !== c.suite)) {
      warnings.push(`config.json says ${c.suite}/${c.variant}/seed-${c.seed} but the directory is ${suitePart}/${variantPart}/${seedPart}`);
    }
    return {
      ok: true,
      run: { dir, config: c, meta: c.meta, metrics: metrics.value, evals: evals.value, summary: s, warnings },
    };
  } catch (err) {
    return fail(`unreadable: ${(err as Error).message}`);
  }
}

/** A candidate run directory found by `findRunDirs` (names taken from the path). */
export interface RunDirEntry {
  readonly dir: string;
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
}

function subdirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * All `root/S/V/seed-N/` directories, sorted by suite, variant, then seed (numeric). Only the
 * shape of the path is checked; use `readRunDir` to see whether each holds a readable run.
 * A missing root gives `[]`.
 */
export function findRunDirs(root: string): RunDirEntry[] {
  const found: RunDirEntry[] = [];
  for (const suiteDir of subdirs(root).sort(byCodeUnits)) {
    for (const variant of subdirs(join(root, suiteDir)).sort(byCodeUnits)) {
      const seeds = subdirs(join(root, suiteDir, variant))
        .map((name) => ({ name, m: /^seed-(\d+)$/.exec(name) }))
        .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
        .map((x) => ({ name: x.name, seed: Number(x.m[1]) }))
        .sort((a, b) => a.seed - b.seed);
      for (const { name, seed } of seeds) {
        found.push({ dir: join(root, suiteDir, variant, name), suite: decodeSuiteDirName(suiteDir), variant, seed });
      }
    }
  }
  return found;
}

/** Result of `readRunDirs`. */
export interface RunDirsResult {
  readonly runs: readonly RunData[];
  readonly skipped: readonly { readonly dir: string; readonly reason: string }[];
}

/** `findRunDirs` + `readRunDir` on each, split into readable runs and skipped directories with reasons. */
export function readRunDirs(root: string, options: ReadRunDirOptions = {}): RunDirsResult {
  const runs: RunData[] = [];
  const skipped: { dir: string; reason: string }[] = [];
  for (const entry of findRunDirs(root)) {
    const r = readRunDir(entry.dir, options);
    if (r.ok) runs.push(r.run);
    else skipped.push({ dir: r.dir, reason: r.reason });
  }
  return { runs, skipped };
}
