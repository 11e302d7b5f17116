/**
 * `index.html`: one self-contained file (inline CSS and SVG, no scripts, no network) that opens
 * from disk. Findings first, then per suite the charts and tables, then the runs left out.
 */
import type { Report } from './buildReport';
import type { DisplayTable } from './reportTables';
import { skippedTable, suiteDisplayTables } from './reportTables';

/** A chart already rendered to SVG. */
export interface RenderedChart {
  readonly suite: string;
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly section: 'performance' | 'diagnostics';
  readonly svg: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlTable(t: DisplayTable): string {
  const head = `<tr>${t.headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`).join('\n');
  return `<section class="table" id="${escapeHtml(t.id)}"><h4>${escapeHtml(t.title)}</h4><p class="caption">${escapeHtml(t.caption)}</p><div class="scroll"><table><thead>${head}</thead><tbody>${body}</tbody></table></div></section>`;
}

function chartFigure(c: RenderedChart): string {
  return `<figure class="chart" id="${escapeHtml(c.id)}"><figcaption><strong>${escapeHtml(c.title)}</strong><br><span class="caption">${escapeHtml(c.caption)}</span></figcaption>${c.svg}</figure>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:1rem 1.5rem;color:#1d2330;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0}h2{border-bottom:2px solid #dde;padding-bottom:.2rem;margin-top:2.2rem}h3{margin-top:1.6rem}h4{margin:.2rem 0}
.summary{background:#f4f7fb;border-left:4px solid #4c78a8;padding:.6rem 1rem;margin:1rem 0}
.summary li{margin:.25rem 0}.warn{background:#fff6e5;border-left:4px solid #e8a33d;padding:.5rem 1rem}
.caption{color:#556;font-size:.88rem}figure.chart{margin:1.2rem 0;overflow-x:auto}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.86rem;margin:.4rem 0}th,td{border:1px solid #d5d9e2;padding:.25rem .5rem;text-align:right;white-space:nowrap}
thead th{background:#eef1f6;text-align:center}tbody th{text-align:left;background:#fafbfc}.scroll{overflow-x:auto}
nav ul{columns:2;font-size:.9rem}code{background:#eef1f6;padding:0 .25rem;border-radius:3px}
`;

/** The whole `index.html`. `charts` are in display order. */
export function renderHtml(report: Report, charts: readonly RenderedChart[]): string {
  const parts: string[] = [];
  parts.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  parts.push('<title>VarShare KL/prior experiments — report</title>', `<style>${CSS}</style></head><body>`);
  parts.push('<h1>Which KL/prior strategy works, and why</h1>');
  parts.push(
    `<p class="caption">Runs read from <code>${escapeHtml(report.runsDir)}</code>: ${report.included} included, ${report.skipped.length} left out (of ${report.found} found). ` +
      `Headline score: ${report.options.score === 'raw' ? 'raw final eval return' : 'min–max normalised final eval return'}; ` +
      `CIs: ${Math.round(100 * (1 - report.options.ciAlpha))} % stratified bootstrap, ${report.options.bootstrapReps} replications, seed ${report.options.bootstrapSeed}.</p>`,
  );
  parts.push('<section class="summary" id="summary"><h2 style="margin-top:0;border:0">Summary</h2>');
  for (const s of report.suites) parts.push(`<ul>${s.summary.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`);
  if (report.skipped.length > 0) parts.push(`<p>${report.skipped.length} run director${report.skipped.length === 1 ? 'y was' : 'ies were'} left out (incomplete, failed or corrupt): see <a href="#skipped-runs">Runs left out</a>.</p>`);
  parts.push('</section>');
  parts.push('<nav><ul>');
  for (const s of report.suites) parts.push(`<li><a href="#suite-${escapeHtml(s.suite)}">${escapeHtml(s.suite)}</a></li>`);
  if (report.skipped.length > 0) parts.push('<li><a href="#skipped-runs">Runs left out</a></li>');
  parts.push('</ul></nav>');
  for (const s of report.suites) {
    parts.push(`<section class="suite" id="suite-${escapeHtml(s.suite)}"><h2>${escapeHtml(s.suite)}</h2>`);
    if (s.comparability.length > 0) {
      parts.push(`<div class="warn" id="comparability-${escapeHtml(s.suite)}"><strong>Comparability warnings</strong> — these runs differ in more than their variant's own toggles:<ul>`);
      for (const w of s.comparability) parts.push(`<li>${escapeHtml(w.message)}</li>`);
      parts.push('</ul></div>');
    } else {
      parts.push(`<p class="caption" id="comparability-${escapeHtml(s.suite)}">Comparability: all runs match in everything but their variant toggles (budget, suite config, acting mode, code version, seed sets).</p>`);
    }
    const tables = suiteDisplayTables(s, report.options.sigmaDriftThreshold);
    const suiteCharts = charts.filter((c) => c.suite === s.suite);
    parts.push('<h3>Final performance</h3>');
    for (const t of tables.filter((x) => /-final-table-|-improvement-/.test(x.id))) parts.push(htmlTable(t));
    for (const c of suiteCharts.filter((x) => x.section === 'performance')) parts.push(chartFigure(c));
    parts.push('<h3>Per task</h3>');
    for (const t of tables.filter((x) => /-per-task-/.test(x.id))) parts.push(htmlTable(t));
    parts.push('<h3>Acting mode</h3>');
    for (const t of tables.filter((x) => /-acting-mode$/.test(x.id))) parts.push(htmlTable(t));
    parts.push('<h3>Diagnostics: why</h3>');
    const diagTables = tables.filter((x) => !/-final-table-|-improvement-|-per-task-|-acting-mode$/.test(x.id));
    for (const t of diagTables) parts.push(htmlTable(t));
    for (const c of suiteCharts.filter((x) => x.section === 'diagnostics')) parts.push(chartFigure(c));
    parts.push('</section>');
  }
  if (report.skipped.length > 0) parts.push(`<h2>Runs left out</h2>${htmlTable(skippedTable(report))}`);
  if (report.warnings.length > 0) parts.push(`<h2>Reader warnings</h2><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  parts.push('<p class="caption">Also in this directory: summary.md (tables for a paper draft), summary.json (every number), one CSV per table.</p>');
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
