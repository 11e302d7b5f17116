import { describe, expect, it } from 'vitest';
import { checkComparability, flattenConfig } from './checkComparability';
import { fakeRun } from '../test/fakeRun';

describe('checkComparability', () => {
  it('ignores the variant toggles (controller), seed, start time and the run digest', () => {
    const digest = (d: string) => ({ meta: { version: '0.1.0', gitCommit: 'abc', backend: 'wasm', actingMode: { rolloutWeights: 'sample', evalWeights: 'mean' }, startTime: 'x', configDigest: d } });
    const runs = [
      fakeRun({ variant: 'baseline', seed: 1, returns: { t: 1 }, config: digest('d1') }),
      fakeRun({ variant: 'exp3', seed: 1, returns: { t: 1 }, config: { controller: { beta: { kind: 'ratio', K: 2 } }, ...digest('d2') } }),
      fakeRun({ variant: 'baseline', seed: 2, returns: { t: 1 } }),
      fakeRun({ variant: 'exp3', seed: 2, returns: { t: 1 }, config: { controller: { beta: { kind: 'ratio', K: 2 } } } }),
    ];
    expect(checkComparability('toy', runs)).toEqual([]);
  });

  it('warns about a different budget, code version, acting mode and seed sets', () => {
    const meta = { version: '0.1.0', gitCommit: 'def', backend: 'wasm', actingMode: { rolloutWeights: 'mean', evalWeights: 'mean' }, startTime: 'x' };
    const runs = [
      fakeRun({ variant: 'baseline', seed: 1, returns: { t: 1 } }),
      fakeRun({ variant: 'baseline', seed: 2, returns: { t: 1 } }),
      fakeRun({ variant: 'exp1', seed: 1, returns: { t: 1 }, config: { steps: 2000, meta } }),
    ];
    const w = checkComparability('toy', runs);
    const byPath = new Map(w.map((x) => [x.path, x]));
    expect(byPath.get('steps')?.category).toBe('budget');
    expect(byPath.get('steps')?.message).toContain('1000 in baseline/seed-1, baseline/seed-2');
    expect(byPath.get('steps')?.message).toContain('2000 in exp1/seed-1');
    expect(byPath.get('meta.gitCommit')?.category).toBe('code version');
    expect(byPath.get('meta.actingMode.rolloutWeights')?.category).toBe('acting mode');
    expect(byPath.get('seeds')?.message).toContain('baseline {1, 2}; exp1 {1}');
    expect(byPath.has('meta.startTime')).toBe(false);
  });

  it('flags keys present in some runs only', () => {
    const runs = [fakeRun({ variant: 'a', seed: 1, returns: { t: 1 } }), fakeRun({ variant: 'b', seed: 1, returns: { t: 1 }, config: { extra: { on: true } } })];
    const w = checkComparability('toy', runs);
    expect(w.map((x) => x.path)).toEqual(['extra.on']);
    expect(w[0]?.message).toContain('(absent) in a/seed-1');
  });
});

describe('flattenConfig', () => {
  it('lists leaves by dotted path, arrays whole', () => {
    expect([...flattenConfig({ a: { b: 1, c: [64, 64] }, d: 'x', e: {} })]).toEqual([['a.b', '1'], ['a.c', '[64,64]'], ['d', '"x"'], ['e', '{}']]);
  });
});
