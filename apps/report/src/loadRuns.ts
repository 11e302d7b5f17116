/**
 * Reads every run directory under RUNS_DIR through `@varshare/metrics` (`findRunDirs` +
 * `readRunDir`, which never throw) and applies the report's own admission rules. Incomplete,
 * failed, corrupt, duplicate or evaluation-less runs, and runs whose update history repeats or
 * misses updates, are listed with a reason and left out.
 */
import { EVAL_RETURN } from '@varshare/base';
import { findRunDirs, readRunDir } from '@varshare/metrics';
import type { MetricRecord, RunData, RunStatus } from '@varshare/metrics';

/** A directory left out of the report, with a one-line reason. */
export interface SkippedRun {
  readonly dir: string;
  readonly reason: string;
}

/** A readable run plus the final evaluation the report scores it by. */
export interface LoadedRun {
  readonly data: RunData;
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  /** `eval/*` metrics of the final evaluation (summary `final_eval` when it has per-task returns, else the last eval.jsonl record). */
  readonly finalEval: Readonly<Record<string, number>>;
  /** Where `finalEval` came from. */
  readonly finalEvalSource: 'summary.final_eval' | 'eval.jsonl';
}

/** Result of `loadRuns`. */
export interface LoadedRuns {
  /** Candidate `<suite>/<variant>/seed-<N>` directories found. */
  readonly found: number;
  readonly runs: readonly LoadedRun[];
  readonly skipped: readonly SkippedRun[];
  /** Non-fatal oddities per run (torn tails, config/directory name mismatch). */
  readonly warnings: readonly string[];
}

const EVAL_RETURN_PREFIX = `${EVAL_RETURN}/`;

/** Task names of a final-eval or eval.jsonl record, from its `eval/return/<task>` keys, sorted. */
export function tasksOf(record: Readonly<Record<string, number>>): string[] {
  return Object.keys(record)
    .filter((k) => k.startsWith(EVAL_RETURN_PREFIX))
    .map((k) => k.slice(EVAL_RETURN_PREFIX.length))
    .sort();
}

function hasPerTaskReturns(record: Readonly<Record<string, number>> | undefined): boolean {
  return record !== undefined && Object.keys(record).some((k) => k.startsWith(EVAL_RETURN_PREFIX));
}

/**
 * The final evaluation of a run: `summary.final_eval` when it carries per-task returns
 * (`eval/return/<task>`), otherwise the last `eval.jsonl` record; undefined when neither has them.
 */
export function finalEvalOf(run: RunData): { readonly record: Readonly<Record<string, number>>; readonly source: LoadedRun['finalEvalSource'] } | undefined {
  const fromSummary = run.summary.final_eval;
  if (hasPerTaskReturns(fromSummary)) return { record: fromSummary as Record<string, number>, source: 'summary.final_eval' };
  const last: MetricRecord | undefined = run.evals.at(-1);
  if (hasPerTaskReturns(last)) return { record: last as Record<string, number>, source: 'eval.jsonl' };
  return undefined;
}

/** `[1, 2, 3, 5, 8, 9]` → `1–3, 5, 8–9`, cut after a dozen parts. */
export function formatUpdateList(updates: readonly number[]): string {
  const sorted = [...new Set(updates)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j += 1;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.length > 12 ? `${parts.slice(0, 12).join(', ')}, … (${sorted.length} in all)` : parts.join(', ');
}

function repeatedOf(updates: readonly number[]): number[] {
  const seen = new Set<number>();
  const repeated = new Set<number>();
  for (const u of updates) (seen.has(u) ? repeated : seen).add(u);
  return [...repeated];
}

/**
 * Why a run's history cannot be trusted, or undefined when it can: `metrics.jsonl` must hold each
 * update 1…N exactly once, in order (N = the summary's update count for a completed run), and
 * `eval.jsonl` each evaluation once — every `eval.interval`-th update and the last one of a
 * completed run, none beyond N. A repeated update means two processes wrote the run (or a resume
 * did not drop the rows after its checkpoint); a missing one means rows were lost.
 */
export function historyProblem(run: RunData): string | undefined {
  const problems: string[] = [];
  const m = run.metrics.map((r) => r.update);
  const completed = run.summary.status === 'completed';
  const last = Math.max(0, ...m, completed ? run.summary.updates : 0);
  const nonInteger = m.filter((u) => !Number.isInteger(u) || u < 1);
  if (nonInteger.length > 0) problems.push(`metrics.jsonl has update indices that are not whole numbers ≥ 1 (${nonInteger.slice(0, 5).join(', ')})`);
  const repeated = repeatedOf(m);
  if (repeated.length > 0) problems.push(`metrics.jsonl repeats update ${formatUpdateList(repeated)}`);
  const present = new Set(m);
  const missing = Array.from({ length: last }, (_, i) => i + 1).filter((u) => !present.has(u));
  if (missing.length > 0) problems.push(`metrics.jsonl is missing update ${formatUpdateList(missing)}`);
  if (repeated.length === 0 && m.some((u, i) => i > 0 && u < (m[i - 1] as number))) problems.push('metrics.jsonl updates are out of order');
  const e = run.evals.map((r) => r.update);
  const evalRepeated = repeatedOf(e);
  if (evalRepeated.length > 0) problems.push(`eval.jsonl repeats update ${formatUpdateList(evalRepeated)}`);
  const beyond = e.filter((u) => u > last || !present.has(u));
  if (beyond.length > 0) problems.push(`eval.jsonl has update ${formatUpdateList(beyond)} that metrics.jsonl does not`);
  const interval = (run.config as { eval?: { interval?: unknown } }).eval?.interval;
  if (typeof interval === 'number' && Number.isInteger(interval) && interval > 0) {
    const evaluated = new Set(e);
    const expected = Array.from({ length: Math.floor(last / interval) }, (_, i) => (i + 1) * interval);
    if (completed && last > 0) expected.push(last);
    const evalMissing = expected.filter((u) => !evaluated.has(u));
    if (evalMissing.length > 0) problems.push(`eval.jsonl is missing the evaluation of update ${formatUpdateList(evalMissing)} (eval.interval ${interval})`);
  }
  return problems.length > 0 ? `inconsistent history: ${problems.join('; ')}` : undefined;
}

/**
 * Reads `runsDir`. Accepts `completed` runs (plus `running` ones with `includeRunning`). Runs are
 * identified by their config's suite/variant/seed; a second directory claiming the same triple is skipped.
 */
export function loadRuns(runsDir: string, options: { readonly includeRunning?: boolean } = {}): LoadedRuns {
  const accept: RunStatus[] = options.includeRunning ? ['completed', 'running'] : ['completed'];
  const entries = findRunDirs(runsDir);
  const runs: LoadedRun[] = [];
  const skipped: SkippedRun[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  for (const entry of entries) {
    const result = readRunDir(entry.dir, { accept });
    if (!result.ok) {
      skipped.push({ dir: result.dir, reason: result.reason });
      continue;
    }
    const data = result.run;
    const problem = historyProblem(data);
    if (problem !== undefined) {
      skipped.push({ dir: data.dir, reason: problem });
      continue;
    }
    for (const w of data.warnings) warnings.push(`${data.dir}: ${w}`);
    const { suite, variant, seed } = data.config;
    const id = `${suite}\u0000${variant}\u0000${seed}`;
    const first = seen.get(id);
    if (first !== undefined) {
      skipped.push({ dir: data.dir, reason: `duplicate of ${first} (same suite ${suite}, variant ${variant}, seed ${seed})` });
      continue;
    }
    const final = finalEvalOf(data);
    if (final === undefined) {
      skipped.push({ dir: data.dir, reason: 'no evaluation with per-task returns (eval.jsonl empty and summary.json has no final_eval)' });
      continue;
    }
    seen.set(id, data.dir);
    runs.push({ data, suite, variant, seed, finalEval: final.record, finalEvalSource: final.source });
  }
  return { found: entries.length, runs, skipped, warnings };
}
