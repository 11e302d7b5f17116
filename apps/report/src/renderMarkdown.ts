/** `summary.md`: the findings and every display table as GitHub-flavoured Markdown (paste into a paper draft). */
import type { Report } from './buildReport';
import type { DisplayTable } from './reportTables';
import { skippedTable, suiteDisplayTables } from './reportTables';

/**
 * Text from run directories (names, config strings, error messages) as literal Markdown: HTML
 * becomes entities (no `<script>`, no `<img onerror>`), and the characters that start emphasis,
 * code, links, images and tables are backslash-escaped, as is a leading marker that would start a
 * heading or a list (the text goes into list items and table cells). Plain words and numbers read
 * unchanged in the source.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~!]/g, (c) => `\\${c}`)
    .replace(/^(\s*)(#{1,6}|[+-]|\d{1,9}[.)])(?=\s|$)/, (_m, space: string, lead: string) => `${space}${lead.replace(/([#+.)-])/, '\\$1')}`);
}

/** One Markdown table with a bold title and an italic caption. */
export function markdownTable(t: DisplayTable): string {
  const row = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const rule = `| ${t.headers.map(() => '---').join(' | ')} |`;
  return [`**${escapeMarkdown(t.title)}**`, '', `_${escapeMarkdown(t.caption)}_`, '', row(t.headers), rule, ...t.rows.map(row), ''].join('\n');
}

/** The whole `summary.md`. */
export function renderMarkdown(report: Report): string {
  const out: string[] = ['# VarShare KL/prior experiments — report', ''];
  out.push(`Runs read from \`${report.runsDir.replace(/[`\r\n]/g, "'")}\`: ${report.included} included, ${report.skipped.length} left out (of ${report.found} found).`, '');
  for (const s of report.suites) {
    out.push(`## ${escapeMarkdown(s.suite)}`, '');
    for (const line of s.summary) out.push(`- ${escapeMarkdown(line)}`);
    out.push('');
    for (const t of suiteDisplayTables(s, report.options.sigmaDriftThreshold)) out.push(markdownTable(t));
    if (s.comparability.length > 0) {
      out.push('**Comparability warnings**', '');
      for (const w of s.comparability) out.push(`- ${escapeMarkdown(w.message)}`);
      out.push('');
    }
  }
  if (report.skipped.length > 0) out.push(markdownTable(skippedTable(report)));
  if (report.warnings.length > 0) {
    out.push('**Reader warnings**', '');
    for (const w of report.warnings) out.push(`- ${escapeMarkdown(w)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
