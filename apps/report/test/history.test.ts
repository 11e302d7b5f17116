/**
 * The report refuses runs whose update history repeats or misses updates (two writers, lost rows),
 * and its side files carry hostile strings from run directories as inert text.
 */
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricRecord, RunData } from '@varshare/metrics';
import { ReportOptionsSchema } from '../src/config';
import { formatUpdateList, historyProblem } from '../src/loadRuns';
import { generateReport } from '../src/main';
import { escapeMarkdown } from '../src/renderMarkdown';
import { neutraliseCsvText } from '../src/reportTables';

const trainer = fileURLToPath(new URL('./fixtures/trainer', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'varshare-report-history-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const opts = (runsDir: string, outDir: string) => ReportOptionsSchema.parse({ runsDir, outDir, bootstrapReps: 300, curveReps: 100 });

const row = (update: number) => ({ update, env_steps: update * 320 }) as MetricRecord;
function run(metrics: number[], evals: number[], options: { status?: 'completed' | 'running'; updates?: number; interval?: number } = {}): RunData {
  return {
    dir: '/runs/cartpole-mt/baseline/seed-1',
    config: { suite: 'cartpole-mt', variant: 'baseline', seed: 1, eval: { interval: options.interval ?? 3 } },
    metrics: metrics.map(row),
    evals: evals.map(row),
    summary: { status: options.status ?? 'completed', updates: options.updates ?? Math.max(0, ...metrics), wall_s: 1, env_steps: 1 },
    warnings: [],
  } as unknown as RunData;
}

describe('historyProblem', () => {
  it('accepts each update once, evaluations every interval and at the end', () => {
    expect(historyProblem(run([1, 2, 3, 4, 5, 6, 7], [3, 6, 7]))).toBeUndefined();
    // An extension (resume --steps) adds the old end's evaluation: an extra, not a repeat.
    expect(historyProblem(run([1, 2, 3, 4, 5, 6], [3, 4, 6]))).toBeUndefined();
    // A run still running has no final evaluation yet.
    expect(historyProblem(run([1, 2, 3, 4], [3], { status: 'running' }))).toBeUndefined();
  });

  it('names repeated updates (two writers) in metrics and evals', () => {
    expect(historyProblem(run([1, 2, 3, 1, 2, 3], [3, 3]))).toBe('inconsistent history: metrics.jsonl repeats update 1–3; eval.jsonl repeats update 3');
  });

  it('names missing updates, in the middle and after the last row of a completed run', () => {
    expect(historyProblem(run([1, 2, 4, 5, 6], [3, 6]))).toMatch(/^inconsistent history: metrics\.jsonl is missing update 3; eval\.jsonl has update 3 that metrics\.jsonl does not$/);
    expect(historyProblem(run([1, 2, 3], [3], { updates: 6 }))).toBe('inconsistent history: metrics.jsonl is missing update 4–6; eval.jsonl is missing the evaluation of update 6 (eval.interval 3)');
    expect(historyProblem(run([1, 2, 3, 4, 5, 6], [6]))).toBe('inconsistent history: eval.jsonl is missing the evaluation of update 3 (eval.interval 3)');
    expect(historyProblem(run([2, 1, 3], [3]))).toBe('inconsistent history: metrics.jsonl updates are out of order');
  });

  it('formats update lists compactly', () => {
    expect(formatUpdateList([9, 1, 2, 3, 5, 8])).toBe('1–3, 5, 8–9');
    expect(formatUpdateList(Array.from({ length: 30 }, (_, i) => 2 * i))).toMatch(/^0, 2, 4, .*, 22, … \(30 in all\)$/);
  });
});

describe('the report on damaged histories and hostile strings', () => {
  it('leaves out runs with duplicated or missing updates, with the reason, and keeps the rest', async () => {
    const runs = join(work, 'runs');
    cpSync(trainer, runs, { recursive: true });
    const seed1 = join(runs, 'cartpole-mt', 'baseline', 'seed-1');
    const seed2 = join(runs, 'cartpole-mt', 'baseline', 'seed-2');
    // Two writers: every row written twice.
    appendFileSync(join(seed1, 'metrics.jsonl'), readFileSync(join(seed1, 'metrics.jsonl')));
    appendFileSync(join(seed1, 'eval.jsonl'), readFileSync(join(seed1, 'eval.jsonl')));
    // A lost row.
    const lines = readFileSync(join(seed2, 'metrics.jsonl'), 'utf8').split('\n');
    writeFileSync(join(seed2, 'metrics.jsonl'), [...lines.slice(0, 3), ...lines.slice(4)].join('\n'));
    const out = join(work, 'report-damaged');
    const g = await generateReport(opts(runs, out));
    const reasons = new Map(g.report.skipped.map((s) => [s.dir.split('/').slice(-2).join('/'), s.reason]));
    expect(reasons.get('baseline/seed-1')).toBe('inconsistent history: metrics.jsonl repeats update 1–8; eval.jsonl repeats update 2, 4, 6, 8');
    expect(reasons.get('baseline/seed-2')).toBe('inconsistent history: metrics.jsonl is missing update 4; eval.jsonl has update 4 that metrics.jsonl does not');
    expect(g.report.suites[0]?.runs.map((r) => `${r.variant}/${r.seed}`)).not.toContain('baseline/1');
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('inconsistent history: metrics.jsonl repeats update 1–8');
    expect(readFileSync(join(out, 'skipped_runs.csv'), 'utf8')).toMatch(/seed-2,inconsistent history: metrics\.jsonl is missing update 4/);
  });

  it('summary.md and the CSVs carry hostile run names and messages as inert text', async () => {
    const runs = join(work, 'hostile');
    cpSync(join(trainer, 'cartpole-mt', 'baseline'), join(runs, 'cartpole-mt', 'baseline'), { recursive: true });
    const hostile = '=SUM(1+1)<img src=x onerror=alert(1)>*[x](javascript:alert(1))';
    renameSync(join(runs, 'cartpole-mt', 'baseline'), join(runs, 'cartpole-mt', hostile));
    for (const seed of readdirSync(join(runs, 'cartpole-mt', hostile))) {
      const path = join(runs, 'cartpole-mt', hostile, seed, 'config.json');
      writeFileSync(path, readFileSync(path, 'utf8').replace('"variant": "baseline"', `"variant": ${JSON.stringify(hostile)}`));
    }
    const failed = join(runs, 'cartpole-mt', hostile, 'seed-4', 'summary.json');
    writeFileSync(failed, JSON.stringify({ status: 'failed', message: '<script>alert(1)</script>\n# heading', wall_s: 1, updates: 1, env_steps: 1 }));
    const out = join(work, 'report-hostile');
    await generateReport(opts(runs, out));
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).not.toMatch(/<img|<script|[^\\]\]\(javascript/);
    expect(md).toContain('run failed: &lt;script&gt;alert(1)&lt;/script&gt; # heading |');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;\\*\\[x\\](javascript:alert(1))');
    for (const f of readdirSync(out).filter((n) => n.endsWith('.csv'))) {
      const text = readFileSync(join(out, f), 'utf8');
      // No cell (at a line start or after a comma, quoted or not) starts a formula.
      expect(text, f).not.toMatch(/(^|,)"?[=+@]/m);
    }
    for (const f of ['per_task.csv', 'final_performance.csv', 'runs.csv', 'final_scores.csv']) expect(readFileSync(join(out, f), 'utf8'), f).toContain("'=SUM(1+1)");
  });

  it('neutralises formula text but leaves numbers, and escapes Markdown but leaves words', () => {
    expect(['=1+1', '+x', '-x', '@SUM(A1)', '\tx', '\rx'].map(neutraliseCsvText)).toEqual(["'=1+1", "'+x", "'-x", "'@SUM(A1)", "'\tx", "'\rx"]);
    expect(['-1.5', '+2', '-3e-5', '-.5', 'baseline', 'exp1-fixed-prior'].map(neutraliseCsvText)).toEqual(['-1.5', '+2', '-3e-5', '-.5', 'baseline', 'exp1-fixed-prior']);
    expect(escapeMarkdown('exp3-ratio-controller 0.95 [0.9, 1]')).toBe('exp3-ratio-controller 0.95 \\[0.9, 1\\]');
    expect(escapeMarkdown('# x')).toBe('\\# x');
    expect(escapeMarkdown('1. x')).toBe('1\\. x');
    expect(escapeMarkdown('- x')).toBe('\\- x');
    expect(escapeMarkdown('0.95 -1.5 =x')).toBe('0.95 -1.5 =x');
    expect(escapeMarkdown('a|b <b>&')).toBe('a\\|b &lt;b&gt;&amp;');
  });
});
