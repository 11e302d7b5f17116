/**
 * Run directories → one `Report` value holding every number of the report (what `summary.json`
 * serialises), via the long arquero tables of `runTables.ts`.
 */
import { resolve } from 'node:path';
import { escape } from 'arquero';
import type { ColumnTable } from 'arquero';
import type { ReportOptions } from './config';
import { loadRuns } from './loadRuns';
import type { LoadedRun, SkippedRun } from './loadRuns';
import { taskRanges } from './normalise';
import { buildRunTables, canonicalJson } from './runTables';
import type { RunRow, RunTables } from './runTables';
import { analyseScores } from './analyseScores';
import type { SuiteScores } from './analyseScores';
import { analyseDiagnostics } from './analyseDiagnostics';
import type { SuiteDiagnostics } from './analyseDiagnostics';
import { checkComparability } from './checkComparability';
import type { ComparabilityWarning } from './checkComparability';
import { suiteSummary } from './summaryText';

/** How a variant acts and trains (from `meta.actingMode`) and what it toggles (`controller`). */
export interface ActingModeRow {
  readonly suite: string;
  readonly variant: string;
  readonly seeds: readonly number[];
  readonly betaKind: string;
  readonly priorKind: string;
  readonly rolloutWeights: string;
  readonly trainWeights: string;
  readonly noise: string;
  readonly samplingScope: string;
  readonly evalWeights: string;
  readonly network: string;
  /** False when the variant's seeds logged different acting modes. */
  readonly consistent: boolean;
}

/** Everything about one suite. */
export interface SuiteReport {
  readonly suite: string;
  readonly runs: readonly RunRow[];
  readonly scores: SuiteScores;
  readonly diagnostics: SuiteDiagnostics;
  readonly actingModes: readonly ActingModeRow[];
  readonly comparability: readonly ComparabilityWarning[];
  /** Plain-language findings, generated from the numbers. */
  readonly summary: readonly string[];
}

/** The whole report (serialised as summary.json). */
export interface Report {
  readonly generator: 'varshare-report';
  readonly runsDir: string;
  readonly options: Omit<ReportOptions, 'runsDir' | 'outDir'>;
  readonly found: number;
  readonly included: number;
  readonly skipped: readonly SkippedRun[];
  readonly warnings: readonly string[];
  readonly suites: readonly SuiteReport[];
}

/** A report plus the arquero tables it was computed from (for CSV export of the long forms). */
export interface BuiltReport {
  readonly report: Report;
  readonly tables: RunTables;
}

/** Thrown for input the CLI reports with exit code 2 (nothing found, nothing readable). */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

function suiteSlice(t: ColumnTable, suite: string): ColumnTable {
  return t.filter(escape((d: { suite: string }) => d.suite === suite));
}

function actingModeRows(suite: string, runs: readonly LoadedRun[], rows: readonly RunRow[], variants: readonly string[]): ActingModeRow[] {
  return variants.map((variant) => {
    const vRows = rows.filter((r) => r.variant === variant);
    const modes = new Set(vRows.map((r) => r.actingMode));
    const first = runs.find((r) => r.variant === variant)?.data.meta.actingMode;
    const field = (k: string): string => {
      if (typeof first === 'string') return k === 'rolloutWeights' ? first : '–';
      const v = first?.[k];
      return v === undefined ? '–' : typeof v === 'string' ? v : canonicalJson(v);
    };
    return {
      suite,
      variant,
      seeds: vRows.map((r) => r.seed).sort((a, b) => a - b),
      betaKind: vRows[0]?.betaKind ?? 'unknown',
      priorKind: vRows[0]?.priorKind ?? 'unknown',
      rolloutWeights: field('rolloutWeights'),
      trainWeights: field('trainWeights'),
      noise: field('noise'),
      samplingScope: field('samplingScope'),
      evalWeights: field('evalWeights'),
      network: field('network'),
      consistent: modes.size <= 1,
    };
  });
}

/**
 * Reads `options.runsDir` and computes the report.
 * @throws ReportInputError when RUNS_DIR is missing, holds no run directories, or none is readable.
 */
export function buildReport(options: ReportOptions): BuiltReport {
  const loaded = loadRuns(options.runsDir, { includeRunning: options.includeRunning });
  if (loaded.found === 0) throw new ReportInputError(`no run directories found under ${options.runsDir} (expected <suite>/<variant>/seed-<N>/)`);
  if (loaded.runs.length === 0) {
    const reasons = loaded.skipped.map((s) => `  ${s.dir}: ${s.reason}`).join('\n');
    throw new ReportInputError(`none of the ${loaded.found} run directories under ${options.runsDir} is readable:\n${reasons}`);
  }
  const ranges = taskRanges(loaded.runs);
  const tables = buildRunTables(loaded.runs, ranges, options.maxSeriesPoints);
  const runRowsAll = tables.runs.objects() as RunRow[];
  const suites = [...new Set(loaded.runs.map((r) => r.suite))].sort();
  const suiteReports: SuiteReport[] = suites.map((suite) => {
    const runs = loaded.runs.filter((r) => r.suite === suite);
    const scores = analyseScores(suite, suiteSlice(tables.finalScores, suite), suiteSlice(tables.evalCurves, suite), options);
    const finalReturns = new Map(scores.perTask.filter((t) => t.score === 'return').map((t) => [`${t.variant}\u0000${t.task}`, t.mean]));
    const diagnostics = analyseDiagnostics(suite, runs, suiteSlice(tables.diagnostics, suite), scores.variants, finalReturns, options.sigmaDriftThreshold, [...scores.tasks, ...scores.droppedTasks], options.baseline);
    const rows = runRowsAll.filter((r) => r.suite === suite);
    const comparability = checkComparability(suite, runs);
    const actingModes = actingModeRows(suite, runs, rows, scores.variants);
    const partial = { suite, runs: rows, scores, diagnostics, actingModes, comparability };
    return { ...partial, summary: suiteSummary(partial, options) };
  });
  const { runsDir: _r, outDir: _o, ...rest } = options;
  return {
    report: {
      generator: 'varshare-report',
      runsDir: resolve(options.runsDir),
      options: rest,
      found: loaded.found,
      included: loaded.runs.length,
      skipped: loaded.skipped,
      warnings: loaded.warnings,
      suites: suiteReports,
    },
    tables,
  };
}
