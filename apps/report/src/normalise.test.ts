import { describe, expect, it } from 'vitest';
import { normaliseScore, taskRanges } from './normalise';
import { fakeRun, rec } from '../test/fakeRun';

describe('min–max normalisation', () => {
  it('takes each task range over final evals and every eval record of the suite', () => {
    const runs = [
      fakeRun({ variant: 'a', seed: 1, returns: { t1: 100, t2: 5 }, evals: [rec(1, { 'eval/return/t1': 20, 'eval/return/t2': 1 })] }),
      fakeRun({ variant: 'b', seed: 1, returns: { t1: 300, t2: 5 } }),
    ];
    const ranges = taskRanges(runs);
    expect(ranges.get('toy')?.get('t1')).toEqual({ min: 20, max: 300 });
    expect(ranges.get('toy')?.get('t2')).toEqual({ min: 1, max: 5 });
    // (100 − 20) / (300 − 20) = 80 / 280 = 0.2857142857142857
    expect(normaliseScore(ranges, 'toy', 't1', 100)).toBeCloseTo(0.2857142857142857, 12);
    expect(normaliseScore(ranges, 'toy', 't1', 300)).toBe(1);
    expect(normaliseScore(ranges, 'toy', 't2', 1)).toBe(0);
  });
  it('maps a task that never varies to 0 and unknown tasks or NaN to NaN', () => {
    const ranges = taskRanges([fakeRun({ variant: 'a', seed: 1, returns: { flat: 7 } })]);
    expect(normaliseScore(ranges, 'toy', 'flat', 7)).toBe(0);
    expect(normaliseScore(ranges, 'toy', 'nope', 7)).toBeNaN();
    expect(normaliseScore(ranges, 'other', 'flat', 7)).toBeNaN();
    expect(normaliseScore(ranges, 'toy', 'flat', Number.NaN)).toBeNaN();
  });
});
