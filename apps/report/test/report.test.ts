/**
 * End to end on the checked-in fixtures: the synthetic set (every diagnostic present) and the real
 * trainer set (2 variants × 2 seeds, plus a corrupt and a partial copy).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJson } from '@varshare/metrics';
import { loadRuns } from '../src/loadRuns';
import { generateReport } from '../src/main';
import { ReportOptionsSchema } from '../src/config';
import { makeSyntheticFixtures } from './make-fixtures';

const here = fileURLToPath(new URL('.', import.meta.url));
const synthetic = join(here, 'fixtures', 'synthetic');
const trainer = join(here, 'fixtures', 'trainer');
const work = mkdtempSync(join(tmpdir(), 'varshare-report-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const opts = (runsDir: string, outDir: string) => ReportOptionsSchema.parse({ runsDir, outDir, bootstrapReps: 300, curveReps: 100 });

describe('fixtures', () => {
  it('the synthetic generator is deterministic and matches the checked-in files', () => {
    const again = join(work, 'synthetic-again');
    makeSyntheticFixtures(again);
    const list = (root: string): string[] => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length)).sort();
    expect(list(again)).toEqual(list(synthetic));
    for (const f of list(synthetic)) expect(readFileSync(join(again, f), 'utf8'), f).toBe(readFileSync(join(synthetic, f), 'utf8'));
  });

  it('loadRuns keeps complete runs and lists corrupt, partial and failed ones with reasons', () => {
    const s = loadRuns(synthetic);
    expect(s.found).toBe(11);
    expect(s.runs.length).toBe(8);
    const reasons = s.skipped.map((x) => x.reason).join('\n');
    expect(reasons).toMatch(/corrupt metrics\.jsonl: line 5/);
    expect(reasons).toMatch(/run still running/);
    expect(reasons).toMatch(/run failed: NaN in policy loss/);
    const t = loadRuns(trainer);
    expect(t.runs.map((r) => `${r.variant}/${r.seed}`)).toEqual(['baseline/1', 'baseline/2', 'exp3-ratio-controller/1', 'exp3-ratio-controller/2']);
    expect(t.skipped.map((x) => x.reason)).toEqual([expect.stringMatching(/still running/), expect.stringMatching(/corrupt metrics\.jsonl/)]);
    expect(loadRuns(trainer, { includeRunning: true }).runs.length).toBe(5);
  });
});

describe('generateReport', () => {
  it('writes every output for the synthetic fixtures, with all diagnostics', async () => {
    const out = join(work, 'synthetic-report');
    const g = await generateReport(opts(synthetic, out));
    const files = readdirSync(out).sort();
    for (const f of ['index.html', 'summary.md', 'summary.json', 'final_performance.csv', 'per_task.csv', 'probability_of_improvement.csv', 'paired_deltas.csv', 'performance_profiles.csv', 'sample_efficiency.csv', 'acting_mode.csv', 'comparability.csv', 'skipped_runs.csv', 'sigma_drift.csv', 'prior_sigma.csv', 'trigger_events.csv']) {
      expect(files).toContain(f);
    }
    const summary = parseJson(readFileSync(join(out, 'summary.json'), 'utf8')) as { generator: string; included: number; skipped: unknown[]; suites: Array<{ suite: string; scores: { variants: string[]; improvement: unknown[] }; diagnostics: { priorSigma: Array<{ granularity: string }> } }> };
    expect(summary.generator).toBe('varshare-report');
    expect(summary.included).toBe(8);
    expect(summary.skipped.length).toBe(3);
    const s = summary.suites[0];
    expect(s?.scores.variants).toEqual(['baseline', 'exp3-ratio-controller', 'exp4-loss-gap-prior', 'exp5-empirical-bayes']);
    expect(s?.scores.improvement.length).toBe(3);
    expect(new Set(s?.diagnostics.priorSigma.map((p) => p.granularity))).toEqual(new Set(['task', 'layer']));
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect((html.match(/<figure class="chart"/g) ?? []).length).toBe(g.charts);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('| exp3-ratio-controller | 2 |');
    expect(readFileSync(join(out, 'per_task.csv'), 'utf8').split('\n')[0]).toBe('suite,variant,task,score,mean,median,min,max,seeds');
  });

  it('is byte-for-byte reproducible', async () => {
    const a = join(work, 'rep-a');
    const b = join(work, 'rep-b');
    await generateReport(opts(trainer, a));
    await generateReport(opts(trainer, b));
    for (const f of readdirSync(a)) expect(readFileSync(join(b, f), 'utf8'), f).toBe(readFileSync(join(a, f), 'utf8'));
  });

  it('reports the real trainer runs with success rates, the acting mode and no comparability warning', async () => {
    const out = join(work, 'trainer-report');
    const g = await generateReport(opts(trainer, out));
    const s = g.report.suites[0];
    expect(s?.scores.scores).toContain('success');
    expect(s?.actingModes.map((a) => [a.variant, a.rolloutWeights, a.evalWeights, a.betaKind])).toEqual([
      ['baseline', 'sample', 'mean', 'fixed'],
      ['exp3-ratio-controller', 'sample', 'mean', 'ratio'],
    ]);
    expect(s?.comparability).toEqual([]);
    expect(s?.diagnostics.beta.find((b) => b.variant === 'exp3-ratio-controller')?.rMax).toBe(0.2);
  });
});
