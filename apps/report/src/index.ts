/**
 * `@varshare/report` — run directories → "which KL/prior strategy works, and why": rliable-style
 * final-performance statistics, paired comparisons against the baseline, diagnostics and a
 * comparability check, rendered to a self-contained index.html, summary.md, summary.json and CSVs.
 * CLI: `varshare-report RUNS_DIR --out DIR` (bin/varshare-report.mjs).
 */

// Options and CLI
export { ReportOptionsSchema, ScoreModeSchema } from './config';
export type { ReportOptions, ScoreMode } from './config';
export { parseCliArgs, USAGE } from './parseCliArgs';
export type { CliParse } from './parseCliArgs';
export { main, generateReport } from './main';
export type { GeneratedReport } from './main';

// Reading runs and tables
export { loadRuns, finalEvalOf, tasksOf } from './loadRuns';
export type { LoadedRun, LoadedRuns, SkippedRun } from './loadRuns';
export { buildRunTables, runRows, finalScoreRows, evalCurveRows, diagnosticRows, keptUpdates, qualifierKind, isDiagnosticKey, canonicalJson, fromRows } from './runTables';
export type { RunTables, RunRow, FinalScoreRow, EvalCurveRow, DiagnosticRow, QualifierKind } from './runTables';
export { taskRanges, normaliseScore } from './normalise';
export type { TaskRanges } from './normalise';

// Analysis
export { analyseScores, sampleEfficiencyCurves, scoreMatrix, orderVariants, linspace, STATISTICS } from './analyseScores';
export type { ScoreKey, SuiteScores, AggregateRow, TaskRow, ImprovementRow, DeltaRow, DeltaSummaryRow, ProfileRow, CurveRow } from './analyseScores';
export { analyseDiagnostics, firstLast, SIGMA_PRIOR_DEGENERACY_FACTOR } from './analyseDiagnostics';
// Exp3's band is owned by @varshare/base (the controllers' schema defaults use it too); kept here for the report's users.
export { DEFAULT_R_BAND } from '@varshare/base';
export type { SuiteDiagnostics, SeriesRow, FinalValueRow, BetaSummaryRow, TriggerEvent, SigmaDriftRow, PriorSigmaRow, CorrelationRow } from './analyseDiagnostics';
export { checkComparability, flattenConfig, VARIANT_OWN_PATHS } from './checkComparability';
export type { ComparabilityWarning } from './checkComparability';
export { spearman, pearson, averageRanks } from './correlation';
export { rngFor, fnv1a32 } from './rngFor';
export { buildReport, ReportInputError } from './buildReport';
export type { Report, SuiteReport, BuiltReport, ActingModeRow } from './buildReport';
export { suiteSummary, overlaps, FEW_SEEDS } from './summaryText';

// Rendering and output
export { suiteCharts, renderSvg, scopeSvgIds, scaleTypeFor, SCORE_LABEL } from './charts';
export type { ChartSpec } from './charts';
export { renderHtml, escapeHtml } from './renderHtml';
export type { RenderedChart } from './renderHtml';
export { renderMarkdown, markdownTable } from './renderMarkdown';
export { suiteDisplayTables, skippedTable, csvFiles } from './reportTables';
export type { DisplayTable } from './reportTables';
export { writeReportDir, outDirProblem, OutDirError } from './writeReportDir';
export { fmt, fmtCI, fmtSigned, fmtSet } from './format';
