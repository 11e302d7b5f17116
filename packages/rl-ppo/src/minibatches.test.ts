import { describe, expect, it } from 'vitest';
import { Rng } from '@varshare/core';
import { MinibatchDealer } from './minibatches';

describe('MinibatchDealer', () => {
  it('uniform: every row once per epoch in ⌊B/k⌋-row minibatches, a new permutation each epoch', () => {
    const taskIds = Int32Array.from({ length: 12 }, (_, i) => i % 3);
    const d = new MinibatchDealer(taskIds, 3, 4, 'uniform');
    const rng = new Rng(1);
    const e1 = d.epoch(rng).map((m) => Array.from(m));
    expect(e1.map((m) => m.length)).toEqual([4, 4, 4]);
    expect(e1.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const e2 = d.epoch(rng).map((m) => Array.from(m));
    expect(e2.flat()).not.toEqual(e1.flat());
    expect(e2.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('stratified: equal rows per task in every minibatch, task-major; unequal task counts are rejected', () => {
    const taskIds = Int32Array.from({ length: 12 }, (_, i) => i % 3); // 4 rows per task
    const d = new MinibatchDealer(taskIds, 3, 6, 'stratified-by-task'); // 2 rows per task per minibatch
    for (const mb of d.epoch(new Rng(2))) {
      expect(Array.from(mb, (r) => taskIds[r])).toEqual([0, 0, 1, 1, 2, 2]);
    }
    const uneven = Int32Array.from([0, 0, 0, 1, 1, 2]);
    expect(() => new MinibatchDealer(uneven, 3, 3, 'stratified-by-task')).toThrow(/same number of rows/);
  });
});
