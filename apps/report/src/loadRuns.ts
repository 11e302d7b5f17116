/**
 * Reads every run directory under RUNS_DIR through `@varshare/metrics` (`findRunDirs` +
 * `readRunDir`, which never throw) and applies the report's own admission rules. Incomplete,
 * failed, corrupt, duplicate or evaluation-less runs are listed with a reason and left out.
 */
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

const EVAL_RETURN_PREFIX = 'eval/return/';

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
