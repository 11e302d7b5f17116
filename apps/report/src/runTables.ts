/**
 * Run data → long arquero tables, the one tidy form every analysis reads:
 * - `runs`: one row per run (identity, status, budget, code version, acting mode);
 * - `finalScores`: one row per (run, task) with the final eval `return`, `success` and `return_norm`;
 * - `evalCurves`: one row per (run, eval record, task);
 * - `diagnostics`: one row per (run, kept update, diagnostic key) from `metrics.jsonl`.
 */
import { from, table } from 'arquero';
import type { ColumnTable } from 'arquero';
import { evalReturnTask, evalSuccessTask, looksLikeLayerName, splitMetricKey, type MetricFamily } from '@varshare/base';
import { tasksOf } from './loadRuns';
import type { LoadedRun } from './loadRuns';
import type { TaskRanges } from './normalise';
import { normaliseScore } from './normalise';

/** Per-run identity and provenance. */
export interface RunRow {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly status: string;
  readonly updates: number;
  readonly env_steps: number;
  readonly wall_s: number;
  readonly steps: number | null;
  readonly version: string;
  readonly gitCommit: string | null;
  readonly backend: string;
  readonly actingMode: string;
  readonly betaKind: string;
  readonly priorKind: string;
  readonly finalEvalSource: string;
  readonly dir: string;
}

/** One final score of one task in one run. */
export interface FinalScoreRow {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly task: string;
  readonly return: number;
  /** NaN when the suite logs no success flag. */
  readonly success: number;
  /** Min–max normalised return (see `normalise.ts`). */
  readonly return_norm: number;
}

/** One evaluation of one task in one run. */
export interface EvalCurveRow extends FinalScoreRow {
  readonly update: number;
  readonly env_steps: number;
}

/** Whether a diagnostic key's qualifier names a task, a layer, a parameter group (`grad/*`), or nothing (global key). */
export type QualifierKind = 'task' | 'layer' | 'group' | 'global';

/** One diagnostic value of one run at one update. */
export interface DiagnosticRow {
  readonly suite: string;
  readonly variant: string;
  readonly seed: number;
  readonly update: number;
  readonly env_steps: number;
  readonly key: string;
  /** Key without its `<task>`/`<layer>` qualifier, e.g. `prior/sigma`. */
  readonly base: string;
  readonly qualifier: string;
  readonly kind: QualifierKind;
  readonly value: number;
}

const DIAGNOSTIC_FAMILIES: readonly MetricFamily[] = ['controller', 'prior', 'varshare', 'grad', 'step'];

/** True when a `metrics.jsonl` key belongs in the diagnostics (controller state, priors, VarShare posterior statistics, KL pressure). */
export function isDiagnosticKey(key: string): boolean {
  return DIAGNOSTIC_FAMILIES.some((family) => key.startsWith(`${family}/`));
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function kindOf(value: unknown): string {
  const k = objectField(value, 'kind');
  return typeof k === 'string' ? k : 'unknown';
}

/** Canonical JSON (sorted keys) of the acting mode, so equal modes compare equal as strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `runs` table rows. */
export function runRows(runs: readonly LoadedRun[]): RunRow[] {
  return runs.map((r) => {
    const c = r.data.config as Record<string, unknown>;
    const controller = c['controller'];
    return {
      suite: r.suite,
      variant: r.variant,
      seed: r.seed,
      status: r.data.summary.status,
      updates: r.data.summary.updates,
      env_steps: r.data.summary.env_steps,
      wall_s: r.data.summary.wall_s,
      steps: typeof c['steps'] === 'number' ? c['steps'] : null,
      version: r.data.meta.version,
      gitCommit: r.data.meta.gitCommit ?? null,
      backend: r.data.meta.backend,
      actingMode: canonicalJson(r.data.meta.actingMode),
      betaKind: kindOf(objectField(controller, 'beta')),
      priorKind: kindOf(objectField(controller, 'prior')),
      finalEvalSource: r.finalEvalSource,
      dir: r.data.dir,
    };
  });
}

function scoreRow(r: LoadedRun, record: Readonly<Record<string, number>>, task: string, ranges: TaskRanges): FinalScoreRow {
  const ret = record[evalReturnTask(task)] ?? Number.NaN;
  return {
    suite: r.suite,
    variant: r.variant,
    seed: r.seed,
    task,
    return: ret,
    success: record[evalSuccessTask(task)] ?? Number.NaN,
    return_norm: normaliseScore(ranges, r.suite, task, ret),
  };
}

/** `finalScores` rows: every task of each run's final evaluation. */
export function finalScoreRows(runs: readonly LoadedRun[], ranges: TaskRanges): FinalScoreRow[] {
  return runs.flatMap((r) => tasksOf(r.finalEval).map((task) => scoreRow(r, r.finalEval, task, ranges)));
}

/** `evalCurves` rows: every task of every `eval.jsonl` record (the final eval is included when it is also in eval.jsonl). */
export function evalCurveRows(runs: readonly LoadedRun[], ranges: TaskRanges): EvalCurveRow[] {
  return runs.flatMap((r) =>
    r.data.evals.flatMap((rec) => tasksOf(rec).map((task) => ({ ...scoreRow(r, rec, task, ranges), update: rec.update, env_steps: rec.env_steps }))),
  );
}

/**
 * The updates kept for diagnostic series: at most `maxPoints` evenly spaced among the sorted distinct
 * updates of the given runs, always including the first and the last. Chosen per suite, so every
 * seed of every variant keeps the same updates (the series can be averaged over seeds).
 */
export function keptUpdates(runs: readonly LoadedRun[], maxPoints: number): Set<number> {
  const all = new Set<number>();
  for (const r of runs) for (const rec of r.data.metrics) all.add(rec.update);
  const sorted = [...all].sort((a, b) => a - b);
  if (sorted.length <= maxPoints) return new Set(sorted);
  const kept = new Set<number>();
  for (let k = 0; k < maxPoints; k++) kept.add(sorted[Math.round((k * (sorted.length - 1)) / (maxPoints - 1))] as number);
  return kept;
}

/**
 * Decides task vs layer for a qualifier: a known task name of the suite is a task; otherwise a name
 * shaped like `actor.0` is a layer (`looksLikeLayerName`); otherwise a task.
 */
export function qualifierKind(qualifier: string | undefined, tasks: ReadonlySet<string>): QualifierKind {
  if (qualifier === undefined) return 'global';
  if (tasks.has(qualifier)) return 'task';
  return looksLikeLayerName(qualifier) ? 'layer' : 'task';
}

/** `diagnostics` rows for the runs of ONE suite (the kept updates are chosen per suite). */
export function diagnosticRows(runs: readonly LoadedRun[], tasks: ReadonlySet<string>, maxPoints: number): DiagnosticRow[] {
  const kept = keptUpdates(runs, maxPoints);
  const rows: DiagnosticRow[] = [];
  const parts = new Map<string, { base: string; qualifier: string; kind: QualifierKind }>();
  for (const r of runs) {
    for (const rec of r.data.metrics) {
      if (!kept.has(rec.update)) continue;
      for (const [key, value] of Object.entries(rec)) {
        if (!isDiagnosticKey(key)) continue;
        let p = parts.get(key);
        if (p === undefined) {
          const s = splitMetricKey(key);
          p = { base: s.base, qualifier: s.qualifier ?? '', kind: s.family === 'grad' && s.qualifier !== undefined ? 'group' : qualifierKind(s.qualifier, tasks) };
          parts.set(key, p);
        }
        rows.push({ suite: r.suite, variant: r.variant, seed: r.seed, update: rec.update, env_steps: rec.env_steps, key, ...p, value });
      }
    }
  }
  return rows;
}

/** `from(rows)`, or an empty table that still has the named columns (arquero infers columns from rows). */
export function fromRows(rows: readonly object[], columns: readonly string[]): ColumnTable {
  return rows.length > 0 ? from(rows as object[]) : table(Object.fromEntries(columns.map((c) => [c, [] as unknown[]])));
}

/** The four long tables. */
export interface RunTables {
  readonly runs: ColumnTable;
  readonly finalScores: ColumnTable;
  readonly evalCurves: ColumnTable;
  readonly diagnostics: ColumnTable;
}

/** Builds the arquero tables of a set of runs (`diagnostics` with the kept updates chosen per suite). */
export function buildRunTables(runs: readonly LoadedRun[], ranges: TaskRanges, maxSeriesPoints: number): RunTables {
  const suites = [...new Set(runs.map((r) => r.suite))];
  const diag: DiagnosticRow[] = [];
  for (const suite of suites) {
    const inSuite = runs.filter((r) => r.suite === suite);
    const tasks = new Set(inSuite.flatMap((r) => tasksOf(r.finalEval)));
    for (const row of diagnosticRows(inSuite, tasks, maxSeriesPoints)) diag.push(row);
  }
  const score = ['suite', 'variant', 'seed', 'task', 'return', 'success', 'return_norm'];
  return {
    runs: fromRows(runRows(runs), ['suite', 'variant', 'seed']),
    finalScores: fromRows(finalScoreRows(runs, ranges), score),
    evalCurves: fromRows(evalCurveRows(runs, ranges), [...score, 'update', 'env_steps']),
    diagnostics: fromRows(diag, ['suite', 'variant', 'seed', 'update', 'env_steps', 'key', 'base', 'qualifier', 'kind', 'value']),
  };
}
