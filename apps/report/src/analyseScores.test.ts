import { describe, expect, it } from 'vitest';
import { analyseScores, linspace, orderVariants, scoreMatrix } from './analyseScores';
import { buildRunTables } from './runTables';
import { taskRanges } from './normalise';
import { ReportOptionsSchema } from './config';
import { fakeRun, rec } from '../test/fakeRun';

const options = ReportOptionsSchema.parse({ runsDir: 'in', outDir: 'out', bootstrapReps: 200, curveReps: 100, profilePoints: 5 });

/**
 * baseline: seed 1 → t1 10, t2 20; seed 2 → t1 30, t2 40
 * exp:      seed 1 → t1 15, t2 10; seed 2 → t1 35, t2 50; seed 3 → t1 0, t2 0, t3 5 (t3 only here)
 */
function toyRuns() {
  return [
    fakeRun({ variant: 'exp', seed: 1, returns: { t1: 15, t2: 10 }, evals: [rec(1, { 'eval/return/t1': 1, 'eval/return/t2': 2 })] }),
    fakeRun({ variant: 'exp', seed: 2, returns: { t1: 35, t2: 50 }, evals: [rec(1, { 'eval/return/t1': 3, 'eval/return/t2': 4 })] }),
    fakeRun({ variant: 'exp', seed: 3, returns: { t1: 0, t2: 0, t3: 5 }, evals: [rec(1, { 'eval/return/t1': 5, 'eval/return/t2': 6 })] }),
    fakeRun({ variant: 'baseline', seed: 1, returns: { t1: 10, t2: 20 }, evals: [rec(1, { 'eval/return/t1': 2, 'eval/return/t2': 2 }), rec(2, { 'eval/return/t1': 9, 'eval/return/t2': 9 })] }),
    fakeRun({ variant: 'baseline', seed: 2, returns: { t1: 30, t2: 40 }, evals: [rec(1, { 'eval/return/t1': 4, 'eval/return/t2': 4 })] }),
  ];
}

function analyse(opts = options) {
  const runs = toyRuns();
  const t = buildRunTables(runs, taskRanges(runs), 150);
  return analyseScores('toy', t.finalScores, t.evalCurves, opts);
}

describe('analyseScores', () => {
  const s = analyse();

  it('puts the baseline first, keeps only tasks every run has, lists seeds', () => {
    expect(s.variants).toEqual(['baseline', 'exp']);
    expect(s.tasks).toEqual(['t1', 't2']);
    expect(s.droppedTasks).toEqual(['t3']);
    expect(s.seeds).toEqual({ baseline: [1, 2], exp: [1, 2, 3] });
    expect(s.scores).toEqual(['return', 'return_norm']);
  });

  it('aggregates match hand-worked values', () => {
    const get = (v: string, stat: string) => s.aggregates.find((a) => a.variant === v && a.score === 'return' && a.statistic === stat);
    // baseline pooled [10, 20, 30, 40]: IQM drops ⌊4/4⌋ = 1 each end → (20 + 30)/2 = 25
    expect(get('baseline', 'iqm')?.point).toBe(25);
    // per-task means t1 20, t2 30 → mean 25, median 25
    expect(get('baseline', 'mean')?.point).toBe(25);
    expect(get('baseline', 'median')?.point).toBe(25);
    // exp pooled sorted [0, 0, 10, 15, 35, 50]: drop 1 each end → (0 + 10 + 15 + 35)/4 = 15
    expect(get('exp', 'iqm')?.point).toBe(15);
    expect(get('exp', 'iqm')?.seeds).toBe(3);
    for (const a of s.aggregates) expect(a.lo).toBeLessThanOrEqual(a.hi);
  });

  it('per-task rows summarise the seeds', () => {
    const r = s.perTask.find((p) => p.variant === 'baseline' && p.task === 't1' && p.score === 'return');
    expect(r).toMatchObject({ mean: 20, median: 20, min: 10, max: 30, seeds: 2 });
    // t3 appears in the per-task table of the one run that has it, not in the matrices
    expect(s.perTask.find((p) => p.variant === 'exp' && p.task === 't3' && p.score === 'return')?.mean).toBe(5);
  });

  it('paired probability of improvement uses the shared seeds (hand-worked)', () => {
    const imp = s.improvement.find((i) => i.variant === 'exp' && i.score === 'return');
    // t1: seed 1 15 > 10, seed 2 35 > 30 → 1; t2: 10 < 20, 50 > 40 → 0.5; mean over tasks = 0.75
    expect(imp).toMatchObject({ paired: true, seeds: [1, 2], point: 0.75 });
  });

  it('paired deltas are per-seed means over tasks, unmatched seeds listed', () => {
    const d = s.deltas.filter((x) => x.variant === 'exp' && x.score === 'return');
    // seed 1: (15+10)/2 − (10+20)/2 = 12.5 − 15 = −2.5; seed 2: (35+50)/2 − (30+40)/2 = 42.5 − 35 = 7.5
    expect(d.map((x) => [x.seed, x.delta])).toEqual([[1, -2.5], [2, 7.5]]);
    const sum = s.deltaSummary.find((x) => x.variant === 'exp' && x.score === 'return');
    expect(sum).toMatchObject({ pairs: 2, meanDelta: 2.5, onlyInVariant: [3], onlyInBaseline: [] });
  });

  it('performance profile at τ = min is the fraction strictly above it', () => {
    const p = s.profiles.filter((x) => x.variant === 'exp' && x.score === 'return');
    expect(p.map((x) => x.tau)).toEqual(linspace(0, 50, 5));
    // exp scores [15, 10, 35, 50, 0, 0]: above 0 → 4/6; above 50 → 0
    expect(p[0]?.point).toBeCloseTo(4 / 6, 12);
    expect(p.at(-1)?.point).toBe(0);
  });

  it('curves keep only eval points where every seed evaluated every task', () => {
    const b = s.curves.filter((c) => c.variant === 'baseline');
    // env_steps 100: seeds 1 and 2 → pooled [2, 2, 4, 4] → IQM (2 + 4)/2 = 3; env_steps 200: only seed 1 → dropped
    expect(b.map((c) => [c.env_steps, c.point])).toEqual([[100, 3]]);
  });

  it('is reproducible for a bootstrap seed and changes with it', () => {
    expect(analyse().aggregates).toEqual(s.aggregates);
    const other = analyse({ ...options, bootstrapSeed: 7 });
    expect(other.aggregates.map((a) => a.point)).toEqual(s.aggregates.map((a) => a.point));
    expect(other.aggregates.map((a) => [a.lo, a.hi])).not.toEqual(s.aggregates.map((a) => [a.lo, a.hi]));
  });

  it('falls back to independent-runs P(improvement) when no seed is shared', () => {
    const runs = [fakeRun({ variant: 'baseline', seed: 1, returns: { t: 1 } }), fakeRun({ variant: 'x', seed: 2, returns: { t: 2 } })];
    const t = buildRunTables(runs, taskRanges(runs), 150);
    const r = analyseScores('toy', t.finalScores, t.evalCurves, options);
    expect(r.improvement[0]).toMatchObject({ paired: false, point: 1 });
    expect(r.deltaSummary[0]).toMatchObject({ pairs: 0, onlyInVariant: [2], onlyInBaseline: [1] });
    expect(r.deltaSummary[0]?.meanDelta).toBeNaN();
  });

  it('uses the normalised score as headline with --score minmax, and adds success when logged', () => {
    const runs = [
      fakeRun({ variant: 'baseline', seed: 1, returns: { t: 1 }, success: { t: 0 } }),
      fakeRun({ variant: 'x', seed: 1, returns: { t: 3 }, success: { t: 1 } }),
    ];
    const t = buildRunTables(runs, taskRanges(runs), 150);
    const r = analyseScores('toy', t.finalScores, t.evalCurves, { ...options, score: 'minmax' });
    expect(r.headline).toBe('return_norm');
    expect(r.scores).toEqual(['return', 'return_norm', 'success']);
    expect(r.improvement.map((i) => i.score)).toEqual(['return_norm', 'success']);
    expect(r.aggregates.find((a) => a.variant === 'x' && a.score === 'return_norm' && a.statistic === 'mean')?.point).toBe(1);
  });
});

describe('helpers', () => {
  it('scoreMatrix is [seeds][tasks] with NaN for missing cells', () => {
    const lookup = new Map([['v\u00001\u0000a', 1], ['v\u00002\u0000b', 4]]);
    const m = scoreMatrix(lookup, 'v', [1, 2], ['a', 'b']);
    expect(m[0]?.[0]).toBe(1);
    expect(m[0]?.[1]).toBeNaN();
    expect(m[1]?.[1]).toBe(4);
  });
  it('orderVariants puts the baseline first', () => {
    expect(orderVariants(['exp2', 'baseline', 'exp1', 'exp2'], 'baseline')).toEqual(['baseline', 'exp1', 'exp2']);
    expect(orderVariants(['b', 'a'], 'baseline')).toEqual(['a', 'b']);
  });
  it('linspace includes both ends', () => {
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(3, 3, 1)).toEqual([3]);
  });
});
