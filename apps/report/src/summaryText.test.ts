import { describe, expect, it } from 'vitest';
import { overlaps, suiteSummary } from './summaryText';
import type { SuiteSummaryInput } from './summaryText';
import type { AggregateRow, ImprovementRow, SuiteScores } from './analyseScores';
import type { SuiteDiagnostics } from './analyseDiagnostics';

const agg = (variant: string, point: number, lo: number, hi: number): AggregateRow => ({ suite: 's', variant, score: 'return', statistic: 'iqm', point, lo, hi, seeds: 3, tasks: 2 });
const imp = (variant: string, point: number, lo: number, hi: number): ImprovementRow => ({ suite: 's', variant, baseline: 'baseline', score: 'return', paired: true, seeds: [1, 2, 3], point, lo, hi });

function input(aggregates: AggregateRow[], improvement: ImprovementRow[], seeds = [1, 2, 3, 4, 5], extra: Partial<SuiteDiagnostics> = {}): SuiteSummaryInput {
  const scores = {
    suite: 's', tasks: ['a', 'b'], droppedTasks: [], variants: ['baseline', 'exp1', 'exp3'], seeds: { baseline: seeds, exp1: seeds, exp3: seeds },
    scores: ['return', 'return_norm'], headline: 'return', aggregates, perTask: [], improvement, deltas: [], deltaSummary: [], profiles: [], curves: [],
  } as SuiteScores;
  const diagnostics: SuiteDiagnostics = {
    suite: 's', series: [], finals: [], beta: [], triggers: [], sigmaDrift: [], priorSigma: [], correlations: [],
    pressure: { pressure: [], inertness: [], direction: [], priorScale: [] }, ...extra,
  };
  return { suite: 's', scores, diagnostics, comparability: [] };
}
const opts = { baseline: 'baseline', sigmaDriftThreshold: 0.5 };

describe('suiteSummary', () => {
  it('names the best IQM and hedges when CIs overlap', () => {
    const lines = suiteSummary(input([agg('baseline', 100, 90, 110), agg('exp1', 105, 95, 115), agg('exp3', 150, 140, 160)], []), opts).join('\n');
    expect(lines).toContain('exp3 has the highest IQM final return: 150 [140, 160]');
    expect(lines).toContain("its CI clears every other variant's");
    const tied = suiteSummary(input([agg('baseline', 100, 90, 110), agg('exp3', 105, 95, 115)], []), opts).join('\n');
    expect(tied).toContain('overlaps baseline, so the ranking among them is not resolved');
  });
  it('reports a tie at the top instead of naming a "highest" variant', () => {
    const all = suiteSummary(input([agg('baseline', 500, 500, 500), agg('exp1', 500, 500, 500), agg('exp3', 500, 500, 500)], []), opts).join('\n');
    expect(all).toContain('All variants tie at IQM final return 500.');
    expect(all).not.toContain('has the highest');
    const two = suiteSummary(input([agg('baseline', 500, 500, 500), agg('exp1', 500, 480, 500), agg('exp3', 450, 400, 500)], []), opts).join('\n');
    expect(two).toContain('baseline, exp1 tie at IQM final return 500; the others: exp3 450 [400, 500].');
  });

  it('calls a P(improvement) whose CI contains ½ a coin flip', () => {
    const lines = suiteSummary(input([agg('baseline', 1, 0, 2)], [imp('exp1', 0.71, 0.45, 0.9), imp('exp3', 0.8, 0.6, 0.95)]), opts);
    expect(lines.find((l) => l.startsWith('P(exp1'))).toContain('over 3 paired seeds — not distinguishable from a coin flip');
    expect(lines.find((l) => l.startsWith('P(exp3'))).toContain('exp3 tends to beat baseline');
  });
  it('warns about few seeds only when there are fewer than 5', () => {
    expect(suiteSummary(input([agg('baseline', 1, 0, 2)], [], [1, 2]), opts).join('\n')).toContain('as few as 2 seeds per variant');
    expect(suiteSummary(input([agg('baseline', 1, 0, 2)], []), opts).join('\n')).not.toContain('Caution');
  });
  it('says when there is no baseline', () => {
    expect(suiteSummary(input([agg('exp1', 1, 0, 2)], []), opts).join('\n')).toContain('No baseline runs in this suite');
  });
});

describe('overlaps', () => {
  it('treats touching intervals as overlapping', () => {
    expect(overlaps({ lo: 0, hi: 1 }, { lo: 1, hi: 2 })).toBe(true);
    expect(overlaps({ lo: 0, hi: 1 }, { lo: 1.01, hi: 2 })).toBe(false);
  });
});
