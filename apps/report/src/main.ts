/**
 * `varshare-report RUNS_DIR --out DIR`: reads run directories, writes index.html, summary.md,
 * summary.json and one CSV per table. Exit codes: 0 written; 2 bad input (unknown flag, missing
 * RUNS_DIR, no runs found, none readable, OUT not replaceable) with one message and nothing
 * written; 1 unexpected error (nothing written either: the output is renamed into place last).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringifyJson } from '@varshare/metrics';
import { parseCliArgs, USAGE } from './parseCliArgs';
import type { ReportOptions } from './config';
import { buildReport, ReportInputError } from './buildReport';
import type { Report } from './buildReport';
import { renderSvg, suiteCharts } from './charts';
import { renderHtml } from './renderHtml';
import type { RenderedChart } from './renderHtml';
import { renderMarkdown } from './renderMarkdown';
import { csvFiles } from './reportTables';
import { OutDirError, outDirProblem, writeReportDir } from './writeReportDir';

/** What `generateReport` wrote. */
export interface GeneratedReport {
  readonly report: Report;
  readonly outDir: string;
  readonly files: readonly string[];
  readonly charts: number;
}

/**
 * Builds the report of `options.runsDir` and writes it to `options.outDir` atomically.
 * @throws ReportInputError / OutDirError for bad input (nothing written)
 */
export async function generateReport(options: ReportOptions): Promise<GeneratedReport> {
  if (!existsSync(options.runsDir) || !statSync(options.runsDir).isDirectory()) throw new ReportInputError(`RUNS_DIR ${options.runsDir} does not exist or is not a directory`);
  const outProblem = outDirProblem(resolve(options.outDir));
  if (outProblem !== undefined) throw new OutDirError(outProblem);
  const { report, tables } = buildReport(options);
  const charts: RenderedChart[] = [];
  for (const s of report.suites) {
    for (const c of suiteCharts(s.scores, s.diagnostics)) {
      charts.push({ suite: s.suite, id: c.id, title: c.title, caption: c.caption, section: c.section ?? 'diagnostics', svg: await renderSvg(c.spec, `svg-${c.id}`) });
    }
  }
  const files = new Map<string, string>();
  files.set('index.html', renderHtml(report, charts));
  files.set('summary.md', renderMarkdown(report));
  // NaN/±Infinity become the strings "NaN"/"Infinity" (the @varshare/metrics JSON convention) instead of null.
  // The downsampled diagnostic time series (tens of MB for a full sweep) live in diagnostic_series.csv only.
  const forJson = {
    ...report,
    suites: report.suites.map((s) => ({ ...s, diagnostics: { ...s.diagnostics, series: undefined, seriesFile: 'diagnostic_series.csv' } })),
  };
  files.set('summary.json', `${stringifyJson(forJson, 2)}\n`);
  for (const [name, csv] of csvFiles(report, tables)) files.set(name, csv);
  writeReportDir(options.outDir, files);
  return { report, outDir: resolve(options.outDir), files: [...files.keys()], charts: charts.length };
}

/** CLI entry: returns the exit code; messages go to the given streams. */
export async function main(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const parsed = parseCliArgs(argv);
  if (parsed.kind === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.err(`varshare-report: ${parsed.message} (see varshare-report --help)\n`);
    return 2;
  }
  try {
    const g = await generateReport(parsed.options);
    const r = g.report;
    io.out(`report: ${g.outDir}/index.html (${r.suites.length} suite${r.suites.length === 1 ? '' : 's'}, ${r.included} runs, ${r.skipped.length} left out, ${g.charts} charts, ${g.files.length} files)\n`);
    for (const s of r.skipped) io.err(`left out ${s.dir}: ${s.reason}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ReportInputError || err instanceof OutDirError) {
      io.err(`varshare-report: ${err.message}\n`);
      return 2;
    }
    io.err(`varshare-report: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
