/** `summary.md`: the findings and every display table as GitHub-flavoured Markdown (paste into a paper draft). */
import type { Report } from './buildReport';
import type { DisplayTable } from './reportTables';
import { skippedTable, suiteDisplayTables } from './reportTables';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** One Markdown table with a bold title and an italic caption. */
export function markdownTable(t: DisplayTable): string {
  const head = `| ${t.headers.map(cell).join(' | ')} |`;
  const rule = `| ${t.headers.map(() => '---').join(' | ')} |`;
  const body = t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`);
  return [`**${t.title}**`, '', `_${t.caption}_`, '', head, rule, ...body, ''].join('\n');
}

/** The whole `summary.md`. */
export function renderMarkdown(report: Report): string {
  const out: string[] = ['# VarShare KL/prior experiments — report', ''];
  out.push(`Runs read from \`${report.runsDir}\`: ${report.included} included, ${report.skipped.length} left out (of ${report.found} found).`, '');
  for (const s of report.suites) {
    out.push(`## ${s.suite}`, '');
    for (const line of s.summary) out.push(`- ${line}`);
    out.push('');
    for (const t of suiteDisplayTables(s, report.options.sigmaDriftThreshold)) out.push(markdownTable(t));
    if (s.comparability.length > 0) {
      out.push('**Comparability warnings**', '');
      for (const w of s.comparability) out.push(`- ${w.message}`);
      out.push('');
    }
  }
  if (report.skipped.length > 0) out.push(markdownTable(skippedTable(report)));
  if (report.warnings.length > 0) {
    out.push('**Reader warnings**', '');
    for (const w of report.warnings) out.push(`- ${w}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
